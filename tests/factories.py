import importlib
from datetime import timedelta

import factory
from django.apps import apps
from django.db.models import Model
from django.utils import timezone

from billing.models import Payment
from config.references import new_token
from enrollments.models import Enrollment, Participant
from inquiries.models import Inquiry, InquiryStatusChange, new_inquiry_reference
from surveys.models import SurveyInvitation, SurveyQuestion, SurveyTemplate
from workshops.models import Facilitator, Offering, Session, Topic


class TopicFactory(factory.django.DjangoModelFactory[Topic]):
    class Meta:
        model = Topic
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.Sequence(lambda n: f"topic-{n}")


class FacilitatorFactory(factory.django.DjangoModelFactory[Facilitator]):
    class Meta:
        model = Facilitator

    name = factory.Faker("name")
    credentials = "PhD, clinical psychologist"
    bio = "Supports clinicians with warmth and care."


class OfferingFactory(factory.django.DjangoModelFactory[Offering]):
    class Meta:
        model = Offering
        skip_postgeneration_save = True

    kind = Offering.Kind.WORKSHOP
    title = factory.Sequence(lambda n: f"Workshop {n}")
    slug = factory.Sequence(lambda n: f"workshop-{n}")
    summary = "A gentle, practical workshop."
    description = "We practise meeting people without judgment."
    audience = "Clinicians"
    format = Offering.Format.ONLINE
    duration_minutes = 180
    price_cents = 18000
    currency = "EUR"
    is_published = True

    @factory.post_generation
    def topics(self, create: bool, extracted: list[Topic] | None, **kwargs: object) -> None:
        if create and extracted:
            self.topics.set(extracted)

    @factory.post_generation
    def facilitators(
        self, create: bool, extracted: list[Facilitator] | None, **kwargs: object
    ) -> None:
        if create and extracted:
            self.facilitators.set(extracted)


class SessionFactory(factory.django.DjangoModelFactory[Session]):
    class Meta:
        model = Session

    offering = factory.SubFactory(OfferingFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=14))
    ends_at = factory.LazyAttribute(lambda session: session.starts_at + timedelta(hours=3))
    timezone = "Europe/Amsterdam"
    location = "Online"
    meeting_link = "https://meet.example.org/private-room"
    capacity = 12


class EnrollmentFactory(factory.django.DjangoModelFactory[Enrollment]):
    class Meta:
        model = Enrollment

    session = factory.SubFactory(SessionFactory)
    name = "Ada Lovelace"
    email = factory.Sequence(lambda n: f"person{n}@example.org")
    seats = 1
    status = Enrollment.Status.CONFIRMED
    amount_cents = factory.LazyAttribute(lambda e: e.session.price_cents * e.seats)
    currency = "EUR"
    token = factory.LazyFunction(new_token)
    reference = factory.Sequence(lambda n: f"ENR-T{n:05d}")
    consent_at = factory.LazyFunction(timezone.now)
    hold_expires_at = factory.LazyAttribute(
        lambda e: (
            timezone.now() + timedelta(minutes=30)
            if e.status in (Enrollment.Status.PENDING_PAYMENT, Enrollment.Status.OFFERED)
            else None
        )
    )


class PaymentFactory(factory.django.DjangoModelFactory[Payment]):
    class Meta:
        model = Payment
        exclude = ["enrollment"]  # what it pays: the payable

    enrollment = factory.SubFactory(EnrollmentFactory)
    payable = factory.SelfAttribute("enrollment")
    payable_reference = factory.SelfAttribute("enrollment.reference")
    attempt = factory.Sequence(lambda n: n + 1)
    flow = Payment.Flow.PAYMENT_INTENT
    status = Payment.Status.SUCCEEDED
    amount_cents = factory.LazyAttribute(lambda p: p.enrollment.amount_cents)
    currency = "EUR"
    stripe_payment_intent_id = factory.Sequence(lambda n: f"pi_test_{n:08d}")


class InquiryFactory(factory.django.DjangoModelFactory[Inquiry]):
    """A stored inquiry as `inquiry_submit` leaves it, with the step that created it."""

    class Meta:
        model = Inquiry
        skip_postgeneration_save = True

    reference = factory.LazyFunction(new_inquiry_reference)
    kind = Inquiry.Kind.PERSONAL_GUIDANCE
    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"person{n}@example.org")
    message = "I would like to talk about finding more calm in my work."
    consent_at = factory.LazyFunction(timezone.now)
    created_at = factory.LazyFunction(timezone.now)
    status_changed_at = factory.LazyAttribute(lambda inquiry: inquiry.created_at)

    # factory_boy passes the created model, not the factory: named for what it is.
    @factory.post_generation
    def received(inquiry: Inquiry, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            InquiryStatusChange.objects.create(
                inquiry=inquiry, to_status=Inquiry.Status.NEW, at=inquiry.created_at
            )


class ParticipantFactory(factory.django.DjangoModelFactory[Participant]):
    class Meta:
        model = Participant

    enrollment = factory.SubFactory(EnrollmentFactory)
    name = factory.Sequence(lambda n: f"Participant {n}")
    email = factory.Sequence(lambda n: f"participant{n}@example.org")


class SurveyTemplateFactory(factory.django.DjangoModelFactory[SurveyTemplate]):
    class Meta:
        model = SurveyTemplate

    name = factory.Sequence(lambda n: f"Survey {n}")


class SurveyQuestionFactory(factory.django.DjangoModelFactory[SurveyQuestion]):
    class Meta:
        model = SurveyQuestion

    template = factory.SubFactory(SurveyTemplateFactory)
    position = factory.Sequence(lambda n: n)
    key = factory.Sequence(lambda n: f"question-{n}")
    type = SurveyQuestion.Type.RATING
    text = factory.Sequence(lambda n: f"Question {n}?")


class _SurveyModels:
    """The seeding migration asks for the survey models by the app they were born in;
    they are the same tables as the surveys app's."""

    def get_model(self, app_label: str, name: str) -> type[Model]:
        return apps.get_model("surveys", name)


def default_survey_template() -> SurveyTemplate:
    """The template the data migration seeds (flushed by transactional tests, so re-seeded)."""
    seed = importlib.import_module("enrollments.migrations.0005_default_survey_template")
    seed.create_default(_SurveyModels(), None)
    return SurveyTemplate.objects.get(is_default=True)


class SurveyInvitationFactory(factory.django.DjangoModelFactory[SurveyInvitation]):
    class Meta:
        model = SurveyInvitation

    participant = factory.SubFactory(
        ParticipantFactory,
        enrollment__session__starts_at=factory.LazyFunction(
            lambda: timezone.now() - timedelta(days=2)
        ),
    )
    session = factory.LazyAttribute(lambda i: i.participant.enrollment.session)
    template = factory.LazyFunction(default_survey_template)
    token = factory.LazyFunction(new_token)
    invited_at = factory.LazyFunction(timezone.now)
