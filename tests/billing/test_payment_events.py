"""Billing is the payment adapter: it reports what Stripe did with a payment as typed events,
for whatever the payment pays (its payable), and knows nothing else of it."""

import pytest

from billing.events import (
    PaymentClosed,
    PaymentFailed,
    PaymentSucceeded,
    RefundedAtStripe,
    StripeRefund,
)
from billing.models import Payment, Refund
from billing.services import payments, refunds
from enrollments.models import Enrollment
from tests.factories import EnrollmentFactory, PaymentFactory, TopicFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_settings", "eager_tasks")]


def pending_payment_of(payable, reference="TOPIC-1"):
    return PaymentFactory.create(
        payable=payable, payable_reference=reference, status=Payment.Status.PENDING
    )


def test_a_payment_for_a_booking_is_reported_with_the_booking_as_its_payable(published):
    heard = published(PaymentSucceeded)
    enrollment = EnrollmentFactory.create(status=Enrollment.Status.PENDING_PAYMENT)
    payment = pending_payment_of(enrollment, reference=enrollment.reference)

    result = payments.payment_succeeded(payment_id=payment.pk)

    assert heard == [
        PaymentSucceeded(
            payment_id=payment.pk, payable_type="enrollments.enrollment", payable_id=enrollment.pk
        )
    ]
    assert result == "confirmed"  # what enrollments, the booking's owner, answered
    enrollment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.CONFIRMED


def test_a_payment_nobody_owns_is_recorded_by_billing_itself(published):
    heard = published(PaymentSucceeded)
    topic = TopicFactory.create()  # anything can be a payable; nothing subscribes for topics
    payment = pending_payment_of(topic)

    first = payments.payment_succeeded(payment_id=payment.pk)
    again = payments.payment_succeeded(payment_id=payment.pk)

    assert (first, again) == ("succeeded", "already applied")
    assert heard == [
        PaymentSucceeded(payment_id=payment.pk, payable_type="workshops.topic", payable_id=topic.pk)
    ]
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED
    assert payment.succeeded_at is not None


def test_a_declined_card_is_reported_and_the_payment_stays_open(published):
    heard = published(PaymentFailed)
    payment = pending_payment_of(TopicFactory.create())

    result = payments.payment_failed(payment_id=payment.pk, message="Your card was declined.")

    assert result == "failure noted"
    assert [event.message for event in heard] == ["Your card was declined."]
    payment.refresh_from_db()
    assert (payment.status, payment.last_error) == (
        Payment.Status.PENDING,
        "Your card was declined.",
    )


def test_a_closed_payment_is_reported_once(published):
    heard = published(PaymentClosed)
    payment = pending_payment_of(TopicFactory.create())

    results = [payments.payment_closed(payment_id=payment.pk) for _ in range(2)]

    assert results == ["payment closed", "ignored: payment no longer pending"]
    assert len(heard) == 1
    payment.refresh_from_db()
    assert payment.status == Payment.Status.CANCELLED


def test_refunds_stripe_reports_for_a_payable_nobody_owns_are_recorded_once(published):
    heard = published(RefundedAtStripe)
    payment = PaymentFactory.create(payable=TopicFactory.create(), payable_reference="TOPIC-1")
    reported = [StripeRefund(stripe_refund_id="re_dashboard_1", amount_cents=3000)]

    first = refunds.refunds_reported(payment_id=payment.pk, refunds=reported)
    again = refunds.refunds_reported(payment_id=payment.pk, refunds=reported)

    assert (first, again) == ("1 refund(s) recorded", "ignored: refunds already known")
    assert [event.refunds for event in heard] == [tuple(reported)] * 2
    refund = Refund.objects.get()
    assert (refund.payment, refund.amount_cents, refund.reason) == (
        payment,
        3000,
        Refund.Reason.STRIPE_DASHBOARD,
    )


def test_closing_a_payables_open_payments_closes_them_at_stripe_after_commit(
    django_capture_on_commit_callbacks, monkeypatch
):
    closed_at_stripe: list[int] = []
    monkeypatch.setattr(
        payments,
        "payment_cancel_at_stripe",
        lambda *, payment_id: closed_at_stripe.append(payment_id),
    )
    enrollment = EnrollmentFactory.create(status=Enrollment.Status.PENDING_PAYMENT)
    open_one = pending_payment_of(enrollment, reference=enrollment.reference)
    paid = PaymentFactory.create(enrollment=enrollment, status=Payment.Status.SUCCEEDED)

    with django_capture_on_commit_callbacks(execute=True):
        assert payments.payments_close_open(payable=enrollment) == 1

    assert closed_at_stripe == [open_one.pk]
    open_one.refresh_from_db()
    paid.refresh_from_db()
    assert (open_one.status, paid.status) == (Payment.Status.CANCELLED, Payment.Status.SUCCEEDED)
