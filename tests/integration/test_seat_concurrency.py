"""DESIGN.md invariant 1: a session never has more confirmed plus held seats than its capacity.

Fifty people press "book" at the same instant against a live, threaded server on
PostgreSQL. With the session row lock, exactly ten get a hold. With the lock switched
off (a test-only setting), the same rush oversells: the test can fail.
"""

import itertools
import threading
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from typing import Any

import pytest
import requests
from django.db.models import Sum
from rest_framework.throttling import ScopedRateThrottle

from enrollments.models import Enrollment
from enrollments.services import holds
from tests.factories import SessionFactory

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

PEOPLE = 50
CAPACITY = 10


@pytest.fixture(autouse=True)
def no_throttle(monkeypatch):
    rates = {**ScopedRateThrottle.THROTTLE_RATES, "enrollments": "10000/minute"}
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", rates)


def rush(url: str, session_id: int, *, join_waitlist: bool) -> list[int]:
    start = threading.Barrier(PEOPLE)

    def book(n: int) -> int:
        body: dict[str, Any] = {
            "session": session_id,
            "name": f"Person {n}",
            "email": f"person{n}@example.org",
            "consent": True,
            "join_waitlist": join_waitlist,
        }
        start.wait(timeout=30)
        return requests.post(f"{url}/api/v1/enrollments/", json=body, timeout=60).status_code

    with ThreadPoolExecutor(max_workers=PEOPLE) as pool:
        return list(pool.map(book, range(PEOPLE)))


def seats_held(session_id: int) -> int:
    return (
        Enrollment.objects.filter(
            session_id=session_id,
            status__in=[Enrollment.Status.PENDING_PAYMENT, Enrollment.Status.CONFIRMED],
        ).aggregate(seats=Sum("seats"))["seats"]
        or 0
    )


def test_fifty_at_once_get_exactly_the_ten_seats(live_server, localstripe):
    session = SessionFactory.create(capacity=CAPACITY, offering__price_cents=9500)

    statuses = rush(live_server.url, session.id, join_waitlist=False)

    assert statuses.count(HTTPStatus.CREATED) == CAPACITY
    assert statuses.count(HTTPStatus.CONFLICT) == PEOPLE - CAPACITY
    assert seats_held(session.id) == CAPACITY


def test_the_rest_join_the_waitlist_when_they_ask(live_server, localstripe):
    session = SessionFactory.create(capacity=CAPACITY, offering__price_cents=9500)

    statuses = rush(live_server.url, session.id, join_waitlist=True)

    assert statuses.count(HTTPStatus.CREATED) == PEOPLE
    assert seats_held(session.id) == CAPACITY
    waiting = Enrollment.objects.filter(session=session, status=Enrollment.Status.WAITLISTED)
    assert waiting.count() == PEOPLE - CAPACITY


def test_without_the_lock_the_same_rush_oversells(live_server, localstripe, settings, monkeypatch):
    settings.ENROLLMENT_SEAT_LOCK = False
    # Without the lock, each request counts the seats and then writes its hold. Keep the
    # first CAPACITY + 1 that counted from writing until all of them have counted: the
    # interleaving the lock exists to prevent, made certain rather than left to timing.
    counted = itertools.count(1)
    all_counted = threading.Event()
    take_reference = holds.unique_reference

    def after_counting() -> str:
        if next(counted) > CAPACITY:
            all_counted.set()
        all_counted.wait(timeout=30)
        return take_reference()

    monkeypatch.setattr(holds, "unique_reference", after_counting)
    session = SessionFactory.create(capacity=CAPACITY, offering__price_cents=9500)

    rush(live_server.url, session.id, join_waitlist=False)

    oversold = seats_held(session.id)
    print(f"without the lock: {oversold} seats held for {CAPACITY}")
    assert oversold > CAPACITY
