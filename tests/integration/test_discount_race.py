"""DESIGN.md invariant 11: a discount code with a limit of N is used at most N times.

Fifty people book at the same instant against a live, threaded server on PostgreSQL, five
in each of ten sessions (so the sessions' locks do not line them up), all with the one code
that may be used once. Exactly one booking gets the discount; the other 49 are told at the
code's field. With the code's lock taken away, the same rush gives the discount to many:
the test can fail.
"""

import itertools
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from rest_framework.throttling import ScopedRateThrottle

from enrollments.models import DiscountCode, DiscountRedemption, Enrollment
from enrollments.services import discounts
from tests.factories import OfferingFactory, SessionFactory

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

PEOPLE = 50
SESSIONS = 10


@pytest.fixture(autouse=True)
def caps_raised(monkeypatch, settings):
    """One address books fifty times: the per-address caps would refuse most of them."""
    rates = {**ScopedRateThrottle.THROTTLE_RATES, "enrollments": "10000/minute"}
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", rates)
    settings.MAX_ACTIVE_HOLDS_PER_ADDRESS = PEOPLE * 2


@pytest.fixture
def once_for_ten_sessions() -> tuple[DiscountCode, list[int]]:
    offering = OfferingFactory.create(price_cents=10000)
    sessions = [SessionFactory.create(offering=offering, capacity=10) for _ in range(SESSIONS)]
    code = DiscountCode.objects.create(code="ONCEONLY", percent_off=20, max_uses=1)
    return code, [session.pk for session in sessions]


def rush(url: str, session_ids: list[int]) -> list[requests.Response]:
    start = threading.Barrier(PEOPLE)

    def book(n: int) -> requests.Response:
        body: dict[str, Any] = {
            "session": session_ids[n % len(session_ids)],
            "name": f"Person {n}",
            "email": f"person{n}@example.org",
            "consent": True,
            "discount_code": "onceonly",
        }
        start.wait(timeout=30)
        return requests.post(f"{url}/api/v1/enrollments/", json=body, timeout=60)

    with ThreadPoolExecutor(max_workers=PEOPLE) as pool:
        return list(pool.map(book, range(PEOPLE)))


def test_fifty_at_once_over_ten_sessions_use_a_one_use_code_once(
    live_server, localstripe, once_for_ten_sessions
):
    code, session_ids = once_for_ten_sessions

    answers = rush(live_server.url, session_ids)

    created = [answer.json() for answer in answers if answer.status_code == 201]
    refused = [answer.json() for answer in answers if answer.status_code == 400]
    assert len(created) == 1
    assert created[0]["discount"] == {
        "code": "ONCEONLY",
        "amount_off": "20.00",
        "amount": "80.00",
        "currency": "EUR",
    }
    assert created[0]["amount"] == "80.00"
    assert len(refused) == PEOPLE - 1
    assert all(set(answer["fields"]) == {"discount_code"} for answer in refused)
    assert DiscountRedemption.objects.filter(code=code, given_back_at=None).count() == 1
    assert Enrollment.objects.count() == 1  # a refusal stores nothing


def test_without_the_codes_lock_the_same_rush_overspends_it(
    live_server, localstripe, once_for_ten_sessions, monkeypatch
):
    code, session_ids = once_for_ten_sessions
    # Without the lock, each booking counts the code's uses and then records its own. Keep
    # the first few that read the code from counting until all of them have read it: the
    # interleaving the lock exists to prevent, made certain rather than left to timing.
    arrived = itertools.count(1)
    all_read = threading.Event()

    def unlocked(wanted: str) -> DiscountCode | None:
        found = DiscountCode.objects.prefetch_related("offerings").filter(code=wanted).first()
        if next(arrived) >= 3:
            all_read.set()
        all_read.wait(timeout=30)
        return found

    monkeypatch.setattr(discounts, "_locked", unlocked)

    answers = rush(live_server.url, session_ids)

    used = DiscountRedemption.objects.filter(code=code, given_back_at=None).count()
    print(f"without the lock: a one-use code used {used} times")
    assert sum(answer.status_code == 201 for answer in answers) == used
    assert used > 1
