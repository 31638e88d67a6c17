"""DESIGN.md invariant 8: personal data ends, and one person can be erased everywhere.

The models covered are derived, not listed: every text, email or JSON field of every model
of the project's apps is either kept by a keeper (config/privacy.py), which purges and
erases it, or declared free of personal data. A person's life in Regard leaves a marker in
every field it can reach; after the purge, and after erasing that person, the marker is
nowhere, in any field of any model, while another person's is where it was.
"""

import io
import json
import tomllib
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.apps import apps
from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import models
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from billing.models import StripeEvent
from billing.privacy import BUYER_FIELDS
from billing.services.invoices import BilledLine, Buyer, invoice_issue
from billing.tax import TaxRule
from certificates.services import certificate_issue
from config import privacy
from config.references import new_reference, new_token
from enrollments.models import Enrollment, IdempotencyKey, Participant
from enrollments.services.roster import queue_confirmations
from inquiries.services import inquiry_add_note, inquiry_submit
from organizations.models import Contact, Organization, Proposal
from outbox.models import OutgoingMail
from surveys.services import survey_submit
from tests.factories import (
    EnrollmentFactory,
    ParticipantFactory,
    SessionFactory,
    SurveyInvitationFactory,
)

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
PROJECT_APPS = [
    package
    for package in tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"][
        "root_packages"
    ]
    if package != "config"
]
TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField)


def project_models() -> list[type[models.Model]]:
    return [model for app in PROJECT_APPS for model in apps.get_app_config(app).get_models()]


def scanned_models() -> list[type[models.Model]]:
    """Where a trace is looked for: the project's models, and the admin's log."""
    return [*project_models(), LogEntry]


def text_fields(model: type[models.Model]) -> list[models.Field]:
    """Fields that could hold what tells who someone is or what they said."""
    return [
        field
        for field in model._meta.concrete_fields
        if isinstance(field, TEXT_FIELDS) and not field.choices and not field.primary_key
    ]


def test_every_text_field_of_every_model_is_kept_or_declared_free():
    kept = privacy.kept_fields()
    free = privacy.registry.free
    unaccounted = [
        f"{model._meta.label}.{field.name}"
        for model in project_models()
        for field in text_fields(model)
        if field.name not in kept.get(model, set()) and field.name not in free.get(model, {})
    ]

    assert unaccounted == [], "declare these kept by a keeper, or free of personal data"


def test_every_app_of_the_project_is_walked():
    walked = {model._meta.app_label for model in project_models()}
    assert walked >= {"outbox", "workshops", "billing", "enrollments", "inquiries", "surveys"}


# --- A person's life, and where it leaves a trace ----------------------------------------------


