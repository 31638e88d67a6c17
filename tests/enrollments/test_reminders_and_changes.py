from datetime import UTC, timedelta
from http import HTTPStatus
from zoneinfo import ZoneInfo

import icalendar
import pytest
import time_machine
from django.utils import timezone

from enrollments.models import Enrollment, Participant
from enrollments.services import reminders
from enrollments.tasks import send_reminders
from outbox.models import OutgoingMail
from tests.factories import EnrollmentFactory, SessionFactory
from workshops.models import Session

pytestmark = pytest.mark.django_db


def calendar_of(mail: OutgoingMail) -> icalendar.cal.Component:
    [attachment] = mail.attachments
    calendar = icalendar.Calendar.from_ical(attachment["content"])
    [event] = calendar.walk("VEVENT")
    return event


def booked(session, *, days_ago=3, participants=()):
    enrollment = EnrollmentFactory.create(session=session)
    Enrollment.objects.filter(pk=enrollment.pk).update(
        confirmed_at=timezone.now() - timedelta(days=days_ago)
    )
    for name, email in participants:
        Participant.objects.create(enrollment=enrollment, name=name, email=email)
    return enrollment


def test_each_attendee_gets_one_reminder_however_often_the_job_runs():
    session = SessionFactory.create(starts_at=timezone.now() + timedelta(hours=20))
    team = booked(session, participants=[("Ada", "ada@example.org"), ("Bo", "bo@example.org")])
    single = booked(session)

    for _ in range(3):
        send_reminders()

    reminders = OutgoingMail.objects.filter(kind="session_reminder")
    assert sorted(reminders.values_list("to", flat=True)) == sorted(
        ["ada@example.org", "bo@example.org", single.email]
    )
    assert team.email not in reminders.values_list("to", flat=True)  # the organizer didn't attend


def test_the_reminder_calendar_file_has_the_right_time_and_zone():
    starts = timezone.now().replace(microsecond=0, second=0) + timedelta(hours=20)
    session = SessionFactory.create(
        starts_at=starts,
        ends_at=starts + timedelta(hours=3),
        timezone="America/New_York",
        meeting_link="https://meet.example.org/room-7",
    )
    booked(session)

    send_reminders()

    reminder = OutgoingMail.objects.get(kind="session_reminder")
    event = calendar_of(reminder)
    assert event["UID"] == f"session-{session.pk}@regard"
    assert event.decoded("DTSTART") == starts
    assert event.decoded("DTSTART").astimezone(UTC) == starts.astimezone(UTC)
    assert str(event["DTSTART"].params["TZID"]) == "America/New_York"
    assert event.decoded("DTEND") == starts + timedelta(hours=3)
    assert "https://meet.example.org/room-7" in reminder.body_text


@pytest.mark.parametrize(
    ("hours_ahead", "status", "days_ago", "expected"),
    [
        (25, Enrollment.Status.CONFIRMED, 3, 0),  # not yet
        (-1, Enrollment.Status.CONFIRMED, 3, 0),  # started already
        (20, Enrollment.Status.CANCELLED, 3, 0),
        (20, Enrollment.Status.PENDING_PAYMENT, 3, 0),
        (20, Enrollment.Status.CONFIRMED, 0, 0),  # booked inside the window: confirmation will do
        (20, Enrollment.Status.CONFIRMED, 3, 1),
    ],
)
def test_who_gets_a_reminder(hours_ahead, status, days_ago, expected):
    starts = timezone.now() + timedelta(hours=hours_ahead)
    session = SessionFactory.create(starts_at=starts, ends_at=starts + timedelta(hours=2))
    enrollment = booked(session, days_ago=days_ago)
    Enrollment.objects.filter(pk=enrollment.pk).update(
        status=status, hold_expires_at=timezone.now() + timedelta(minutes=30)
    )

    assert reminders.reminders_send_due() == expected


