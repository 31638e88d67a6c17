"""Reads of the catalog, with their joins and seat counts already applied."""

from datetime import datetime

from django.db.models import (
    F,
    IntegerField,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from enrollments.models import Enrollment
from workshops.models import Offering, Session


def _holding(now: datetime) -> Q:
    """Seats held (pending payment or offered) whose hold has not lapsed."""
    return Q(status__in=Enrollment.HOLDING, hold_expires_at__gt=now)


def seats_taken(*, now: datetime | None = None) -> Coalesce:
    """Seats confirmed, plus seats held (pending payment or offered) whose hold has not lapsed.

    The one place seats are counted: the API, the admin and the capacity check under
    the session's row lock all use it.
    """
    taken = (
        Enrollment.objects.filter(session=OuterRef("pk"))
        .filter(Q(status=Enrollment.Status.CONFIRMED) | _holding(now or timezone.now()))
        .order_by()
        .values("session")
        .annotate(total=Sum("seats"))
        .values("total")
    )
    return Coalesce(Subquery(taken, output_field=IntegerField()), Value(0))


def next_hold_lapse(session_id: int, *, now: datetime) -> datetime | None:
    """When the first hold `seats_taken` counts now will lapse: seats cannot free up by
    time alone before then."""
    holds = Enrollment.objects.filter(_holding(now), session_id=session_id)
    lapse: datetime | None = holds.aggregate(first=Min("hold_expires_at"))["first"]
    return lapse


def sessions_with_seats(
    queryset: QuerySet[Session] | None = None, *, now: datetime | None = None
) -> QuerySet[Session]:
    """Sessions annotated with `seats_taken` and `seats_left`."""
    sessions = Session.objects.all() if queryset is None else queryset
    return sessions.annotate(seats_taken=seats_taken(now=now)).annotate(
        seats_left=Greatest(F("capacity") - F("seats_taken"), Value(0))
    )


def _upcoming(sessions: QuerySet[Session], now: datetime) -> QuerySet[Session]:
    return sessions.filter(is_public=True, status=Session.Status.SCHEDULED, starts_at__gt=now)


def listed_sessions() -> QuerySet[Session]:
    """Sessions the public may see and book: public ones of a published offering."""
    return Session.objects.filter(is_public=True, offering__is_published=True)


def public_sessions() -> QuerySet[Session]:
    """Every public session of a published offering, past ones included (for detail links)."""
    return sessions_with_seats(listed_sessions().select_related("offering"))


def upcoming_public_sessions(*, now: datetime | None = None) -> QuerySet[Session]:
    return _upcoming(public_sessions(), now or timezone.now())


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


def published_offering_with_sessions(*, now: datetime | None = None) -> QuerySet[Offering]:
    """Published offerings with their upcoming public sessions in `upcoming_sessions`."""
    now = now or timezone.now()
    return published_offerings(now=now).prefetch_related(
        Prefetch(
            "sessions",
            queryset=upcoming_public_sessions(now=now),
            to_attr="upcoming_sessions",
        )
    )
