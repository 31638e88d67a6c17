"""The seat rules, checked under the session's row lock.

Every write that touches seats locks the session row first (`lock_session`), then counts
seats in a new statement, so the count sees every hold committed before the lock was
granted (DESIGN.md invariant 1). Nothing here calls Stripe: that waits for the commit.
"""

from datetime import datetime

from django.conf import settings
from django.db.models import DateTimeField, QuerySet
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from config.errors import Conflict, InvalidInput
from config.prepared import Param, PreparedRead
from enrollments.models import Enrollment
from enrollments.selectors import next_hold_lapse, seats_taken, smallest_waiting
from workshops import cache as catalog_cache
from workshops.models import Session


class SessionNotFound(InvalidInput):
    def __init__(self) -> None:
        message = gettext("We couldn't find this session. Please choose one from the catalog.")
        super().__init__(fields={"session": [message]})


class SessionFull(Conflict):
    code = "session_full"
    message = _(
        "This session is full. You can join the waitlist and we will write as soon as a seat opens."
    )


class EnrollmentClosed(Conflict):
    code = "enrollment_closed"
    message = _(
        "Enrollment for this session has closed. Have a look at the other dates, or write "
        "to us and we will gladly help you find one that suits you."
    )


def lock_session(session_id: int, sessions: QuerySet[Session] | None = None) -> Session:
    sessions = (Session.objects.all() if sessions is None else sessions).select_related("offering")
    # A test-only switch: with it off, the concurrency test shows the oversell the lock prevents.
    if settings.ENROLLMENT_SEAT_LOCK:
        sessions = sessions.select_for_update(of=("self",))
    return sessions.get(pk=session_id)


def session_of(enrollment_id: int) -> int:
    return Enrollment.objects.values_list("session_id", flat=True).get(pk=enrollment_id)


def lock_booking(enrollment_id: int) -> tuple[Session, Enrollment]:
    """The booking's session, then the booking itself, each under its lock."""
    session = lock_session(session_of(enrollment_id))
    return session, Enrollment.objects.select_for_update().get(pk=enrollment_id)


def seats_left(session: Session, now: datetime) -> int:
    # A statement of its own, after the lock: it sees every hold committed before we got it.
    taken = (
        Session.objects.filter(pk=session.pk)
        .annotate(taken=seats_taken(now=now))
        .values_list("taken", flat=True)
        .get()
    )
    return max(session.capacity - int(taken), 0)


# Under the session's lock every booking counts its seats: a statement compiled once per
# process (config/prepared.py), as short a time under the lock as the count allows.
_seats_and_fewest = PreparedRead(
    lambda: (
        Session.objects.filter(pk=Param("pk", Session._meta.pk))
        .annotate(taken=seats_taken(now=Param("now", DateTimeField())), fewest=smallest_waiting())
        .values("taken", "fewest")
    )
)


def seats_left_to_newcomers(session: Session, now: datetime) -> tuple[int, bool]:
    """Seats left, and whether someone on the waitlist could use some of them: those are
    theirs before any new booking's (DESIGN.md). One statement, after the lock."""
    (row,) = _seats_and_fewest.rows(pk=session.pk, now=now)
    left = max(session.capacity - int(row["taken"]), 0)
    return left, row["fewest"] is not None and row["fewest"] <= left


def check_open(session: Session, now: datetime) -> None:
    if session.status == Session.Status.CANCELLED:
        raise EnrollmentClosed(
            gettext(
                "This session has been cancelled. We're sorry; have a look at the other dates."
            ),
            code="session_cancelled",
        )
    if not session.accepts_enrollments(now):
        raise EnrollmentClosed()


def check_room(*, waitlist_enabled: bool, seats: int, seats_left: int, join_waitlist: bool) -> None:
    """Refuses a request that neither fits nor may wait, saying why."""
    if seats <= seats_left or (join_waitlist and waitlist_enabled):
        return
    if seats_left > 0:
        # English keeps its one wording for any count; the count lets a translation agree.
        only = ngettext(
            "Only %(left)s seat(s) are left in this session. You can book those, "
            "or join the waitlist for all of yours.",
            "Only %(left)s seat(s) are left in this session. You can book those, "
            "or join the waitlist for all of yours.",
            seats_left,
        )
        raise SessionFull(only % {"left": seats_left}, code="not_enough_seats")
    if not waitlist_enabled:
        raise SessionFull(
            gettext(
                "This session is full. Have a look at the other dates, or write to us and "
                "we will let you know when a new one is planned."
            )
        )
    raise SessionFull()


def refuse_if_noted_full(session_id: int, *, seats: int, join_waitlist: bool, now: datetime) -> str:
    """Refuses, with no SQL and without queueing for the session's lock, a request for a
    session the locked check has lately found full; returns the catalog version it read.

    In a rush on a full session every request would otherwise wait its turn at the row
    lock only to hear that it is full. The locked check notes a session it finds full in
    the catalog cache, under this version, read before the seats were; any write to the
    catalog or its seats moves the version on and ends the note, and so does the first
    moment the answer could change by time alone (`note_full`). The answer is the one the
    locked check gave: a seat freed a moment later is the same as the request arriving a
    moment earlier. It never lets anyone in; that stays with the locked check.
    """
    full, version = catalog_cache.known_full(session_id, now=now)
    if full is not None:
        check_room(
            waitlist_enabled=full.waitlist_enabled,
            seats=seats,
            seats_left=0,
            join_waitlist=join_waitlist,
        )
    return version


def note_full(session: Session, *, version: str, now: datetime) -> None:
    """Called under the session's lock, having found no seat left."""
    if not version:
        return  # the catalog cache is off
    until = session.enrollment_deadline
    lapse = next_hold_lapse(session.pk, now=now)
    catalog_cache.note_full(
        session.pk,
        catalog_cache.FullSession(waitlist_enabled=session.waitlist_enabled),
        version=version,
        until=until if lapse is None else min(lapse, until),
        now=now,
    )
