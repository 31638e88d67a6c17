"""The hosted Checkout flow (localstripe has no Checkout): stubbed HTTP, real-shaped objects."""

import json
from datetime import timedelta
from http import HTTPStatus

import pytest
import responses
import time_machine
from django.utils import timezone

from billing.models import Invoice, Payment
from billing.services.invoices import BilledLine, Buyer, invoice_issue
from billing.services.payments import payment_succeeded
from billing.services.stripe_events import payments_reconcile
from billing.tax import TaxRule
from enrollments.models import Enrollment
from enrollments.services import holds
from tests.conftest import STRIPE_TEST_BASE
from tests.factories import EnrollmentFactory, PaymentFactory, SessionFactory
from tests.stripe_payloads import checkout_session, form, payment_intent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def checkout_flow(stripe_settings):
    stripe_settings.PAYMENT_FLOW = "checkout"
    stripe_settings.SITE_URL = "https://book.example.org"


@pytest.fixture
def stripe_checkout():
    created = {}
    with responses.RequestsMock(assert_all_requests_are_fired=False) as stub:

        def create(request):
            params = form(request)
            created.update(
                checkout_session(
                    amount=int(params["line_items[0][price_data][unit_amount]"])
                    * int(params["line_items[0][quantity]"]),
                    reference=params["client_reference_id"],
                )
            )
            return (200, {}, json.dumps(created))

        stub.add_callback(
            responses.POST, f"{STRIPE_TEST_BASE}/v1/checkout/sessions", callback=create
        )
        yield stub, created


def test_checkout_sends_stripe_what_it_needs_and_nothing_personal(api, stripe_checkout):
    stub, created = stripe_checkout
    session = SessionFactory.create(
        offering__price_cents=18000, offering__title="Regard in Practice"
    )

    with time_machine.travel(timezone.now(), tick=False):
        response = api.post(
            "/api/v1/enrollments/",
            {
                "session": session.id,
                "name": "Ada Lovelace",
                "email": "ada@example.org",
                "seats": 2,
                "consent": True,
            },
            format="json",
        )
        now = timezone.now()

    assert response.status_code == HTTPStatus.CREATED
    enrollment = Enrollment.objects.get()
    assert response.json()["payment"] == {"checkout_url": created["url"]}
    request = stub.calls[0].request
    params = form(request)
    assert request.headers["Idempotency-Key"] == f"enrollment-{enrollment.pk}-payment-1"
    assert params["mode"] == "payment"
    assert params["line_items[0][quantity]"] == "2"
    assert params["line_items[0][price_data][unit_amount]"] == "18000"
    assert params["line_items[0][price_data][currency]"] == "eur"
    assert params["line_items[0][price_data][product_data][name]"].startswith("Regard in Practice")
    assert params["client_reference_id"] == enrollment.reference
    assert params["metadata[enrollment_reference]"] == enrollment.reference
    assert params["payment_intent_data[metadata][enrollment_reference]"] == enrollment.reference
    # Back through the Checkout Session's id: Stripe never holds the booking's secret link.
    assert params["success_url"] == (
        "https://book.example.org/payments/checkout/{CHECKOUT_SESSION_ID}/"
    )
    assert params["cancel_url"] == "https://book.example.org/payments/checkout/cancelled/"
    assert not any(enrollment.token in value for value in params.values())
    # The hold is 30 minutes; Stripe needs a little more, and a late payment is handled.
    assert int(params["expires_at"]) == int((now + timedelta(minutes=31)).timestamp())
    assert params["customer_email"] == "ada@example.org"  # receipts come from Stripe
    assert not any("Lovelace" in value for value in params.values())
    payment = Payment.objects.get()
    assert (payment.flow, payment.stripe_checkout_session_id) == (
        "checkout",
        created["id"],
    )


def test_checkout_expiry_follows_a_hold_longer_than_stripes_minimum(api, stripe_checkout, settings):
    stub, _created = stripe_checkout
    settings.ENROLLMENT_HOLD_MINUTES = 60
    session = SessionFactory.create()

    api.post(
        "/api/v1/enrollments/",
        {"session": session.id, "name": "Ada", "email": "ada@example.org", "consent": True},
        format="json",
    )

    enrollment = Enrollment.objects.get()
    sent = int(form(stub.calls[0].request)["expires_at"])
    assert enrollment.hold_expires_at is not None
    assert sent == int(enrollment.hold_expires_at.timestamp())


def test_checkout_expiry_stays_within_stripes_day_for_a_longer_hold(api, stripe_checkout, settings):
    stub, _created = stripe_checkout
    settings.ENROLLMENT_HOLD_MINUTES = 36 * 60  # as long as some offers from the waitlist
    session = SessionFactory.create(starts_at=timezone.now() + timedelta(days=5))
    now = timezone.now()

    api.post(
        "/api/v1/enrollments/",
        {"session": session.id, "name": "Ada", "email": "ada@example.org", "consent": True},
        format="json",
    )

    sent = int(form(stub.calls[0].request)["expires_at"])
    assert sent == pytest.approx((now + timedelta(hours=23, minutes=55)).timestamp(), abs=5)


