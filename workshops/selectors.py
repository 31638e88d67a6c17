"""Reads of the catalog, with their joins already applied.

Seats are the bookings' to count: `enrollments.selectors.sessions_with_seats` annotates
any of these session querysets with them.
"""

from datetime import datetime

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.utils import timezone

from workshops.models import Offering, Session


def _upcoming(sessions: QuerySet[Session], now: datetime) -> QuerySet[Session]:
    return sessions.filter(is_public=True, status=Session.Status.SCHEDULED, starts_at__gt=now)


def listed_sessions() -> QuerySet[Session]:
    """Sessions the public may see and book: public ones of a published offering."""
    return Session.objects.filter(is_public=True, offering__is_published=True)


def public_sessions() -> QuerySet[Session]:
    """Every public session of a published offering, past ones included (for detail links)."""
    return listed_sessions().select_related("offering")


def upcoming_public_sessions(
    sessions: QuerySet[Session] | None = None, *, now: datetime | None = None
) -> QuerySet[Session]:
    """The upcoming ones of `sessions`: `public_sessions()`, or a queryset made from it."""
    return _upcoming(public_sessions() if sessions is None else sessions, now or timezone.now())


def published_offerings(*, now: datetime | None = None) -> QuerySet[Offering]:
    now = now or timezone.now()
    next_start = _upcoming(Session.objects.filter(offering=OuterRef("pk")), now).order_by(
        "starts_at"
    )
    return (
        Offering.objects.filter(is_published=True)
        .annotate(next_session_starts_at=Subquery(next_start.values("starts_at")[:1]))
        .prefetch_related("topics", "facilitators")
    )


def published_offering_with_sessions(
    sessions: QuerySet[Session] | None = None, *, now: datetime | None = None
) -> QuerySet[Offering]:
    """Published offerings with the upcoming ones of `sessions` (`public_sessions()`, or a
    queryset made from it) in `upcoming_sessions`."""
    now = now or timezone.now()
    return published_offerings(now=now).prefetch_related(
        Prefetch(
            "sessions",
            queryset=upcoming_public_sessions(sessions, now=now),
            to_attr="upcoming_sessions",
        )
    )
