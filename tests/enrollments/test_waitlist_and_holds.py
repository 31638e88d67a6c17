from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import redis
import time_machine
from django.core.cache import cache, caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from config.errors import Conflict
from enrollments.models import Enrollment
from enrollments.services import cancellation, holds, seats
from enrollments.tasks import expire_holds
from outbox.models import OutgoingMail
from tests.conftest import IN_PROCESS_CACHE
from tests.factories import EnrollmentFactory, SessionFactory
from workshops.models import Session

pytestmark = pytest.mark.django_db

Status = Enrollment.Status

FULL = seats.SessionFull.message
FULL_WITHOUT_WAITLIST = (
    "This session is full. Have a look at the other dates, or write to us and "
    "we will let you know when a new one is planned."
)
ONE_LEFT = (
    "Only 1 seat(s) are left in this session. You can book those, "
    "or join the waitlist for all of yours."
)
CANCELLED = "This session has been cancelled. We're sorry; have a look at the other dates."


def ask(session: Session, **changes) -> Enrollment:
    return holds.enrollment_hold(
        session_id=session.pk, name="Ada", email="ada@example.org", **changes
    )


@pytest.mark.parametrize(
    ("session_changes", "taken", "request_changes", "code", "message"),
    [
        ({}, 3, {}, "session_full", FULL),
        (
            {"waitlist_enabled": False},
            3,
            {"join_waitlist": True},
            "session_full",
            FULL_WITHOUT_WAITLIST,
        ),
        ({}, 2, {"seats": 2}, "not_enough_seats", ONE_LEFT),
        ({"status": Session.Status.CANCELLED}, 0, {}, "session_cancelled", CANCELLED),
        (
            {"enrollment_closes_at": timezone.now() - timedelta(minutes=1)},
            0,
            {},
            "enrollment_closed",
            seats.EnrollmentClosed.message,
        ),
    ],
)
def test_a_refusal_says_why_and_stores_nothing(
    session_changes, taken, request_changes, code, message
):
    session = SessionFactory.create(capacity=3, **session_changes)
    if taken:
        EnrollmentFactory.create(session=session, seats=taken)

    with pytest.raises(Conflict) as refused:
        ask(session, **request_changes)

    assert (refused.value.code, refused.value.message) == (code, message)
    assert Enrollment.objects.filter(email="ada@example.org").count() == 0


@pytest.mark.redis
@pytest.mark.parametrize("waitlist_enabled", [True, False])
def test_once_a_session_is_found_full_requests_are_refused_without_sql_or_the_lock(
    django_assert_num_queries, waitlist_enabled
):
    session = SessionFactory.create(capacity=2, waitlist_enabled=waitlist_enabled)
    EnrollmentFactory.create(session=session, seats=2)
    with pytest.raises(seats.SessionFull) as first:
        ask(session)

    with django_assert_num_queries(0), pytest.raises(seats.SessionFull) as again:
        ask(session, seats=3)

    assert (again.value.code, again.value.message) == (first.value.code, first.value.message)
    assert first.value.message == (FULL if waitlist_enabled else FULL_WITHOUT_WAITLIST)
    # Joining the waitlist is never answered from the note.
    if waitlist_enabled:
        assert ask(session, join_waitlist=True).status == Status.WAITLISTED


@pytest.mark.postgres
def test_a_hold_runs_only_what_the_seats_need_under_the_session_lock():
    """The rest of a rush waits while one booking holds the session's lock: its reference
    is drawn before it, and the seats are counted by one prepared statement."""
    session = SessionFactory.create(capacity=3)

    with CaptureQueriesContext(connection) as queries:
        enrollment = ask(session)

    statements = [query["sql"] for query in queries.captured_queries]
    locked = next(i for i, sql in enumerate(statements) if "FOR UPDATE" in sql)
    released = next(i for i, sql in enumerate(statements) if sql.startswith("RELEASE SAVEPOINT"))
    under_lock = [sql.split(" (")[0] for sql in statements[locked + 1 : released]]
    assert enrollment.status == Status.PENDING_PAYMENT
    assert len(under_lock) == 5, under_lock
    assert [sql for sql in under_lock if sql.startswith("INSERT")] == [
        'INSERT INTO "enrollments_enrollment"',
        'INSERT INTO "enrollments_historicalenrollment"',
        'INSERT INTO "enrollments_participant"',
    ]
    assert not any('"reference" =' in sql for sql in statements[locked:released])


@pytest.mark.parametrize(
    "changes",
    [{"CATALOG_CACHE_SECONDS": 0}, {"CACHES": IN_PROCESS_CACHE}],
    ids=["cache off", "a cache of the process's own"],
)
def test_without_redis_or_with_the_cache_off_nothing_is_noted(settings, changes):
    for name, value in changes.items():
        setattr(settings, name, value)
    session = SessionFactory.create(capacity=1)
    EnrollmentFactory.create(session=session)
    with pytest.raises(seats.SessionFull):
        ask(session)

    with CaptureQueriesContext(connection) as again, pytest.raises(seats.SessionFull):
        ask(session)

    assert again.captured_queries  # the seats were counted again
    assert cache.get(f"catalog:full:{session.pk}") is None


