"""Receipts for everyone (DESIGN.md): every paid booking gets an invoice with the buyer's
details, a business adds its company and VAT ID from the booking page (a credit note and a
corrected invoice), and a refund is a credit note."""

import html
from datetime import timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.utils import timezone

from billing.models import Invoice, Payment, Refund
from enrollments.models import Enrollment
from enrollments.services.cancellation import enrollment_cancel
from outbox.models import OutgoingMail
from tests.factories import EnrollmentFactory, PaymentFactory, SessionFactory
from tests.pages import field_errors
from tests.stripe_payloads import delivery, payment_succeeded

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_settings", "eager_tasks")]

WEBHOOK = "/api/v1/billing/stripe/webhook/"
GERMAN_CLINIC = {
    "company": "Praxis Weber GmbH",
    "address": "Hauptstraße 5",
    "postal_code": "10115",
    "city": "Berlin",
    "country": "de",
    "vat_id": "DE 136 695 976",
}


@pytest.fixture
def paid(api, django_capture_on_commit_callbacks, settings):
    """A booking of an online session at 21% VAT, paid through Stripe's webhook."""
    settings.DEFAULT_TAX_RATE = Decimal(21)

    def pay(**changes):
        session = SessionFactory.create(
            starts_at=timezone.now() + timedelta(days=30), offering__price_cents=12100
        )
        booking = EnrollmentFactory.create(
            session=session, status=Enrollment.Status.PENDING_PAYMENT, amount_cents=12100, **changes
        )
        payment = PaymentFactory.create(
            enrollment=booking, status=Payment.Status.PENDING, amount_cents=12100
        )
        payload, header = delivery(payment_succeeded(payment))
        with django_capture_on_commit_callbacks(execute=True):
            api.generic(
                "POST",
                WEBHOOK,
                payload,
                content_type="application/json",
                HTTP_STRIPE_SIGNATURE=header,
            )
        booking.refresh_from_db()
        return booking

    return pay


def test_a_paid_booking_gets_a_paid_invoice_linked_from_its_confirmation(paid):
    booking = paid(name="Ada Lovelace", organization="")

    invoice = Invoice.objects.get()
    assert booking.status == Enrollment.Status.CONFIRMED
    assert (invoice.payable, invoice.payable_reference) == (booking, booking.reference)
    assert (invoice.buyer_name, invoice.buyer_email) == ("Ada Lovelace", booking.email)
    assert (invoice.net_cents, invoice.tax_cents, invoice.total_cents) == (10000, 2100, 12100)
    assert (invoice.status, invoice.paid_cents) == (Invoice.Status.PAID, 12100)
    assert invoice.payments.get().payment == booking.payments.get()
    [confirmation] = OutgoingMail.objects.filter(to=booking.email)  # one email, not two
    assert invoice.number in confirmation.body_text
    assert f"/invoices/{invoice.token}/" in confirmation.body_text


def test_a_free_booking_has_nothing_to_invoice(api):
    session = SessionFactory.create(offering__price_cents=0)

    api.post(
        "/api/v1/enrollments/",
        {"session": session.pk, "name": "Bo", "email": "bo@example.org", "consent": True},
        format="json",
    )

    assert Enrollment.objects.get().status == Enrollment.Status.CONFIRMED
    assert not Invoice.objects.exists()


def test_a_business_adds_its_vat_id_and_gets_a_corrected_invoice(client, paid, stripe_refunds):
    booking = paid()
    first = Invoice.objects.get()

    response = client.post(f"/enrollments/{booking.token}/business/", GERMAN_CLINIC)

    assert response.status_code == HTTPStatus.FOUND
    first.refresh_from_db()
    note = first.credit_notes.get()
    corrected = Invoice.objects.filter(kind=Invoice.Kind.INVOICE).exclude(pk=first.pk).get()
    assert (first.status, note.total_cents) == (Invoice.Status.VOID, -12100)
    assert (corrected.buyer_company, corrected.buyer_country, corrected.buyer_vat_id) == (
        "Praxis Weber GmbH",
        "DE",
        "DE136695976",
    )
    # An online training bought by a German business: reverse charged, the VAT given back.
    assert (corrected.reverse_charge, corrected.total_cents, corrected.status) == (
        True,
        10000,
        Invoice.Status.PAID,
    )
    assert Refund.objects.get().amount_cents == 2100
    page = client.get(f"/enrollments/{booking.token}/").content.decode()
    assert corrected.number in page
    assert OutgoingMail.objects.filter(kind="invoice_corrected").count() == 1


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("vat_id", "DE136695977", "doesn't look like one from Germany"),
        ("vat_id", "NL004495445B01", "doesn't look like one from Germany"),
        ("country", "XX", "two-letter code"),
        ("country", "Germany", "two-letter code"),
        ("company", "", "organization's name"),
        ("postal_code", "1" * 21, "20 characters"),
    ],
)
def test_business_details_that_do_not_fit_are_refused_kindly_and_change_nothing(
    client, paid, field, value, says
):
    booking = paid()

    response = client.post(
        f"/enrollments/{booking.token}/business/", {**GERMAN_CLINIC, field: value}
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    errors = [html.unescape(e) for e in field_errors(response.content.decode(), f"f-{field}")]
    assert any(says in error for error in errors), errors
    assert Invoice.objects.count() == 1


def test_a_cancellation_with_a_refund_issues_a_credit_note(paid, stripe_refunds):
    booking = paid()

    enrollment_cancel(enrollment_id=booking.pk)

    invoice = Invoice.objects.get(kind=Invoice.Kind.INVOICE)
    note = Invoice.objects.get(kind=Invoice.Kind.CREDIT_NOTE)
    assert (note.refers_to, note.total_cents, note.tax_cents) == (invoice, -12100, -2100)
    assert "Refunded" in note.reason