def test_reconcile_applies_a_payment_whose_webhook_never_came(stripe_checkout, api):
    stub, created = stripe_checkout
    session = SessionFactory.create()
    api.post(
        "/api/v1/enrollments/",
        {"session": session.id, "name": "Ada", "email": "ada@example.org", "consent": True},
        format="json",
    )
    paid = {
        **created,
        "status": "complete",
        "payment_status": "paid",
        "payment_intent": "pi_test_reconciled",
    }
    stub.add(responses.GET, f"{STRIPE_TEST_BASE}/v1/checkout/sessions/{paid['id']}", json=paid)

    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        assert payments_reconcile()["payments"] == 1

    assert Enrollment.objects.get().status == Enrollment.Status.CONFIRMED
    assert Payment.objects.get().stripe_payment_intent_id == "pi_test_reconciled"


def test_reconcile_asks_about_payment_intents_too(api, settings):
    settings.PAYMENT_FLOW = "payment_intent"
    session = SessionFactory.create()
    with responses.RequestsMock() as stub:
        intent = payment_intent(amount=session.price_cents)
        stub.add(responses.POST, f"{STRIPE_TEST_BASE}/v1/payment_intents", json=intent)
        api.post(
            "/api/v1/enrollments/",
            {"session": session.id, "name": "Ada", "email": "ada@example.org", "consent": True},
            format="json",
        )
        enrollment = Enrollment.objects.get()
        stub.add(
            responses.GET,
            f"{STRIPE_TEST_BASE}/v1/payment_intents/{intent['id']}",
            json={
                **intent,
                "status": "succeeded",
                "metadata": {"enrollment_reference": enrollment.reference},
            },
        )
        with time_machine.travel(timezone.now() + timedelta(minutes=11)):
            payments_reconcile()

    assert Enrollment.objects.get().status == Enrollment.Status.CONFIRMED


@pytest.mark.parametrize(("seats", "amount"), [(3, 54000), (3, 50000)])
def test_what_a_booking_asks_billing_to_collect_is_exactly_its_amount(seats, amount):
    # 50000 for three seats does not divide: the lines must not round a cent away.
    enrollment = EnrollmentFactory.create(
        seats=seats, amount_cents=amount, status=Enrollment.Status.PENDING_PAYMENT
    )

    request = holds.payment_request(enrollment)

    assert request.amount_cents == amount
    assert request.reference == enrollment.reference
    assert enrollment.token not in request.success_url + request.cancel_url


@pytest.fixture
def checkout_sessions():
    """Stripe's word on two Checkout Sessions: one paid, one left open."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as stub:
        for session_id, status in (("cs_test_paid", "complete"), ("cs_test_open", "open")):
            stub.add(
                responses.GET,
                f"{STRIPE_TEST_BASE}/v1/checkout/sessions/{session_id}",
                json={
                    **checkout_session(amount=18000, reference="ENR-T1"),
                    "id": session_id,
                    "status": status,
                },
            )
        yield stub


def test_the_way_back_from_checkout_leads_to_the_booking_once_paid_and_for_a_while(
    client, checkout_sessions
):
    paid, unpaid = (
        EnrollmentFactory.create(status=Enrollment.Status.PENDING_PAYMENT) for _ in range(2)
    )
    for booking, session_id in ((paid, "cs_test_paid"), (unpaid, "cs_test_open")):
        PaymentFactory.create(
            enrollment=booking,
            flow=Payment.Flow.CHECKOUT,
            status=Payment.Status.PENDING,
            stripe_checkout_session_id=session_id,
        )

    right_away = client.get("/payments/checkout/cs_test_paid/")
    not_paid = client.get("/payments/checkout/cs_test_open/")
    unknown = client.get("/payments/checkout/cs_test_someone_else/")
    with time_machine.travel(timezone.now() + timedelta(hours=3)):
        later = client.get("/payments/checkout/cs_test_paid/")

    assert right_away.status_code == HTTPStatus.FOUND
    assert right_away["Location"] == f"/enrollments/{paid.token}/?paid=1"
    assert "no-store" in right_away["Cache-Control"]
    for not_a_key, booking in ((not_paid, unpaid), (unknown, paid), (later, paid)):
        assert not_a_key.status_code == HTTPStatus.OK
        assert booking.token not in not_a_key.content.decode()
        assert "we have sent you an email" in not_a_key.content.decode()


def test_leaving_checkout_without_paying_says_nothing_was_charged(client):
    page = client.get("/payments/checkout/cancelled/")

    assert page.status_code == HTTPStatus.OK
    assert "nothing was charged" in page.content.decode()


def test_an_invoice_is_paid_on_checkout_and_the_way_back_leads_to_it(api, client, stripe_checkout):
    stub, created = stripe_checkout
    invoice = invoice_issue(
        buyer=Buyer(name="Jonas", email="jonas@example.org", company="Praxis Weber"),
        lines=[BilledLine("Team training", 3, 12100, TaxRule())],
        currency="EUR",
    )

    response = api.post(f"/api/v1/invoices/{invoice.token}/pay/")

    assert response.json() == {"checkout_url": created["url"]}
    params = form(stub.calls[0].request)
    assert params["client_reference_id"] == invoice.number
    assert params["line_items[0][price_data][unit_amount]"] == "36300"
    assert params["customer_email"] == "jonas@example.org"
    payment = Payment.objects.get()
    Payment.objects.filter(pk=payment.pk).update(stripe_checkout_session_id="cs_test_paid")
    payment_succeeded(payment_id=payment.pk)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_cents) == (Invoice.Status.PAID, 36300)
    stub.add(
        responses.GET,
        f"{STRIPE_TEST_BASE}/v1/checkout/sessions/cs_test_paid",
        json={**created, "id": "cs_test_paid", "status": "complete"},
    )
    back = client.get("/payments/checkout/cs_test_paid/")
    assert back["Location"] == f"/invoices/{invoice.token}/?paid=1"
