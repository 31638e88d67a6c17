"""The outbox, inquiries and surveys left enrollments, and payments learned to pay a payable:
a database of the day before keeps every row, grant and link (issue 11).

The test walks the real migrations back to the schema of the commit before the split, writes
rows there with the models as they were, and migrates forward again.
"""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from billing.models import Payment, Refund
from enrollments.models import Enrollment
from inquiries.models import Inquiry
from outbox.models import OutgoingMail
from surveys.models import OfferingSurvey, SurveyInvitation
from tests.factories import PaymentFactory, TopicFactory

# The schema of the commit before the split: the new apps not there at all.
BEFORE = [
    ("workshops", "0002_calendar_sequence"),
    ("enrollments", "0005_default_survey_template"),
    ("billing", "0002_initial"),
    ("outbox", None),
    ("inquiries", None),
    ("surveys", None),
]

# Permissions a practice may have granted on the moved models, by their old app label.
GRANTS = [
    ("inquiry", "view_inquiry"),
    ("inquirynote", "add_inquirynote"),
    ("outgoingmail", "change_outgoingmail"),
    ("surveyinvitation", "view_surveyinvitation"),
    ("surveytemplate", "change_surveytemplate"),
]


def migrate(targets: list[tuple[str, str | None]]) -> None:
    MigrationExecutor(connection).migrate(targets)
    ContentType.objects.clear_cache()


