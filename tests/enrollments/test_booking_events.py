"""What enrollments reports about bookings (enrollments/events.py), for the apps above it."""

import pytest
from django.utils import timezone

from enrollments.events import BookingCancelled, BookingConfirmed, RosterChanged
from enrollments.models import Enrollment
from enrollments.services import cancellation, holds, roster
from enrollments.services.roster import ParticipantInput
from tests.factories import EnrollmentFactory, ParticipantFactory, SessionFactory

pytestmark = pytest.mark.django_db


def test_a_free_booking_is_reported_confirmed(published):
    confirmed = published(BookingConfirmed)
    session = SessionFactory.create(offering__price_cents=0)

    enrollment = holds.enrollment_hold(session_id=session.pk, name="Ada", email="ada@example.org")

    assert enrollment.status == Enrollment.Status.CONFIRMED
    assert confirmed == [BookingConfirmed(enrollment_id=enrollment.pk)]


def test_a_free_seat_from_the_waitlist_is_reported_confirmed(published):
    confirmed = published(BookingConfirmed)
    session = SessionFactory.create(capacity=1, offering__price_cents=0)
    leaving = EnrollmentFactory.create(session=session, amount_cents=0)
    waiting = EnrollmentFactory.create(
        session=session, status=Enrollment.Status.WAITLISTED, amount_cents=0
    )

    cancellation.enrollment_cancel(enrollment_id=leaving.pk)

    assert confirmed == [BookingConfirmed(enrollment_id=waiting.pk)]


def test_a_booking_given_up_is_reported_cancelled_and_a_waitlist_entry_too(published):
    cancelled = published(BookingCancelled)
    confirmed = EnrollmentFactory.create(amount_cents=0)
    waiting = EnrollmentFactory.create(status=Enrollment.Status.WAITLISTED)

    cancellation.enrollment_cancel(enrollment_id=confirmed.pk)
    cancellation.enrollment_cancel(enrollment_id=waiting.pk)

    assert cancelled == [
        BookingCancelled(enrollment_id=confirmed.pk),
        BookingCancelled(enrollment_id=waiting.pk),
    ]


def test_a_cancelled_session_reports_each_of_its_bookings_once(published):
    cancelled = published(BookingCancelled)
    session = SessionFactory.create(offering__price_cents=0)
    bookings = EnrollmentFactory.create_batch(2, session=session, amount_cents=0)

    cancellation.session_cancel(session_id=session.pk)
    cancellation.session_cancel(session_id=session.pk)  # already cancelled: nothing more

    assert sorted(event.enrollment_id for event in cancelled) == sorted(b.pk for b in bookings)


def test_a_changed_roster_is_reported_with_who_came_and_went(published):
    changes = published(RosterChanged)
    enrollment = EnrollmentFactory.create(seats=3)
    ParticipantFactory.create(enrollment=enrollment, name="Old", email="old@example.org")
    ParticipantFactory.create(enrollment=enrollment, name="Stays", email="stays@example.org")

    roster.enrollment_replace_participants(
        enrollment_id=enrollment.pk,
        participants=[
            ParticipantInput(name="Stays", email="stays@example.org"),
            ParticipantInput(name="New", email="new@example.org"),
        ],
        now=timezone.now(),
    )

    new = enrollment.participants.get(email="new@example.org")
    assert changes == [
        RosterChanged(enrollment_id=enrollment.pk, added=(new.pk,), removed=("old@example.org",))
    ]


def test_the_same_roster_again_reports_nothing(published):
    changes = published(RosterChanged)
    enrollment = EnrollmentFactory.create(seats=2)
    ParticipantFactory.create(enrollment=enrollment, name="Stays", email="stays@example.org")

    roster.enrollment_replace_participants(
        enrollment_id=enrollment.pk,
        participants=[ParticipantInput(name="Stays", email="stays@example.org")],
    )

    assert changes == []