@pytest.mark.redis
def test_when_redis_fails_the_locked_check_answers_alone(monkeypatch):
    session = SessionFactory.create(capacity=1)
    EnrollmentFactory.create(session=session)

    def fail(*args: object, **kwargs: object) -> None:
        raise redis.ConnectionError("Redis went away")

    for method in ("get_many", "set"):
        monkeypatch.setattr(caches["default"], method, fail)

    with pytest.raises(seats.SessionFull) as refused:
        ask(session)

    assert (refused.value.code, refused.value.message) == ("session_full", FULL)
    assert Enrollment.objects.filter(email="ada@example.org").count() == 0


def _admin_deletes(enrollment: Enrollment) -> None:
    enrollment.delete()


def _payment_cannot_start(enrollment: Enrollment) -> None:
    holds.enrollment_release_hold(enrollment_id=enrollment.pk)  # an update(), no signal


def _capacity_raised(enrollment: Enrollment) -> None:
    enrollment.session.capacity = 2
    enrollment.session.save()


@pytest.mark.parametrize("free_a_seat", [_admin_deletes, _payment_cannot_start, _capacity_raised])
def test_a_seat_freed_after_the_session_was_found_full_can_be_taken_at_once(
    django_capture_on_commit_callbacks, free_a_seat
):
    session = SessionFactory.create(capacity=1)
    held = EnrollmentFactory.create(session=session, status=Status.PENDING_PAYMENT)
    with pytest.raises(seats.SessionFull):
        ask(session)

    with django_capture_on_commit_callbacks(execute=True):  # the change is committed
        free_a_seat(held)

    assert ask(session).status == Status.PENDING_PAYMENT


def test_a_full_session_is_answered_anew_when_a_hold_lapses_or_enrollment_closes():
    now = timezone.now()
    session = SessionFactory.create(capacity=2, enrollment_closes_at=now + timedelta(hours=2))
    EnrollmentFactory.create(session=session)
    held = EnrollmentFactory.create(session=session, status=Status.PENDING_PAYMENT)
    with pytest.raises(seats.SessionFull):
        ask(session, now=now)

    assert held.hold_expires_at is not None
    lapsed = held.hold_expires_at + timedelta(seconds=1)  # nothing was written: time alone
    assert ask(session, now=lapsed).status == Status.PENDING_PAYMENT
    with pytest.raises(seats.SessionFull):
        ask(session, now=lapsed)
    with pytest.raises(seats.EnrollmentClosed):
        ask(session, now=now + timedelta(hours=3))


def test_lapsed_holds_expire_and_the_seat_goes_to_the_first_waiting_person():
    session = SessionFactory.create(capacity=1)
    hold = EnrollmentFactory.create(session=session, status=Status.PENDING_PAYMENT)
    first = EnrollmentFactory.create(session=session, status=Status.WAITLISTED)
    second = EnrollmentFactory.create(session=session, status=Status.WAITLISTED)

    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        assert expire_holds() == 1
        offered_at = timezone.now()

    hold.refresh_from_db()
    first.refresh_from_db()
    assert hold.status == Status.EXPIRED
    assert first.status == Status.OFFERED
    assert first.hold_expires_at == pytest.approx(  # a day to decide, WAITLIST_OFFER_HOURS
        offered_at + timedelta(hours=24), abs=timedelta(seconds=5)
    )
    assert Enrollment.objects.get(pk=second.pk).status == Status.WAITLISTED
    kinds = dict(OutgoingMail.objects.values_list("to", "kind"))
    assert kinds == {hold.email: "hold_expired", first.email: "waitlist_offer"}
    offer = OutgoingMail.objects.get(kind="waitlist_offer")
    until = timezone.localtime(first.hold_expires_at, ZoneInfo(session.timezone))
    assert f"until {until:%-d %B %Y, %H:%M} ({session.timezone})" in " ".join(
        offer.body_text.split()
    )


def test_an_offer_never_outlasts_the_session_start(settings):
    settings.WAITLIST_OFFER_HOURS = 24
    session = SessionFactory.create(capacity=1, starts_at=timezone.now() + timedelta(hours=6))
    EnrollmentFactory.create(
        session=session,
        status=Status.PENDING_PAYMENT,
        hold_expires_at=timezone.now() - timedelta(minutes=1),
    )
    waiting = EnrollmentFactory.create(session=session, status=Status.WAITLISTED)

    holds.holds_expire()

    waiting.refresh_from_db()
    assert (waiting.status, waiting.hold_expires_at) == (Status.OFFERED, session.starts_at)


def test_an_offer_that_lapses_goes_to_the_next_person():
    session = SessionFactory.create(capacity=1)
    offered = EnrollmentFactory.create(session=session, status=Status.OFFERED)
    nxt = EnrollmentFactory.create(session=session, status=Status.WAITLISTED)

    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        holds.holds_expire()

    assert Enrollment.objects.get(pk=offered.pk).status == Status.EXPIRED
    assert Enrollment.objects.get(pk=nxt.pk).status == Status.OFFERED


