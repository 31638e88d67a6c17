"""Reads of the catalog, with their joins already applied.

Seats are the bookings' to count: `enrollments.selectors.sessions_with_seats` annotates
any of these session querysets with them.
"""

from datetime import datetime
from typing import Any

from django.db.models import Expression, OuterRef, Prefetch, QuerySet, Subquery
from django.utils import timezone

from workshops.models import Facilitator, Offering, Session

# The role whose members see only the sessions they lead (config/roles.py).
FACILITATOR_ROLE = "Facilitator"


def leads_only_own_sessions(user: Any) -> bool:
    """A facilitator (by role, or by a staff account linked to one) who may not change
    sessions sees only the sessions they lead."""
    if user.is_superuser or user.has_perm("workshops.change_session"):
        return False
    return (
        user.groups.filter(name=FACILITATOR_ROLE).exists()
        or Facilitator.objects.filter(user_id=user.pk).exists()
    )


def facilitator_of(user: Any) -> Facilitator | None:
    """The facilitator whose staff account this is, if any."""
    return Facilitator.objects.filter(user_id=user.pk).first()


def sessions_for_staff(user: Any, sessions: QuerySet[Session] | None = None) -> QuerySet[Session]:
    """The sessions a staff member may see in the admin: all, or the ones they lead."""
    sessions = Session.objects.all() if sessions is None else sessions
    if not leads_only_own_sessions(user):
        return sessions
    return sessions.filter(offering__facilitators__user_id=user.pk).distinct()


def _upcoming(sessions: QuerySet[Session], now: datetime | Expression) -> QuerySet[Session]:
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


def published_offerings(*, now: datetime | Expression | None = None) -> QuerySet[Offering]:
    """Published offerings with when each next starts, their topics in `listed_topics` and
    their facilitators in `listed_facilitators`."""
    now = timezone.now() if now is None else now
    next_start = _upcoming(Session.objects.filter(offering=OuterRef("pk")), now).order_by(
        "starts_at"
    )
    return (
        Offering.objects.filter(is_published=True)
        .annotate(next_session_starts_at=Subquery(next_start.values("starts_at")[:1]))
        .prefetch_related(
            Prefetch("topics", to_attr="listed_topics"),
            Prefetch("facilitators", to_attr="listed_facilitators"),
        )
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
