"""Calendar files (RFC 5545) for sessions, built with `icalendar`."""

import zoneinfo

import icalendar
from django.conf import settings
from django.utils import timezone

from outbox.services import Attachment
from workshops.models import Session


def session_calendar(
    session: Session,
    *,
    meeting_link: str = "",
    cancelled: bool = False,
) -> Attachment:
    """One event per session (stable UID); a later file with a higher SEQUENCE replaces it."""
    zone = zoneinfo.ZoneInfo(session.timezone)
    calendar = icalendar.Calendar()
    calendar.add("prodid", f"-//{settings.PRACTICE_NAME}//Regard//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")

    event = icalendar.Event()
    event.add("uid", f"session-{session.pk}@regard")
    event.add("sequence", session.calendar_sequence)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", session.starts_at.astimezone(zone))
    event.add("dtend", session.ends_at.astimezone(zone))
    event.add("summary", session.display_title)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if session.location:
        event.add("location", session.location)
    if meeting_link:
        event.add("url", meeting_link)
        event.add("description", f"Join online: {meeting_link}")
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return Attachment(
        filename="session.ics",
        content_type="text/calendar",
        content=calendar.to_ical().decode(),
    )


def describe_when(session: Session) -> str:
    """`Thursday 10 December 2026, 16:00–19:00 (Europe/Amsterdam)`, in the session's own zone."""
    zone = zoneinfo.ZoneInfo(session.timezone)
    starts, ends = session.starts_at.astimezone(zone), session.ends_at.astimezone(zone)
    day = f"{starts:%A} {starts.day} {starts:%B %Y}"
    if starts.date() == ends.date():
        return f"{day}, {starts:%H:%M}–{ends:%H:%M} ({session.timezone})"
    until = f"{ends:%A} {ends.day} {ends:%B %Y} {ends:%H:%M}"
    return f"{day} {starts:%H:%M} to {until} ({session.timezone})"
