"""The throttles: their counter (config/cache.py `count_hit`), every hit counted in a
window that opens with the first; who they count; and the pages' forms they guard."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from rest_framework.throttling import ScopedRateThrottle

from config.cache import count_hit
from enrollments.models import Enrollment
from tests.conftest import IN_PROCESS_CACHE
from tests.factories import EnrollmentFactory, SurveyInvitationFactory

TOGETHER = 20


@pytest.mark.redis
def test_hits_arriving_together_are_each_counted_once():
    start = threading.Barrier(TOGETHER)

    def hit(_: int) -> int:
        start.wait(timeout=10)
        return count_hit("together", 60)[0]

    with ThreadPoolExecutor(max_workers=TOGETHER) as pool:
        counts = sorted(pool.map(hit, range(TOGETHER)))

    assert counts == list(range(1, TOGETHER + 1))


@pytest.mark.redis
def test_the_window_opens_with_the_first_hit_and_later_hits_do_not_extend_it():
    first, left = count_hit("window", 60)
    second, left_after = count_hit("window", 60)

    assert (first, second) == (1, 2)
    assert 59 < left <= 60
    assert left_after <= left


def test_without_redis_the_count_starts_again_when_the_window_closes(settings):
    settings.CACHES = IN_PROCESS_CACHE
    with time_machine.travel(timezone.now(), tick=False) as clock:
        counts = [count_hit("in-process", 60)[0] for _ in range(3)]
        clock.shift(timedelta(seconds=30))
        assert count_hit("in-process", 60) == (4, 30)
        clock.shift(timedelta(seconds=31))
        assert count_hit("in-process", 60) == (1, 60)

    assert counts == [1, 2, 3]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("first", "second", "counted_together"),
    [
        ("2001:db8:1:2::1", "2001:db8:1:2:ffff::9", True),  # one home's /64
        ("2001:db8:1:2::1", "2001:db8:1:3::1", False),
        ("203.0.113.7", "203.0.113.8", False),
    ],
)
def test_an_ipv6_address_is_counted_by_its_64(api, monkeypatch, first, second, counted_together):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "inquiries", "1/hour")
    ask = {
        "kind": "personal_guidance",
        "name": "Ada",
        "email": "ada@example.org",
        "message": "I'd like to talk about supervision.",
        "consent": True,
    }

    assert api.post("/api/v1/inquiries/", ask, format="json", REMOTE_ADDR=first).status_code == 201
    then = api.post("/api/v1/inquiries/", ask, format="json", REMOTE_ADDR=second)

    assert then.status_code == (429 if counted_together else 201)


def post_page(client, path, data=None):
    return client.post(path, data or {}, REMOTE_ADDR="203.0.113.7")


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["booking-cancel", "booking-pay", "survey"])
def test_forms_on_the_pages_are_throttled_with_a_kind_page(
    client, monkeypatch, django_assert_num_queries, page
):
    scope = "surveys" if page == "survey" else "booking-changes"
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, scope, "2/hour")
    if page == "survey":
        path = f"/surveys/{SurveyInvitationFactory.create().token}/"
    else:
        booking = EnrollmentFactory.create(status=Enrollment.Status.OFFERED)
        path = reverse(page, args=[booking.token])
    for _ in range(2):
        assert post_page(client, path).status_code != 429

    # The third is turned away before anything is read or written.
    with django_assert_num_queries(0):
        refused = post_page(client, path, {"confirm": "yes"})

    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert "Please wait a little" in refused.content.decode()
    assert "nothing is lost" in refused.content.decode()
