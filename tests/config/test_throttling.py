"""The throttles' counter (config/cache.py `count_hit`): every hit counted, in a window
that opens with the first."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from config.cache import count_hit
from tests.conftest import IN_PROCESS_CACHE

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
