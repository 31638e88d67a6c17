"""Reminders before a session, and news of a session the practice moved."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from enrollments.models import Enrollment
from enrollments.services.emails import booking_context
from enrollments.services.seats import lock_session
from outbox.services import mail_queue
from workshops.calendar import session_calendar
from workshops.models import Session

Status = Enrollment.Status

# What people have in their calendars; a change to any of these is sent to them.
SCHEDULE_FIELDS = frozenset({"starts_at", "ends_at", "timezone", "location", "meeting_link"})


@dataclass(frozen=True)
class Attendee:
    key: str  # stable per person and booking, for the never-twice dedupe keys
    name: str
    email: str


def _attendees(enrollment: Enrollment) -> list[Attendee]:
    """Who comes: the named participants, or the purchaser while no one is named."""
    named = [Attendee(f"p{p.pk}", p.name, p.email) for p in enrollment.participants.all()]
    return named or [Attendee(f"e{enrollment.pk}", enrollment.name, enrollment.email)]


def reminders_send_due(*, now: datetime | None = None) -> int:
    """One reminder per attendee, `REMINDER_HOURS_BEFORE` hours ahead, with the calendar file.

    Never twice for the same time and place: the dedupe key carries the session's
    calendar sequence, so only a rescheduled session is reminded of again. People who
    booked inside the reminder window just had their confirmation and are left alone.
    """
    now = now or timezone.now()
    ahead = timedelta(hours=settings.REMINDER_HOURS_BEFORE)
    sessions = Session.objects.filter(
        status=Session.Status.SCHEDULED, starts_at__gt=now, starts_at__lte=now + ahead
    ).select_related("offering")
    queued = 0
    for session in sessions:
        confirmed = Enrollment.objects.filter(
            session=session, status=Status.CONFIRMED, confirmed_at__lt=session.starts_at - ahead
        ).prefetch_related("participants")
        link = session.joining_link
        with transaction.atomic():
            for enrollment in confirmed:
                for attendee in _attendees(enrollment):
                    queued += bool(
                        mail_queue(
                            kind="session_reminder",
                            to=attendee.email,
                            context=booking_context(
                                enrollment, attendee=attendee, meeting_link=link
                            ),
                            related=enrollment,
                            attachments=[
                                session_calendar(
                                    session, meeting_link=link, language=enrollment.language
                                )
                            ],
                            language=enrollment.language,
                            dedupe_key=(
                                f"reminder-{session.pk}-{session.calendar_sequence}-{attendee.key}"
                            ),
                        )
                    )
    return queued


def session_notify_change(*, session_id: int, changed: Iterable[str]) -> int:
    """The practice moved a session: everyone confirmed gets the new time or place.

    The calendar file keeps the session's UID with a higher SEQUENCE, so calendars
    replace the old entry instead of adding a second one.
    """
    if not SCHEDULE_FIELDS & set(changed):
        return 0
    with transaction.atomic():
        session = lock_session(session_id)
        if session.status != Session.Status.SCHEDULED:
            return 0
        Session.objects.filter(pk=session.pk).update(calendar_sequence=F("calendar_sequence") + 1)
        session.refresh_from_db(fields=["calendar_sequence"])
        link = session.joining_link
        told = 0
        confirmed = Enrollment.objects.filter(
            session=session, status=Status.CONFIRMED
        ).prefetch_related("participants")
        for enrollment in confirmed:
            people = {a.email.lower(): a for a in _attendees(enrollment)}
            people.setdefault(
                enrollment.email.lower(),
                Attendee(f"e{enrollment.pk}", enrollment.name, enrollment.email),
            )
            for attendee in people.values():
                mail_queue(
                    kind="session_updated",
                    to=attendee.email,
                    context=booking_context(enrollment, attendee=attendee, meeting_link=link),
                    related=enrollment,
                    attachments=[
                        session_calendar(session, meeting_link=link, language=enrollment.language)
                    ],
                    language=enrollment.language,
                )
                told += 1
    return told