def latest() -> list[tuple[str, str | None]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def the_models_as_they_were():
    """The models as the migrations applied now describe them."""
    loader = MigrationLoader(connection)
    return loader.project_state(list(loader.applied_migrations)).apps


def write_the_old_world(apps) -> dict[str, int]:
    """Rows in every moved table, written with the models as they were before the split."""
    model = apps.get_model
    content_types = model("contenttypes", "ContentType").objects
    permissions = model("auth", "Permission").objects
    now = timezone.now()

    offering = model("workshops", "Offering").objects.create(
        kind="workshop",
        title="Meeting people where they are",
        slug="meeting-people",
        summary="A workshop.",
        format="online",
        duration_minutes=180,
        price_cents=18000,
        currency="EUR",
        is_published=True,
    )
    session = model("workshops", "Session").objects.create(
        offering=offering,
        starts_at=now - timedelta(days=3),
        ends_at=now - timedelta(days=3) + timedelta(hours=3),
        capacity=12,
    )
    enrollment = model("enrollments", "Enrollment").objects.create(
        session=session,
        name="Ada Lovelace",
        email="ada@example.org",
        seats=1,
        status="confirmed",
        amount_cents=18000,
        currency="EUR",
        token="t" * 43,
        reference="ENR-OLD234",
        consent_at=now,
        confirmed_at=now,
    )
    participant = model("enrollments", "Participant").objects.create(
        enrollment=enrollment, name="Ada Lovelace", email="ada@example.org"
    )
    payment = model("billing", "Payment").objects.create(
        enrollment=enrollment,
        attempt=1,
        flow="payment_intent",
        status="succeeded",
        amount_cents=18000,
        currency="EUR",
        stripe_payment_intent_id="pi_before_the_split",
        succeeded_at=now,
    )
    model("billing", "Refund").objects.create(
        payment=payment, amount_cents=5000, currency="EUR", reason="admin", status="succeeded"
    )

    inquiry = model("enrollments", "Inquiry").objects.create(
        reference="INQ-OLD234",
        kind="personal_guidance",
        name="Bo Jansen",
        email="bo@example.org",
        message="I would like to talk.",
        consent_at=now,
    )
    model("enrollments", "InquiryStatusChange").objects.create(inquiry=inquiry, to_status="new")
    model("enrollments", "InquiryNote").objects.create(inquiry=inquiry, text="Called back.")
    inquiry_type, _ = content_types.get_or_create(app_label="enrollments", model="inquiry")
    mail = model("enrollments", "OutgoingMail").objects.create(
        kind="inquiry_acknowledgement",
        to="bo@example.org",
        subject="We received your message",
        body_text="Thank you.",
        related_type=inquiry_type,
        related_id=inquiry.pk,
        next_attempt_at=now,
        status="sent",
        sent_at=now,
    )

    template = model("enrollments", "SurveyTemplate").objects.create(name="After the workshop")
    question = model("enrollments", "SurveyQuestion").objects.create(
        template=template, position=1, key="overall", type="rating", text="How was it?"
    )
    model("enrollments", "OfferingSurvey").objects.create(offering=offering, template=template)
    invitation = model("enrollments", "SurveyInvitation").objects.create(
        participant=participant,
        session=session,
        template=template,
        token="s" * 43,
        invited_at=now,
        submitted_at=now,
    )
    model("enrollments", "SurveyAnswer").objects.create(
        invitation=invitation,
        question=question,
        key="overall",
        type="rating",
        question_text="How was it?",
        number=5,
    )

    group = model("auth", "Group").objects.create(name="Inquiry desk")
    for model_name, codename in GRANTS:
        owner, _ = content_types.get_or_create(app_label="enrollments", model=model_name)
        permission, _ = permissions.get_or_create(
            content_type=owner, codename=codename, defaults={"name": codename}
        )
        group.permissions.add(permission)
    coordinator = model("auth", "User").objects.create(username="coordinator", is_staff=True)
    coordinator.groups.add(group)
    model("admin", "LogEntry").objects.create(
        user=coordinator,
        content_type=inquiry_type,
        object_id=str(inquiry.pk),
        object_repr="INQ-OLD234",
        action_flag=CHANGE,
        change_message="[]",
    )
    return {
        "inquiry": inquiry.pk,
        "inquiry_type": inquiry_type.pk,
        "mail": mail.pk,
        "enrollment": enrollment.pk,
        "invitation": invitation.pk,
    }


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_moving_the_models_out_of_enrollments_keeps_every_row_grant_and_link():
    migrate(BEFORE)
    try:
        apps = the_models_as_they_were()
        old = write_the_old_world(apps)
        # New code that ran before `migrate` (a rolling deploy) made the inquiry's content
        # type under its new app, and an outbox row that points to it.
        stray = apps.get_model("contenttypes", "ContentType").objects.create(
            app_label="inquiries", model="inquiry"
        )
        meanwhile = apps.get_model("enrollments", "OutgoingMail").objects.create(
            kind="inquiry_notification",
            to="practice@example.org",
            subject="A new inquiry",
            body_text="Have a look.",
            related_type=stray,
            related_id=old["inquiry"],
            next_attempt_at=timezone.now(),
        )
    finally:
        migrate(latest())

    inquiry = Inquiry.objects.get(pk=old["inquiry"])
    assert inquiry.reference == "INQ-OLD234"
    assert [note.text for note in inquiry.notes.all()] == ["Called back."]
    assert [step.to_status for step in inquiry.status_changes.all()] == ["new"]

    # The content type moved in place: everything pointing to it followed.
    inquiry_type = ContentType.objects.get_for_model(Inquiry)
    assert inquiry_type.pk == old["inquiry_type"]
    assert OutgoingMail.objects.get(pk=old["mail"]).related == inquiry
    assert OutgoingMail.objects.get(pk=meanwhile.pk).related == inquiry
    assert ContentType.objects.filter(model="inquiry").count() == 1
    assert LogEntry.objects.get(object_id=str(inquiry.pk)).get_edited_object() == inquiry
    coordinator = User.objects.get(username="coordinator")
    assert coordinator.get_group_permissions() == {
        "inquiries.view_inquiry",
        "inquiries.add_inquirynote",
        "outbox.change_outgoingmail",
        "surveys.view_surveyinvitation",
        "surveys.change_surveytemplate",
    }
    moved = ["inquiry", "inquirynote", "inquirystatuschange", "outgoingmail", "surveyinvitation"]
    assert not ContentType.objects.filter(app_label="enrollments", model__in=moved).exists()

    invitation = SurveyInvitation.objects.get(pk=old["invitation"])
    assert [(answer.key, answer.number) for answer in invitation.answers.all()] == [("overall", 5)]
    assert invitation.participant.enrollment_id == old["enrollment"]
    assert OfferingSurvey.objects.get().template == invitation.template

    enrollment = Enrollment.objects.get(pk=old["enrollment"])
    payment = Payment.objects.get()
    assert payment.payable == enrollment
    assert payment.payable_reference == "ENR-OLD234"
    assert list(enrollment.payments.all()) == [payment]
    assert Refund.objects.get().payment == payment


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_split_can_be_undone_with_everything_in_place():
    migrate(BEFORE)
    try:
        old = write_the_old_world(the_models_as_they_were())
        migrate(latest())
        migrate(BEFORE)  # and back again, as a release rolled back would

        apps = the_models_as_they_were()
        inquiry_type = apps.get_model("contenttypes", "ContentType").objects.get(
            pk=old["inquiry_type"]
        )
        assert (inquiry_type.app_label, inquiry_type.model) == ("enrollments", "inquiry")
        mail = apps.get_model("enrollments", "OutgoingMail").objects.get(pk=old["mail"])
        assert (mail.related_type_id, mail.related_id) == (inquiry_type.pk, old["inquiry"])
        payment = apps.get_model("billing", "Payment").objects.get()
        assert payment.enrollment_id == old["enrollment"]
        answers = apps.get_model("enrollments", "SurveyAnswer").objects
        assert answers.filter(invitation_id=old["invitation"]).count() == 1
    finally:
        migrate(latest())


@pytest.mark.django_db
def test_a_payment_for_something_else_than_a_booking_stops_the_way_back():
    migration = importlib.import_module("billing.migrations.0003_payment_payable")
    topic = TopicFactory.create()
    PaymentFactory.create(payable=topic, payable_reference="TOPIC-1")

    with pytest.raises(RuntimeError, match="1 payment\\(s\\) pay something other than a booking"):
        migration.pay_for_bookings(django_apps, connection.schema_editor())