def live(marker: str) -> str:
    """Everything a person can leave in Regard, each carrying `marker`; returns their email."""
    email = f"{marker}@example.org"
    staff, _ = User.objects.get_or_create(username="practice", defaults={"is_staff": True})
    inquiry = inquiry_submit(
        kind="personal_guidance",
        name=f"Person {marker}",
        email=email,
        phone="+31 6 1234 5678",
        organization=f"Clinic {marker}",
        preferred_dates=f"{marker}: mornings",
        message=f"I have been struggling since spring ({marker}).",
    )
    inquiry_add_note(inquiry=inquiry, author=staff, text=f"Called {marker} back.")

    session = SessionFactory.create(starts_at=timezone.now() - timedelta(days=3))
    booking = EnrollmentFactory.create(
        session=session, name=f"Person {marker}", email=email, organization=f"Clinic {marker}"
    )
    participant = ParticipantFactory.create(
        enrollment=booking, name=f"Person {marker}", email=email
    )
    queue_confirmations(booking)  # the emails it owes, with the name in them
    LogEntry.objects.log_actions(  # staff changed the booking: the log names it
        user_id=staff.pk,
        queryset=[booking, participant],
        action_flag=CHANGE,
        change_message="Changed name.",
        single_object=False,
    )
    invitation = SurveyInvitationFactory.create(participant=participant, session=session)
    survey_submit(
        invitation_id=invitation.pk,
        answers={
            "overall": 5,
            "felt_heard": 5,
            "recommend": 10,
            "most_valuable": f"Being listened to, {marker}.",
        },
    )
    StripeEvent.objects.create(
        stripe_id=f"evt_{new_token()[:16]}",
        type="checkout.session.completed",
        payload={"id": "evt_1", "data": {"object": {"id": "cs_1", "customer_email": email}}},
        processed_at=timezone.now(),
    )
    IdempotencyKey.objects.create(
        key=new_token(),
        request_hash="0" * 64,
        status_code=201,
        response={"reference": booking.reference, "token": booking.token, "note": marker},
    )
    clinic = Organization.objects.create(name="A clinic", billing_email=email)
    Contact.objects.create(
        organization=clinic, name=f"Person {marker}", email=email, phone="+31 6 5555 0000"
    )
    Proposal.objects.create(
        reference=new_reference("PRO"),
        token=new_token(),
        organization=clinic,
        contact_name=f"Person {marker}",
        contact_email=email,
        offering=session.offering,
        seats=3,
        price_cents=12100,
        valid_until=timezone.localdate(),
        terms="Free to cancel until two weeks before.",
        message=f"Lovely to hear from you, {marker}.",
        po_number=f"PO {marker}",
        decline_reason=f"Not this year ({marker}).",
    )
    invoice_issue(  # the receipt: kept, by law, longer than the rest
        buyer=Buyer(
            name=f"Person {marker}",
            email=email,
            company=f"Clinic {marker}",
            address=f"{marker} lane 1",
            postal_code="1011 AB",
            city="Amsterdam",
            country="NL",
            vat_id="",
        ),
        lines=[
            BilledLine(description="A workshop", quantity=1, unit_price_cents=18000, tax=TaxRule())
        ],
        currency="EUR",
        payable=booking,
        reference=booking.reference,
        po_number=f"PO {marker}",
    )
    participant.attendance = "present"  # there the whole session: a certificate, kept too
    participant.save()
    certificate_issue(participant_id=participant.pk)
    return email


# Where a person stays on purpose, until INVOICE_RETENTION_YEARS: the buyer on invoices.
ON_INVOICES = {
    "billing.Invoice.buyer_name",
    "billing.Invoice.buyer_email",
    "billing.Invoice.buyer_company",
    "billing.Invoice.buyer_address",
    "billing.Invoice.po_number",
}
# ...and certificates, until CERTIFICATE_RETENTION_YEARS, for accreditors' audits.
ON_CERTIFICATES = {"certificates.Certificate.participant_name", "certificates.Certificate.email"}
KEPT_RECORDS = ON_INVOICES | ON_CERTIFICATES


def outside_invoices(found: dict[str, int]) -> dict[str, int]:
    return {field: rows for field, rows in found.items() if field not in KEPT_RECORDS}


def traces(marker: str) -> dict[str, int]:
    """Where `marker` can still be read: rows per field, in every text field of every model."""
    found = {}
    for model in scanned_models():
        for field in text_fields(model):
            rows = (
                model._default_manager.annotate(scanned=Cast(field.name, TextField()))
                .filter(Q(scanned__icontains=marker))
                .count()
            )
            if rows:
                found[f"{model._meta.label}.{field.name}"] = rows
    return found


def test_a_life_leaves_traces_where_the_scan_looks():
    live("ada-7q")

    found = traces("ada-7q")

    # The scan sees every kind: the test below would pass vacuously otherwise.
    assert {
        "inquiries.Inquiry.name",
        "inquiries.Inquiry.message",
        "inquiries.InquiryNote.text",
        "enrollments.Enrollment.organization",
        "enrollments.Participant.name",
        "surveys.SurveyAnswer.text",
        "outbox.OutgoingMail.body_text",
        "outbox.OutgoingMail.to",
        "billing.StripeEvent.payload",
        "enrollments.IdempotencyKey.response",
        "organizations.Contact.name",
        "organizations.Proposal.decline_reason",
        *KEPT_RECORDS,
    } <= set(found)
    assert {f"billing.Invoice.{name}" for name in BUYER_FIELDS} >= ON_INVOICES


