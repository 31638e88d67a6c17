"""Reads of bookings, with their joins, and the one place seats are counted."""

from datetime import datetime

from django.db.models import (
    Expression,
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
from django.utils.translation import gettext

from billing.models import Payment, Refund
from config.errors import NotFound
from enrollments.models import DiscountRedemption, Enrollment, Participant
from workshops.models import Session
from workshops.selectors import listed_sessions


def _holding(now: datetime | Expression) -> Q:
    """Seats held (pending payment or offered) whose hold has not lapsed."""
    return Q(status__in=Enrollment.HOLDING, hold_expires_at__gt=now)


def seats_taken(*, now: datetime | Expression | None = None) -> Coalesce:
    """Seats confirmed, plus seats held (pending payment or offered) whose hold has not lapsed.

    The one place seats are counted: the catalog, the admin and the capacity check under
    the session's row lock all use it. `now` may be an expression (the catalog's prepared
    reads give a `config.prepared.Param`).
    """
    taken = (
        Enrollment.objects.filter(session=OuterRef("pk"))
        .filter(
            Q(status=Enrollment.Status.CONFIRMED) | _holding(timezone.now() if now is None else now)
        )
        .order_by()
        .values("session")
        .annotate(total=Sum("seats"))
        .values("total")
    )
    return Coalesce(Subquery(taken, output_field=IntegerField()), Value(0))


def smallest_waiting() -> Subquery:
    """The fewest seats any booking on the session's waitlist asks for (NULL: nobody waits)."""
    waiting = (
        Enrollment.objects.filter(session=OuterRef("pk"), status=Enrollment.Status.WAITLISTED)
        .order_by()
        .values("session")
        .annotate(fewest=Min("seats"))
        .values("fewest")
    )
    return Subquery(waiting, output_field=IntegerField())


def next_hold_lapse(session_id: int, *, now: datetime) -> datetime | None:
    """When the first hold `seats_taken` counts now will lapse: seats cannot free up by
    time alone before then."""
    holds = Enrollment.objects.filter(_holding(now), session_id=session_id)
    lapse: datetime | None = holds.aggregate(first=Min("hold_expires_at"))["first"]
    return lapse


def sessions_with_seats(
    queryset: QuerySet[Session] | None = None, *, now: datetime | Expression | None = None
) -> QuerySet[Session]:
    """Sessions annotated with `seats_taken` and `seats_left`."""
    sessions = Session.objects.all() if queryset is None else queryset
    return sessions.annotate(seats_taken=seats_taken(now=now)).annotate(
        seats_left=Greatest(F("capacity") - F("seats_taken"), Value(0))
    )


def sessions_waiting(queryset: QuerySet[Session]) -> QuerySet[Session]:
    """Sessions annotated with `waiting`: seats asked for on their waitlists."""
    waiting = (
        Enrollment.objects.filter(session=OuterRef("pk"), status=Enrollment.Status.WAITLISTED)
        .values("session")
        .annotate(total=Sum("seats"))
        .values("total")
    )
    return queryset.annotate(
        waiting=Coalesce(Subquery(waiting, output_field=IntegerField()), Value(0))
    )


def enrollment_by_token(token: str) -> Enrollment:
    """The booking behind a manage link, with what its page and the API show."""
    enrollment = (
        Enrollment.objects.select_related("session__offering", "discount__code")
        .prefetch_related(
            "participants",
            Prefetch("payments", queryset=Payment.objects.order_by("-attempt")),
            Prefetch("payments__refunds", queryset=Refund.objects.order_by("id")),
        )
        .filter(token=token)
        .first()
    )
    if enrollment is None:
        raise NotFound(
            gettext(
                "We couldn't find this booking. Please use the link from your email, or write to "
                "us and we will look it up for you."
            )
        )
    # The session with its seat counts, for the session block of the response.
    enrollment.session = (
        sessions_with_seats().select_related("offering").get(pk=enrollment.session_id)
    )
    return enrollment


def booking_paying_at_checkout(session_id: str, *, since: datetime) -> Enrollment | None:
    """The booking whose payment is the Checkout Session `session_id`, started since then."""
    return Enrollment.objects.filter(
        payments__stripe_checkout_session_id=session_id, payments__created_at__gte=since
    ).first()


def discount_of(enrollment: Enrollment) -> DiscountRedemption | None:
    """The discount code used on the booking, if any (read with it by enrollment_by_token)."""
    try:
        return enrollment.discount
    except DiscountRedemption.DoesNotExist:
        return None


def bookable_session(session_id: int) -> Session | None:
    """A session the public may book, with its offering."""
    return listed_sessions().select_related("offering").filter(pk=session_id).first()


def roster_of(session_id: int) -> QuerySet[Participant]:
    """Who is coming to the session: the participants of its confirmed bookings, by name."""
    return (
        Participant.objects.filter(
            enrollment__session_id=session_id, enrollment__status=Enrollment.Status.CONFIRMED
        )
        .select_related("enrollment")
        .order_by("name", "id")
    )
