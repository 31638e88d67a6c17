from datetime import timedelta

import factory
from django.utils import timezone

from enrollments.models import Inquiry, InquiryStatusChange, new_inquiry_reference
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
