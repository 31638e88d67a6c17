"""What the practice hears of bookings (DESIGN.md, the alerts): each new booking, each
confirmed booking cancelled, each refund Regard starts by itself, each low survey score;
by reference, never by name."""

from datetime import timedelta

import pytest
from django.utils import timezone

from billing.models import Payment
from enrollments.models import Enrollment
from enrollments.services import cancellation, holds
from outbox.models import OutgoingMail, PracticeAlert
from surveys.services import survey_submit
from tests.factories import (
    EnrollmentFactory,
    PaymentFactory,
    SessionFactory,
    SurveyInvitationFactory,
)
from tests.stripe_payloads import delivery, payment_succeeded

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_settings")]

WEBHOOK = "/api/v1/billing/stripe/webhook/"


def alerts(kind: str) -> list[PracticeAlert]:
    return list(PracticeAlert.objects.filter(kind=kind).order_by("pk"))


@pytest.fixture
def session():
    return SessionFactory.create(
        starts_at=timezone.now() + timedelta(days=30),
        offering__title="Steady hands",
        offering__price_cents=9500,
    )


def test_a_free_booking_is_told_to_the_practice_at_once(settings):
    settings.PRACTICE_ALERTS = "immediate"
    free = SessionFactory.create(offering__price_cents=0, offering__title="Open evening")

    booking = holds.enrollment_hold(session_id=free.pk, name="Ada Lovelace", email="a@example.org")

    [alert] = alerts("booking_confirmed")
    assert alert.related == booking
    assert alert.text.startswith(f"New booking {booking.reference}: 1 seat(s) in Open evening")
    assert alert.text.endswith(", free.")
    assert "Ada" not in alert.text
    told = OutgoingMail.objects.get(kind="practice_alert", to=settings.PRACTICE_NOTIFY_EMAIL)
    assert booking.reference in told.body_text


def test_a_paid_booking_is_told_once_when_it_is_paid(
    api, session, eager_tasks, django_capture_on_commit_callbacks
):
    booking = EnrollmentFactory.create(
        session=session, seats=2, status=Enrollment.Status.PENDING_PAYMENT, amount_cents=19000
    )
    payment = PaymentFactory.create(
        enrollment=booking, status=Payment.Status.PENDING, amount_cents=19000
    )
    assert alerts("booking_confirmed") == []  # a hold is not a booking yet
    payload, header = delivery(payment_succeeded(payment))

    for _ in range(2):  # Stripe sends it again: still one alert
        with django_capture_on_commit_callbacks(execute=True):
            api.generic(
                "POST", WEBHOOK, payload, content_type="application/json",
                HTTP_STRIPE_SIGNATURE=header,
            )  # fmt: skip

    [alert] = alerts("booking_confirmed")
    assert f"{booking.reference}: 2 seat(s) in Steady hands" in alert.text
    assert alert.text.endswith(", 190.00 EUR.")


def test_a_cancelled_booking_and_its_automatic_refund_are_told(session):
    booking = EnrollmentFactory.create(
        session=session, status=Enrollment.Status.CONFIRMED, amount_cents=9500
    )
    PaymentFactory.create(enrollment=booking, amount_cents=9500)

    cancellation.enrollment_cancel(enrollment_id=booking.pk)

    [ended] = alerts("booking_cancelled")
    assert ended.text.startswith(f"Booking {booking.reference} was refunded in full: 1 seat(s)")
    [refund] = alerts("refund_started")
    assert refund.text == (
        f"An automatic refund of 95.00 EUR for {booking.reference} is on its way "
        "(cancelled by the participant)."
    )


def test_a_refund_staff_made_and_a_hold_given_up_are_not_news(session, admin_user):
    paid = EnrollmentFactory.create(
        session=session, status=Enrollment.Status.CONFIRMED, amount_cents=9500
    )
    PaymentFactory.create(enrollment=paid, amount_cents=9500)
    held = EnrollmentFactory.create(
        session=session,
        status=Enrollment.Status.PENDING_PAYMENT,
        hold_expires_at=timezone.now() + timedelta(minutes=20),
    )

    cancellation.enrollment_refund(enrollment_id=paid.pk, amount_cents=1000, created_by=admin_user)
    cancellation.enrollment_cancel(enrollment_id=held.pk)
    cancellation.session_cancel(session_id=session.pk)  # the practice's own doing

    assert alerts("refund_started") == []
    assert alerts("booking_cancelled") == []


def test_a_low_survey_score_is_told_without_the_answers():
    invitation = SurveyInvitationFactory.create()

    survey_submit(
        invitation_id=invitation.pk,
        answers={
            "overall": 1,
            "felt_heard": 2,
            "recommend": 3,
            "could_be_better": "I felt rushed.",
        },
    )

    [alert] = alerts("low_survey_score")
    assert alert.related == invitation
    assert f"(invitation {invitation.pk})" in alert.text
    assert "rushed" not in alert.text
    assert invitation.participant.name not in alert.text


def test_a_good_score_is_not_news():
    invitation = SurveyInvitationFactory.create()

    survey_submit(
        invitation_id=invitation.pk, answers={"overall": 5, "felt_heard": 4, "recommend": 9}
    )

    assert alerts("low_survey_score") == []
