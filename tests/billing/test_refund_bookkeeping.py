"""Refunds as Stripe tells of them: ours found again even when its answer was lost, and a
refund that fails told to the practice, never leaving the person told "refunded".

localstripe sends neither `charge.refunded` nor `charge.refund.updated`, and its refunds
always succeed: these are signed synthetic events and stubbed HTTP (DESIGN.md, Real parts).
"""

import json
from datetime import timedelta

import pytest
import responses
import time_machine
from django.utils import timezone

from billing.models import Refund, StripeEvent
from billing.services.refunds import OUR_REFUND, refund_submit
from billing.services.stripe_events import payments_reconcile
from enrollments.models import Enrollment
from enrollments.services.cancellation import enrollment_cancel
from outbox.models import OutgoingMail, PracticeAlert
from tests.conftest import STRIPE_TEST_BASE
from tests.factories import EnrollmentFactory, PaymentFactory, SessionFactory
from tests.stripe_payloads import charge_refunded, delivery, event, form, refund

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_settings", "eager_tasks")]

WEBHOOK = "/api/v1/billing/stripe/webhook/"


@pytest.fixture
def send(api, django_capture_on_commit_callbacks):
    def deliver(body):
        payload, header = delivery(body)
        with django_capture_on_commit_callbacks(execute=True):
            return api.generic(
                "POST",
                WEBHOOK,
                payload,
                content_type="application/json",
                HTTP_STRIPE_SIGNATURE=header,
            )

    return deliver


@pytest.fixture
def stripe_answers():
    """Stripe's refunds endpoint, answering as each test says (a status, or no answer)."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as stub:
        yield stub


def cancelled_with_refund(stripe_answers, *, status="succeeded", lost=False):
    """A paid booking, cancelled in time: its refund is sent to Stripe, which answers with
    `status`, or whose answer never arrives (`lost`)."""
    session = SessionFactory.create(starts_at=timezone.now() + timedelta(days=30))
    booking = EnrollmentFactory.create(session=session)
    payment = PaymentFactory.create(enrollment=booking)
    created = {}

    def answer(request):
        created.update(
            refund(
                amount=int(form(request)["amount"]),
                payment_intent_id=str(payment.stripe_payment_intent_id),
                status=status,
                metadata={OUR_REFUND: form(request)[f"metadata[{OUR_REFUND}]"]},
            )
        )
        if lost:
            raise ConnectionError("the answer never came back")
        return (200, {}, json.dumps(created))

    stripe_answers.add_callback(responses.POST, f"{STRIPE_TEST_BASE}/v1/refunds", callback=answer)
    enrollment_cancel(enrollment_id=booking.pk)
    ours = Refund.objects.get(payment=payment)
    refund_submit(refund_id=ours.pk)  # what the task queued on commit does
    return booking, payment, created


def mails_to(address, kind):
    return OutgoingMail.objects.filter(to=address, kind=kind).count()


def test_a_refund_whose_answer_was_lost_is_found_by_charge_refunded(stripe_answers, send):
    booking, payment, made = cancelled_with_refund(stripe_answers, lost=True)
    ours = Refund.objects.get()
    assert (ours.status, ours.stripe_refund_id) == (Refund.Status.PENDING, None)
    told = mails_to(booking.email, "enrollment_cancelled")

    send(charge_refunded(payment, [made]))

    ours.refresh_from_db()
    assert Refund.objects.count() == 1  # not recorded twice
    assert (ours.status, ours.stripe_refund_id) == (Refund.Status.SUCCEEDED, made["id"])
    assert mails_to(booking.email, "refund_issued") == 0  # not told twice
    assert mails_to(booking.email, "enrollment_cancelled") == told


def test_the_hourly_reconcile_retrying_a_refund_trips_no_constraint(stripe_answers, send):
    _booking, payment, made = cancelled_with_refund(stripe_answers, lost=True)
    send(charge_refunded(payment, [made]))
    # A row made from an event before refunds carried our id: the same refund, told twice.
    Refund.objects.filter(pk=Refund.objects.get().pk).update(
        status=Refund.Status.PENDING, stripe_refund_id=None
    )
    Refund.objects.create(
        payment=payment,
        amount_cents=made["amount"],
        currency="EUR",
        reason=Refund.Reason.STRIPE_DASHBOARD,
        stripe_refund_id=made["id"],
        status=Refund.Status.SUCCEEDED,
    )
    stripe_answers.replace(
        responses.POST, f"{STRIPE_TEST_BASE}/v1/refunds", json={**made, "status": "succeeded"}
    )

    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        counts = payments_reconcile()

    assert counts["refunds"] == 1
    assert list(Refund.objects.values_list("stripe_refund_id", "status")) == [
        (made["id"], Refund.Status.SUCCEEDED)
    ]


@pytest.mark.parametrize("status", ["failed", "canceled"])
def test_a_refund_stripe_refuses_at_once_is_told_and_never_shown_as_refunded(
    stripe_answers, api, status
):
    booking, _payment, _made = cancelled_with_refund(stripe_answers, status=status)

    booking.refresh_from_db()
    assert Refund.objects.get().status == Refund.Status.FAILED
    assert booking.status == Enrollment.Status.CANCELLED  # cancelled, but not refunded
    assert mails_to(booking.email, "refund_delayed") == 1
    [alert] = PracticeAlert.objects.filter(kind="refund_failed")
    assert booking.reference in alert.text
    assert booking.email not in alert.text
    assert booking.name not in alert.text
    assert api.get(f"/api/v1/enrollments/{booking.token}/").json()["refund"] is None


def test_a_refund_that_fails_later_is_told_once(stripe_answers, send):
    booking, _payment, made = cancelled_with_refund(stripe_answers, status="pending")
    assert Refund.objects.get().status == Refund.Status.SUCCEEDED  # on its way, Stripe said
    failed = event("charge.refund.updated", {**made, "status": "failed"})

    send(failed)
    send({**failed, "id": "evt_test_told_again"})

    booking.refresh_from_db()
    assert Refund.objects.get().status == Refund.Status.FAILED
    assert booking.status == Enrollment.Status.CANCELLED
    assert mails_to(booking.email, "refund_delayed") == 1
    assert PracticeAlert.objects.filter(kind="refund_failed").count() == 1
    assert StripeEvent.objects.latest("id").result == "ignored: nothing new"


def test_a_failed_refund_listed_by_charge_refunded_is_told_too(stripe_answers, send):
    booking, payment, made = cancelled_with_refund(stripe_answers, status="pending")

    send(charge_refunded(payment, [{**made, "status": "failed"}]))

    assert Refund.objects.get().status == Refund.Status.FAILED
    assert mails_to(booking.email, "refund_delayed") == 1