def test_a_cancelled_session_sends_no_reminders():
    session = SessionFactory.create(starts_at=timezone.now() + timedelta(hours=20))
    booked(session)
    Session.objects.filter(pk=session.pk).update(status=Session.Status.CANCELLED)

    assert reminders.reminders_send_due() == 0


def test_moving_a_session_sends_a_replacing_calendar_entry(admin_client):
    session = SessionFactory.create(starts_at=timezone.now() + timedelta(days=10))
    enrollment = booked(session, participants=[("Ada", "ada@example.org")])
    new_start = (session.starts_at + timedelta(days=1)).replace(microsecond=0)

    for shift, sequence in ((0, 1), (1, 2)):
        # The admin edits a session's times in its own zone (Europe/Amsterdam here).
        start = (new_start + timedelta(hours=shift)).astimezone(ZoneInfo(session.timezone))
        response = admin_client.post(
            f"/admin/workshops/session/{session.pk}/change/",
            {
                "offering": session.offering_id,
                "title": "",
                "status": "scheduled",
                "starts_at_0": start.strftime("%Y-%m-%d"),
                "starts_at_1": start.strftime("%H:%M:%S"),
                "ends_at_0": (start + timedelta(hours=3)).strftime("%Y-%m-%d"),
                "ends_at_1": (start + timedelta(hours=3)).strftime("%H:%M:%S"),
                "timezone": session.timezone,
                "location": session.location,
                "meeting_link": session.meeting_link,
                "capacity": session.capacity,
                "waitlist_enabled": "on",
                "is_public": "on",
                "organization": "",
            },
        )
        assert response.status_code == HTTPStatus.FOUND, response.content.decode()[:2000]
        updates = OutgoingMail.objects.filter(kind="session_updated").order_by("id")
        latest = {mail.to: calendar_of(mail) for mail in updates}
        assert set(latest) == {"ada@example.org", enrollment.email}
        for event in latest.values():
            assert event["UID"] == f"session-{session.pk}@regard"
            assert event["SEQUENCE"] == sequence
            assert event.decoded("DTSTART") == start


def test_a_reminder_goes_out_again_after_the_session_moved():
    session = SessionFactory.create(starts_at=timezone.now() + timedelta(hours=20))
    booked(session)
    reminders.reminders_send_due()

    Session.objects.filter(pk=session.pk).update(starts_at=session.starts_at + timedelta(hours=1))
    reminders.session_notify_change(session_id=session.pk, changed=["starts_at"])

    assert reminders.reminders_send_due() == 1
    assert OutgoingMail.objects.filter(kind="session_reminder").count() == 2


def test_other_edits_send_nothing():
    session = SessionFactory.create()
    booked(session)

    assert reminders.session_notify_change(session_id=session.pk, changed=["capacity"]) == 0
    assert not OutgoingMail.objects.filter(kind="session_updated").exists()


def test_cancelling_from_the_session_page_refunds_through_the_service(admin_client):
    session = SessionFactory.create(offering__price_cents=0)
    enrollment = booked(session)

    with time_machine.travel(timezone.now()):
        admin_client.post(
            f"/admin/workshops/session/{session.pk}/change/",
            {
                "offering": session.offering_id,
                "status": "cancelled",
                "starts_at_0": session.starts_at.strftime("%Y-%m-%d"),
                "starts_at_1": session.starts_at.strftime("%H:%M:%S"),
                "ends_at_0": session.ends_at.strftime("%Y-%m-%d"),
                "ends_at_1": session.ends_at.strftime("%H:%M:%S"),
                "timezone": session.timezone,
                "capacity": session.capacity,
                "is_public": "on",
            },
        )

    assert Session.objects.get().status == Session.Status.CANCELLED
    assert Enrollment.objects.get(pk=enrollment.pk).status == Enrollment.Status.CANCELLED
    cancellation = OutgoingMail.objects.get(kind="session_cancelled")
    assert calendar_of(cancellation)["STATUS"] == "CANCELLED"