def test_the_waitlist_skips_entries_too_large_for_the_freed_seats():
    session = SessionFactory.create(capacity=3)
    leaving = EnrollmentFactory.create(session=session, seats=1)
    EnrollmentFactory.create(session=session, seats=2)
    group = EnrollmentFactory.create(session=session, seats=3, status=Status.WAITLISTED)
    single = EnrollmentFactory.create(session=session, seats=1, status=Status.WAITLISTED)

    cancellation.enrollment_cancel(enrollment_id=leaving.pk)

    assert Enrollment.objects.get(pk=group.pk).status == Status.WAITLISTED
    assert Enrollment.objects.get(pk=single.pk).status == Status.OFFERED


def test_a_free_session_confirms_the_waiting_person_at_once():
    session = SessionFactory.create(capacity=1, offering__price_cents=0)
    leaving = EnrollmentFactory.create(session=session)
    waiting = EnrollmentFactory.create(session=session, status=Status.WAITLISTED)

    cancellation.enrollment_cancel(enrollment_id=leaving.pk)

    assert Enrollment.objects.get(pk=waiting.pk).status == Status.CONFIRMED


def test_holds_that_have_not_lapsed_stay():
    hold = EnrollmentFactory.create(status=Status.PENDING_PAYMENT)

    assert holds.holds_expire() == 0
    assert Enrollment.objects.get(pk=hold.pk).status == Status.PENDING_PAYMENT


def test_no_offers_once_enrollment_has_closed():
    session = SessionFactory.create(capacity=1, starts_at=timezone.now() + timedelta(minutes=20))
    EnrollmentFactory.create(session=session, status=Status.PENDING_PAYMENT)
    waiting = EnrollmentFactory.create(session=session, status=Status.WAITLISTED)

    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        holds.holds_expire()

    assert Enrollment.objects.get(pk=waiting.pk).status == Status.WAITLISTED


# --- Fair waitlist: seats someone waiting can use are theirs before a newcomer's -------------


def full_with_a_queue(capacity: int, waiting_seats: list[int]) -> tuple[Session, list[Enrollment]]:
    session = SessionFactory.create(capacity=capacity)
    EnrollmentFactory.create(session=session, seats=capacity, status=Status.CONFIRMED)
    queue = [
        EnrollmentFactory.create(
            session=session,
            seats=seats,
            status=Status.WAITLISTED,
            created_at=timezone.now() - timedelta(hours=len(waiting_seats) - n),
        )
        for n, seats in enumerate(waiting_seats)
    ]
    return session, queue


def test_raising_the_capacity_in_the_admin_offers_the_seats_in_order(admin_client):
    session, (first, too_big, third) = full_with_a_queue(2, [1, 3, 1])
    form = {
        "offering": session.offering.pk,
        "title": "",
        "status": session.status,
        "starts_at_0": timezone.localtime(session.starts_at).date().isoformat(),
        "starts_at_1": timezone.localtime(session.starts_at).strftime("%H:%M"),
        "ends_at_0": timezone.localtime(session.ends_at).date().isoformat(),
        "ends_at_1": timezone.localtime(session.ends_at).strftime("%H:%M"),
        "timezone": session.timezone,
        "location": session.location,
        "meeting_link": session.meeting_link,
        "capacity": "4",  # two more seats
        "waitlist_enabled": "on",
        "is_public": "on",
    }

    with timezone.override(ZoneInfo(session.timezone)):
        response = admin_client.post(f"/admin/workshops/session/{session.pk}/change/", form)

    assert response.status_code == 302, response.content.decode()[:3000]
    statuses = {
        entry.pk: Enrollment.objects.get(pk=entry.pk).status for entry in (first, too_big, third)
    }
    # The first and the third fit the two seats; the three-seat booking waits on, in place.
    assert statuses == {
        first.pk: Status.OFFERED,
        too_big.pk: Status.WAITLISTED,
        third.pk: Status.OFFERED,
    }
    offered_to = set(
        OutgoingMail.objects.filter(kind="waitlist_offer").values_list("to", flat=True)
    )
    assert offered_to == {first.email, third.email}


def test_a_newcomer_does_not_take_a_seat_someone_waiting_fits():
    session, (waiting,) = full_with_a_queue(1, [1])
    Session.objects.filter(pk=session.pk).update(capacity=2)  # raised, nobody offered yet
    session.refresh_from_db()

    with pytest.raises(seats.SessionFull):
        holds.enrollment_hold(session_id=session.pk, name="Newcomer", email="new@example.org")

    waiting.refresh_from_db()
    assert waiting.status == Status.OFFERED  # the seat went to the person waiting
    assert not Enrollment.objects.filter(email="new@example.org").exists()


def test_a_newcomer_takes_what_nobody_waiting_can_use():
    session, (big,) = full_with_a_queue(1, [3])
    Session.objects.filter(pk=session.pk).update(capacity=2)  # one seat: too few for them
    session.refresh_from_db()

    booked = holds.enrollment_hold(session_id=session.pk, name="Newcomer", email="new@example.org")

    assert booked.status in {Status.PENDING_PAYMENT, Status.CONFIRMED}
    assert Enrollment.objects.get(pk=big.pk).status == Status.WAITLISTED
