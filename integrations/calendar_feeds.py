"""Calendar feeds (DESIGN.md, Integrations): `GET /calendar/{token}.ics`, a calendar a
practice or a facilitator subscribes to, with every session of theirs.

Each session keeps the UID of the calendar files people receive by email, and its
SEQUENCE (raised whenever it is moved or cancelled); a cancelled session stays in the
feed, marked cancelled, so a subscribed calendar shows it struck rather than just gone.
The feed names no participant: it says how many seats are taken.
"""

from datetime import timedelta

import icalendar
from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext

from config.errors import NotFound
from config.references import new_token
from enrollments.selectors import sessions_with_seats
from integrations.models import CalendarFeed
from workshops.calendar import session_event, vtimezone, years_of
from workshops.models import Facilitator, Session

# A feed shows what is coming, and what passed in the last while.
FEED_PAST = timedelta(days=90)


def calendar_feed_create(*, facilitator: Facilitator | None) -> CalendarFeed:
    """A new secret address; the one it replaces stops answering."""
    CalendarFeed.objects.filter(facilitator=facilitator, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    return CalendarFeed.objects.create(facilitator=facilitator, token=new_token())


def calendar_feed_url(feed: CalendarFeed) -> str:
    return f"{settings.SITE_URL}/calendar/{feed.token}.ics"


def live_feed(token: str) -> CalendarFeed:
    feed = (
        CalendarFeed.objects.select_related("facilitator")
        .filter(token=token, revoked_at__isnull=True)
        .first()
    )
    if feed is None:
        raise NotFound(gettext("There is no calendar at this address (any longer)."))
    return feed


def feed_sessions(feed: CalendarFeed) -> QuerySet[Session]:
    sessions = Session.objects.filter(ends_at__gte=timezone.now() - FEED_PAST)
    if feed.facilitator is not None:
        sessions = sessions.filter(offering__facilitators=feed.facilitator)
    return sessions.select_related("offering").order_by("starts_at", "id")


def feed_calendar(feed: CalendarFeed) -> bytes:
    """The feed as an iCalendar file; reading it is noted on the feed."""
    CalendarFeed.objects.filter(pk=feed.pk).update(last_read_at=timezone.now())
    whose = feed.facilitator.name if feed.facilitator else settings.PRACTICE_NAME
    calendar = icalendar.Calendar()
    calendar.add("prodid", f"-//{settings.PRACTICE_NAME}//Regard//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"{settings.PRACTICE_NAME}: {whose}")
    calendar.add("x-published-ttl", "PT1H")
    years: dict[str, set[int]] = {}  # of each zone's sessions
    with translation.override(settings.LANGUAGE_CODE):  # the practice's own language
        for session in sessions_with_seats(feed_sessions(feed)):
            event = session_event(
                session,
                meeting_link=session.joining_link,
                cancelled=session.status == Session.Status.CANCELLED,
            )
            seats = gettext("%(taken)s of %(capacity)s seats taken") % {
                "taken": session.seats_taken,  # type: ignore[attr-defined]
                "capacity": session.capacity,
            }
            if not session.is_public:
                seats = f"{session.organization} · {seats}"
            event.add("categories", [session.offering.get_kind_display()])
            event["description"] = "\n".join(
                filter(None, [str(event.get("description", "")), seats])
            )
            event.add("last-modified", session.updated_at)
            calendar.add_component(event)
            years.setdefault(session.timezone, set()).update(years_of(session))
    for zone, spanned in sorted(years.items()):
        calendar.add_component(vtimezone(zone, min(spanned), max(spanned)))
    return calendar.to_ical()


def calendar_feeds_revoke(feeds: QuerySet[CalendarFeed]) -> int:
    return feeds.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
