"""Calendar files (RFC 5545) for sessions, built with `icalendar`."""

import functools
import zoneinfo
from datetime import date, datetime

import icalendar
from django.conf import settings
from django.utils import timezone, translation
from django.utils.dateformat import format as date_format
from django.utils.functional import lazy
from django.utils.translation import gettext

from outbox.services import Attachment
from workshops.models import Session


@functools.lru_cache(maxsize=64)
def vtimezone(zone_name: str, first_year: int, last_year: int) -> icalendar.Timezone:
    """The zone's VTIMEZONE for the years its events fall in (RFC 5545 asks no more),
    worked out once per process: icalendar takes tens of milliseconds for it, and every
    confirmation and reminder carries one; the years since 1970 would be a hundred and
    twenty transitions to write out in each file. Never changed after it is made, so
    calendars may share it."""
    return icalendar.Timezone.from_tzid(
        zone_name, first_date=date(first_year, 1, 1), last_date=date(last_year + 1, 1, 1)
    )


def years_of(session: Session) -> tuple[int, int]:
    """The years, in the session's zone, that its start and end fall in."""
    zone = zoneinfo.ZoneInfo(session.timezone)
    return session.starts_at.astimezone(zone).year, session.ends_at.astimezone(zone).year


def session_event(
    session: Session, *, meeting_link: str = "", cancelled: bool = False
) -> icalendar.Event:
    """The session as one event: the same UID wherever it appears (the files people get by
    email, the practice's and facilitators' feeds), its SEQUENCE raised by every move and
    cancellation. Its words are in the active language."""
    zone = zoneinfo.ZoneInfo(session.timezone)
    event = icalendar.Event()
    event.add("uid", f"session-{session.pk}@regard")
    event.add("sequence", session.calendar_sequence)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", session.starts_at.astimezone(zone))
    event.add("dtend", session.ends_at.astimezone(zone))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if session.location:
        event.add("location", session.location)
    event.add("summary", session.shown_title)
    if meeting_link:
        event.add("url", meeting_link)
        # The same sentence as in the emails, in the language they are written in.
        join = gettext("Join online: %(meeting_link)s") % {"meeting_link": meeting_link}
        event.add("description", join)
    return event


def session_calendar(
    session: Session,
    *,
    meeting_link: str = "",
    cancelled: bool = False,
    language: str = "",
) -> Attachment:
    """One event per session (stable UID); a later file with a higher SEQUENCE replaces it.
    Its words are in `language`, the person's (else the practice's own)."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", f"-//{settings.PRACTICE_NAME}//Regard//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    with translation.override(language or settings.LANGUAGE_CODE):
        event = session_event(session, meeting_link=meeting_link, cancelled=cancelled)
    calendar.add_component(vtimezone(session.timezone, *years_of(session)))
    calendar.add_component(event)
    calendar.add_missing_timezones()  # none by now; a safeguard should the event change
    return Attachment(
        filename="session.ics",
        content_type="text/calendar",
        content=calendar.to_ical().decode(),
    )


def describe_when(session: Session) -> str:
    """`Thursday 10 December 2026, 16:00–19:00 (Europe/Amsterdam)`, in the session's own
    zone, named; in the language active when it is read (lazy: an email written later in
    the person's language reads it in theirs: `donderdag 10 december 2026, ...`)."""
    return _lazy_when(session.starts_at, session.ends_at, session.timezone)


def describe_span(starts_at: datetime, ends_at: datetime, zone_name: str) -> str:
    """The same for a time not (yet) a session: a time a proposal offers."""
    return _lazy_when(starts_at, ends_at, zone_name)


def _when(starts_at: datetime, ends_at: datetime, zone_name: str) -> str:
    zone = zoneinfo.ZoneInfo(zone_name)
    starts, ends = starts_at.astimezone(zone), ends_at.astimezone(zone)
    day = date_format(starts, "l j F Y")
    if starts.date() == ends.date():
        return gettext("%(day)s, %(start)s–%(end)s (%(zone)s)") % {
            "day": day,
            "start": date_format(starts, "H:i"),
            "end": date_format(ends, "H:i"),
            "zone": zone_name,
        }
    return gettext("%(day)s %(start)s to %(until)s (%(zone)s)") % {
        "day": day,
        "start": date_format(starts, "H:i"),
        "until": date_format(ends, "l j F Y H:i"),
        "zone": zone_name,
    }


_lazy_when = lazy(_when, str)
