"""Stripe webhooks: verified, stored once, applied by state (DESIGN.md invariants 2 and 3)."""

import json
import time
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.utils import timezone

from billing.models import Payment, Refund, StripeEvent
from billing.services.stripe_events import stripe_event_process
from enrollments.models import Enrollment
from outbox.models import OutgoingMail
from tests.conftest import to_people
from tests.factories import EnrollmentFactory, PaymentFactory, SessionFactory
from tests.stripe_payloads import (
    charge_refunded,
    checkout_session,
    delivery,
    event,
    payment_intent,
    payment_succeeded,
    refund,
    signature,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_settings", "eager_tasks")]

URL = "/api/v1/billing/stripe/webhook/"


@pytest.fixture
def send(api, django_capture_on_commit_callbacks):
    """Deliver an event the way Stripe does, and let the queued work run."""

    def deliver(body, **signing):
        payload, header = delivery(body, **signing)
        with django_capture_on_commit_callbacks(execute=True):
            return api.generic(
                "POST", URL, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
            )

    return deliver


def held(**changes):
    enrollment = EnrollmentFactory.create(status=Enrollment.Status.PENDING_PAYMENT, **changes)
    payment = PaymentFactory.create(enrollment=enrollment, status=Payment.Status.PENDING)
    return enrollment, payment


def test_a_payment_confirms_the_held_seat_and_sends_confirmations(send, mailoutbox):
    enrollment, payment = held()

    response = send(payment_succeeded(payment))

    assert response.status_code == HTTPStatus.OK
    enrollment.refresh_from_db()
    payment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.CONFIRMED
    assert payment.status == Payment.Status.SUCCEEDED
    assert StripeEvent.objects.get().result == "confirmed"
    [confirmation] = to_people(mailoutbox)
    assert confirmation.to == [enrollment.email]
    assert confirmation.attachments[0][0] == "session.ics"


def test_a_forged_signature_is_400_and_stores_nothing(api):
    _, payment = held()
    payload, _ = delivery(payment_succeeded(payment))

    response = api.generic(
        "POST",
        URL,
        payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature(payload, secret="whsec_someone_else"),
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["code"] == "invalid_signature"
    assert StripeEvent.objects.count() == 0
    assert Payment.objects.get().status == Payment.Status.PENDING


def test_a_stale_signature_is_400_and_stores_nothing(send):
    _, payment = held()

    response = send(payment_succeeded(payment), at=int(time.time()) - 3600)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert StripeEvent.objects.count() == 0


@pytest.mark.parametrize("header", ["", "t=abc", "nonsense"])
def test_a_missing_or_garbled_signature_is_400(api, header):
    response = api.generic(
        "POST", URL, b"{}", content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_a_signed_body_that_is_not_an_event_is_400(api):
    payload = b'["not", "an", "event"]'

    response = api.generic(
        "POST",
        URL,
        payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature(payload),
    )

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert StripeEvent.objects.count() == 0


def test_a_duplicate_delivery_is_applied_once(send, mailoutbox):
    _enrollment, payment = held()
    body = payment_succeeded(payment)

    first, second = send(body), send(body)

    assert first.status_code == second.status_code == HTTPStatus.OK
    assert second.json()["duplicate"] is True
    assert StripeEvent.objects.count() == 1
    assert len(to_people(mailoutbox)) == 1


def test_the_same_payment_reported_by_two_events_is_applied_once(send):
    _enrollment, payment = held()

    send(payment_succeeded(payment))
    send(payment_succeeded(payment))  # a different event id, same payment

    assert StripeEvent.objects.count() == 2
    assert [e.result for e in StripeEvent.objects.order_by("id")] == [
        "confirmed",
        "already applied",
    ]
    assert OutgoingMail.objects.filter(kind="enrollment_confirmation").count() == 1


def test_a_failure_reported_after_the_success_changes_nothing(send):
    enrollment, payment = held()
    failed = event(
        "payment_intent.payment_failed",
        payment_intent(
            amount=payment.amount_cents,
            intent_id=payment.stripe_payment_intent_id,
            last_payment_error={"code": "card_declined", "message": "Your card was declined."},
        ),
    )

    send(payment_succeeded(payment))
    send(failed)

    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.CONFIRMED
    assert Payment.objects.get().status == Payment.Status.SUCCEEDED


def test_a_decline_keeps_the_hold_so_the_person_can_try_again(send):
    enrollment, payment = held()

    send(
        event(
            "payment_intent.payment_failed",
            payment_intent(
                amount=payment.amount_cents,
                intent_id=payment.stripe_payment_intent_id,
                last_payment_error={"code": "card_declined", "message": "Your card was declined."},
            ),
        )
    )

    enrollment.refresh_from_db()
    payment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.PENDING_PAYMENT
    assert payment.status == Payment.Status.PENDING
    assert payment.last_error == "Your card was declined."


def test_an_unknown_event_type_is_stored_and_ignored(send):
    response = send(event("customer.created", {"id": "cus_test", "object": "customer"}))

    assert response.status_code == HTTPStatus.OK
    assert StripeEvent.objects.get().result == "ignored: customer.created is not used"


def test_a_payment_we_do_not_know_is_ignored(send):
    response = send(
        event("payment_intent.succeeded", payment_intent(amount=100, reference="ENR-NOPE"))
    )

    assert response.status_code == HTTPStatus.OK
    assert StripeEvent.objects.get().result == "ignored: not a payment of ours"


def test_a_payment_with_the_wrong_amount_is_not_applied(send):
    _enrollment, payment = held()
    body = event(
        "payment_intent.succeeded",
        payment_intent(amount=1, status="succeeded", intent_id=payment.stripe_payment_intent_id),
    )

    send(body)

    assert Enrollment.objects.get().status == Enrollment.Status.PENDING_PAYMENT
    assert "amount does not match" in StripeEvent.objects.get().result


def test_a_late_payment_with_a_free_seat_is_confirmed(send):
    session = SessionFactory.create(capacity=2)
    enrollment, payment = held(session=session)
    Enrollment.objects.filter(pk=enrollment.pk).update(
        status=Enrollment.Status.EXPIRED, hold_expires_at=timezone.now() - timedelta(minutes=5)
    )

    send(payment_succeeded(payment))

    assert Enrollment.objects.get(pk=enrollment.pk).status == Enrollment.Status.CONFIRMED
    assert StripeEvent.objects.get().result == "confirmed after the hold lapsed"


def test_a_late_payment_without_a_free_seat_is_refunded_and_the_person_told(
    send, stripe_refunds, mailoutbox
):
    session = SessionFactory.create(capacity=1)
    enrollment, payment = held(session=session)
    Enrollment.objects.filter(pk=enrollment.pk).update(
        status=Enrollment.Status.EXPIRED, hold_expires_at=timezone.now() - timedelta(minutes=5)
    )
    EnrollmentFactory.create(session=session)  # the seat went to someone else meanwhile

    send(payment_succeeded(payment))

    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.REFUNDED
    [auto_refund] = Refund.objects.all()
    assert (auto_refund.reason, auto_refund.amount_cents) == ("late_payment", payment.amount_cents)
    assert auto_refund.status == Refund.Status.SUCCEEDED
    assert len(stripe_refunds.calls) == 1
    [told] = to_people(mailoutbox)
    assert told.to == [enrollment.email]
    assert "refunded the full" in told.body


def test_a_payment_after_the_hold_lapsed_but_before_the_job_ran_still_fits(send):
    session = SessionFactory.create(capacity=1)
    enrollment, payment = held(
        session=session, hold_expires_at=timezone.now() - timedelta(seconds=5)
    )

    send(payment_succeeded(payment))

    assert Enrollment.objects.get(pk=enrollment.pk).status == Enrollment.Status.CONFIRMED


def test_a_second_payment_for_a_confirmed_booking_is_refunded(send, stripe_refunds):
    enrollment = EnrollmentFactory.create()
    PaymentFactory.create(enrollment=enrollment)
    extra = PaymentFactory.create(enrollment=enrollment, status=Payment.Status.PENDING)

    send(payment_succeeded(extra))

    assert Refund.objects.get().reason == Refund.Reason.DUPLICATE
    assert Enrollment.objects.get().status == Enrollment.Status.CONFIRMED


def test_a_payment_for_a_booking_cancelled_meanwhile_is_refunded(send, stripe_refunds):
    enrollment, payment = held()
    Enrollment.objects.filter(pk=enrollment.pk).update(status=Enrollment.Status.CANCELLED)

    send(payment_succeeded(payment))

    assert Refund.objects.get().reason == Refund.Reason.CANCELLATION
    assert Enrollment.objects.get().status == Enrollment.Status.CANCELLED


def test_a_checkout_completion_confirms_and_learns_the_payment_intent(send):
    enrollment = EnrollmentFactory.create(status=Enrollment.Status.PENDING_PAYMENT)
    checkout = checkout_session(amount=enrollment.amount_cents, reference=enrollment.reference)
    payment = PaymentFactory.create(
        enrollment=enrollment,
        flow=Payment.Flow.CHECKOUT,
        status=Payment.Status.PENDING,
        stripe_payment_intent_id=None,
        stripe_checkout_session_id=checkout["id"],
    )
    completed = {
        **checkout,
        "status": "complete",
        "payment_status": "paid",
        "payment_intent": "pi_test_learned",
    }

    send(event("checkout.session.completed", completed))

    payment.refresh_from_db()
    assert payment.stripe_payment_intent_id == "pi_test_learned"
    assert payment.status == Payment.Status.SUCCEEDED
    assert Enrollment.objects.get().status == Enrollment.Status.CONFIRMED


def test_a_checkout_page_that_expired_closes_the_payment_not_the_hold(send):
    enrollment = EnrollmentFactory.create(status=Enrollment.Status.PENDING_PAYMENT)
    checkout = checkout_session(amount=enrollment.amount_cents, status="expired")
    PaymentFactory.create(
        enrollment=enrollment,
        flow=Payment.Flow.CHECKOUT,
        status=Payment.Status.PENDING,
        stripe_checkout_session_id=checkout["id"],
    )

    send(event("checkout.session.expired", checkout))

    assert Payment.objects.get().status == Payment.Status.CANCELLED
    assert Enrollment.objects.get().status == Enrollment.Status.PENDING_PAYMENT


def test_a_completed_event_arriving_after_expired_still_confirms(send):
    # Out of order: Stripe sends expired for an old page, then completed for the paid one.
    enrollment = EnrollmentFactory.create(status=Enrollment.Status.PENDING_PAYMENT)
    old = checkout_session(amount=enrollment.amount_cents)
    new = checkout_session(amount=enrollment.amount_cents)
    for attempt, checkout in enumerate((old, new), start=1):
        PaymentFactory.create(
            enrollment=enrollment,
            attempt=attempt,
            flow=Payment.Flow.CHECKOUT,
            status=Payment.Status.PENDING,
            stripe_payment_intent_id=None,
            stripe_checkout_session_id=checkout["id"],
        )

    send(
        event("checkout.session.completed", {**new, "status": "complete", "payment_status": "paid"})
    )
    send(event("checkout.session.expired", {**old, "status": "expired"}))
    send(event("checkout.session.expired", {**new, "status": "expired"}))

    assert Enrollment.objects.get().status == Enrollment.Status.CONFIRMED
    assert sorted(Payment.objects.values_list("status", flat=True)) == ["cancelled", "succeeded"]


def test_a_refund_made_in_stripes_dashboard_is_recorded_and_frees_the_seat(send, mailoutbox):
    session = SessionFactory.create(capacity=1)
    enrollment = EnrollmentFactory.create(session=session)
    payment = PaymentFactory.create(enrollment=enrollment)
    waiting = EnrollmentFactory.create(session=session, status=Enrollment.Status.WAITLISTED)
    intent_id = str(payment.stripe_payment_intent_id)
    made = refund(amount=payment.amount_cents, payment_intent_id=intent_id)
    body = charge_refunded(payment, [made])

    send(body)
    send({**body, "id": "evt_test_replayed"})

    assert Refund.objects.get().stripe_refund_id == made["id"]
    assert Enrollment.objects.get(pk=enrollment.pk).status == Enrollment.Status.REFUNDED
    assert Enrollment.objects.get(pk=waiting.pk).status == Enrollment.Status.OFFERED
    assert StripeEvent.objects.latest("id").result == "ignored: refunds already known"


def test_events_are_stored_before_they_are_applied(api):
    # With no worker (and no on-commit run), the event waits, stored, for the sweep.
    _, payment = held()
    payload, header = delivery(payment_succeeded(payment))

    api.generic("POST", URL, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)

    stored = StripeEvent.objects.get()
    assert stored.processed_at is None
    assert stored.payload == json.loads(payload)
    assert stripe_event_process(event_id=stored.pk) == "confirmed"
