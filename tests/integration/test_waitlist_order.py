"""The fair waitlist (DESIGN.md): seats that someone waiting can use are theirs before any
new booking's. A full session with three people waiting has its capacity raised by two at the
same instant as twenty new bookings arrive at a live server on PostgreSQL: the two seats go
to the first two waiting, in order, and no newcomer gets one, whichever came first.
"""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
import requests
from django.db import connection
from django.utils import timezone
from rest_framework.throttling import ScopedRateThrottle

from enrollments.models import Enrollment
from tests.factories import EnrollmentFactory, SessionFactory
from workshops.models import Session

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

NEWCOMERS = 20
Status = Enrollment.Status


@pytest.fixture(autouse=True)
def caps_raised(monkeypatch, settings):
    rates = {**ScopedRateThrottle.THROTTLE_RATES, "enrollments": "10000/minute"}
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", rates)
    settings.MAX_ACTIVE_HOLDS_PER_ADDRESS = NEWCOMERS * 2


def test_seats_added_while_newcomers_book_go_to_those_waiting_in_order(live_server, localstripe):
    session = SessionFactory.create(capacity=2, offering__price_cents=9500)
    EnrollmentFactory.create(session=session, seats=2, status=Status.CONFIRMED)
    queue = [
        EnrollmentFactory.create(
            session=session,
            status=Status.WAITLISTED,
            created_at=timezone.now() - timedelta(hours=3 - n),
        )
        for n in range(3)
    ]
    start = threading.Barrier(NEWCOMERS + 1)

    def book(n: int) -> int:
        body: dict[str, Any] = {
            "session": session.pk,
            "name": f"Newcomer {n}",
            "email": f"newcomer{n}@example.org",
            "consent": True,
        }
        start.wait(timeout=30)
        return requests.post(
            f"{live_server.url}/api/v1/enrollments/", json=body, timeout=60
        ).status_code

    def raise_capacity() -> None:
        # However the seats come (an edit that offers nothing): the bookings see to it.
        try:
            start.wait(timeout=30)
            Session.objects.filter(pk=session.pk).update(capacity=4)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=NEWCOMERS + 1) as pool:
        raised = pool.submit(raise_capacity)
        answers = list(pool.map(book, range(NEWCOMERS)))
        raised.result()

    assert answers == [409] * NEWCOMERS
    assert [Enrollment.objects.get(pk=entry.pk).status for entry in queue] == [
        Status.OFFERED,
        Status.OFFERED,
        Status.WAITLISTED,
    ]
    assert not Enrollment.objects.filter(email__startswith="newcomer").exists()