def test_the_purge_leaves_no_trace_of_anyone_past_retention():
    live("ada-7q")
    later = timezone.now() + timedelta(days=settings.PERSONAL_DATA_RETENTION_DAYS + 30)

    with time_machine.travel(later, tick=False):
        purged = privacy.purge_all()
        again = privacy.purge_all()
    assert set(traces("ada-7q")) == KEPT_RECORDS  # the law keeps the invoice longer
    with time_machine.travel(
        later.replace(year=later.year + settings.INVOICE_RETENTION_YEARS), tick=False
    ):
        purged_later = privacy.purge_all()

    assert traces("ada-7q") == {}
    # Every kind had something to purge, and once is enough.
    kept = ("invoices", "certificates")
    assert all(count for kind, count in purged.items() if kind not in kept), purged
    assert (purged_later["invoices"], purged_later["certificates"]) == (1, 1)
    assert not any(again.values()), again


def test_the_purge_keeps_what_is_still_within_retention():
    live("ada-7q")
    before = traces("ada-7q")

    with time_machine.travel(timezone.now() + timedelta(hours=23), tick=False):
        privacy.purge_all()

    assert traces("ada-7q") == before


@pytest.mark.parametrize(
    ("after", "gone"),
    [
        (timedelta(hours=25), {"enrollments.IdempotencyKey.response"}),
        (
            timedelta(days=settings.STRIPE_EVENT_PAYLOAD_DAYS + 1),
            {"enrollments.IdempotencyKey.response", "billing.StripeEvent.payload"},
        ),
    ],
)
def test_retried_requests_last_a_day_and_stripe_payloads_a_month(after, gone):
    live("ada-7q")
    before = traces("ada-7q")

    with time_machine.travel(timezone.now() + after, tick=False):
        privacy.purge_all()

    assert set(before) - set(traces("ada-7q")) == gone


def test_erasing_one_person_leaves_no_trace_of_them_and_touches_nobody_else():
    ada = live("ada-7q")
    live("bo-3k")
    bo_before = traces("bo-3k")
    bo_booking = Enrollment.objects.filter(email__startswith="bo-3k").values().get()

    erasure = privacy.erase_person(email=ada.upper())

    assert outside_invoices(traces("ada-7q")) == {}
    assert set(traces("ada-7q")) == KEPT_RECORDS  # the legal record stays, and says so
    assert traces("bo-3k") == bo_before
    assert Enrollment.objects.filter(email__startswith="bo-3k").values().get() == bo_booking
    assert erasure.erased["bookings"] == 1
    assert erasure.erased["inquiries"] == 1
    assert "invoices" in erasure.kept
    # Counts stay right: the anonymized rows are still there.
    assert Enrollment.objects.count() == 2


def test_a_dry_run_counts_exactly_what_erasing_would_do_and_changes_nothing():
    ada = live("ada-7q")
    before = traces("ada-7q")

    counted = privacy.erase_person(email=ada, dry_run=True)

    assert traces("ada-7q") == before
    assert privacy.erase_person(email=ada).erased == counted.erased


def test_an_erased_booking_link_leads_nowhere(api):
    ada = live("ada-7q")
    token = Enrollment.objects.get(email=ada).token

    privacy.erase_person(email=ada)

    assert api.get(f"/api/v1/enrollments/{token}/").status_code == 404


def test_the_export_hands_over_everything_of_one_person():
    ada = live("ada-7q")
    live("bo-3k")

    export = privacy.export_person(email=ada)

    text = json.dumps(export)
    assert "bo-3k" not in text
    assert {
        kind: bool(export[kind]) for kind in export if kind not in ("email", "exported_at")
    } == {
        "survey answers": True,
        "inquiries": True,
        "retried requests": False,  # a copy of the booking's first answer: nothing of its own
        "participants": True,
        "bookings": True,
        "payment events": True,
        "emails": True,
        "invoices": True,
        "organization contacts": True,
        "proposals": True,
        "certificates": True,
    }
    assert export["inquiries"][0]["notes"][0]["text"] == "Called ada-7q back."


def test_the_commands_erase_and_export_and_say_what_they_did():
    ada = live("ada-7q")
    exported, dry, done = io.StringIO(), io.StringIO(), io.StringIO()

    call_command("export_person", ada, stdout=exported)
    call_command("erase_person", ada, "--dry-run", stdout=dry)
    assert traces("ada-7q")  # a dry run changes nothing
    call_command("erase_person", ada, stdout=done)

    assert json.loads(exported.getvalue())["bookings"][0]["email"] == ada
    assert f"Would erase the personal data of {ada}:" in dry.getvalue()
    assert "  bookings: 1" in done.getvalue()
    assert "  invoices: kept." in done.getvalue()
    assert "invoices: 0" not in done.getvalue()
    assert set(traces("ada-7q")) == KEPT_RECORDS


def test_the_daily_task_purges_every_kind():
    from enrollments.tasks import purge_expired_personal_data

    live("ada-7q")
    with time_machine.travel(
        timezone.now() + timedelta(days=settings.PERSONAL_DATA_RETENTION_DAYS + 30), tick=False
    ):
        purge_expired_personal_data()

    assert set(traces("ada-7q")) == KEPT_RECORDS


def test_nothing_is_written_to_an_erased_person():
    ada = live("ada-7q")
    booking = Enrollment.objects.get(email=ada)
    privacy.erase_person(email=ada)
    booking.refresh_from_db()

    queue_confirmations(booking)

    assert outside_invoices(traces("ada-7q")) == {}


def booking_for_someone_else(purchaser: str, participant: str) -> None:
    """`purchaser` books two seats, for themselves and for `participant`."""
    session = SessionFactory.create(starts_at=timezone.now() - timedelta(days=3))
    booking = EnrollmentFactory.create(
        session=session, seats=2, name=f"Person {purchaser}", email=f"{purchaser}@example.org"
    )
    for marker in (purchaser, participant):
        ParticipantFactory.create(
            enrollment=booking, name=f"Person {marker}", email=f"{marker}@example.org"
        )
    queue_confirmations(booking)  # each names the other


def rows_of(marker: str) -> dict[str, list[dict]]:
    """What is the person's own: the emails sent to them, and their participant row."""
    address = f"{marker}@example.org"
    emails = OutgoingMail.objects.filter(to=address).order_by("pk")
    return {
        "emails": [dict(row) for row in emails.values("subject", "body_text", "body_html", "to")],
        "participant": [dict(row) for row in Participant.objects.filter(email=address).values()],
    }


@pytest.mark.parametrize(("erased", "kept"), [("zed-5m", "ada-7q"), ("ada-7q", "zed-5m")])
def test_emails_about_a_shared_booking_lose_only_the_erased_persons_name(erased, kept):
    booking_for_someone_else("ada-7q", "zed-5m")
    assert "outbox.OutgoingMail.body_text" in traces(erased)
    their_email = OutgoingMail.objects.get(to=f"{kept}@example.org")
    assert f"Person {erased}" in their_email.body_text  # each email names the other person
    kept_before = rows_of(kept)

    privacy.erase_person(email=f"{erased}@example.org")

    assert traces(erased) == {}
    their_email.refresh_from_db()
    assert f"Person {erased}" not in their_email.body_text
    assert "[erased]" in their_email.body_text
    after = rows_of(kept)
    for row in (*kept_before["emails"], *after["emails"]):  # all but the other's name
        for name in ("subject", "body_text", "body_html"):
            row[name] = row[name].replace(f"Person {erased}", "[erased]")
    assert after == kept_before


def test_a_stripe_payload_is_matched_by_the_whole_address():
    an, joan = (
        StripeEvent.objects.create(
            stripe_id=f"evt_{new_token()[:16]}",
            type="checkout.session.completed",
            payload={"data": {"object": {"id": "cs_1", "customer_email": address}}},
            processed_at=timezone.now(),
        )
        for address in ("an-4x@example.org", "joan-4x@example.org")
    )
    joan_before = joan.payload

    exported = privacy.export_person(email="an-4x@example.org")["payment events"]
    privacy.erase_person(email="an-4x@example.org")

    an.refresh_from_db()
    joan.refresh_from_db()
    assert [event["payload"]["data"]["object"]["customer_email"] for event in exported] == [
        "an-4x@example.org"
    ]
    assert "an-4x@example.org" not in json.dumps(an.payload)
    assert joan.payload == joan_before


def test_the_report_counts_every_email_to_the_person_even_those_gone_with_a_record():
    ada = live("ada-7q")
    written = OutgoingMail.objects.filter(to=ada).count()
    with_the_inquiry = OutgoingMail.objects.filter(to=ada, kind__startswith="inquiry").count()
    assert with_the_inquiry >= 1  # deleted with the inquiry, before the emails are reached

    erasure = privacy.erase_person(email=ada)

    assert erasure.erased["emails"] >= written
