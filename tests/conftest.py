"""Shared fixtures, and the rule for tests that need real services.

A test marked `postgres` or `redis` runs whenever the service answers. Without it the
test is skipped on a developer's machine and fails in CI (`CI=true`), so CI can never
pass while quietly leaving integration tests out.
"""

import os
from collections.abc import Iterator
from functools import cache

import pytest
import redis
from django.conf import settings
from django.core.cache import cache as django_cache
from django.db import connection
from rest_framework.test import APIClient

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@cache
def redis_answers() -> bool:
    if not settings.REDIS_URL:
        return False
    try:
        return bool(redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


def pytest_runtest_setup(item: pytest.Item) -> None:
    missing = []
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        missing.append("PostgreSQL (DATABASE_URL=postgres://...)")
    if item.get_closest_marker("redis") and not redis_answers():
        missing.append("Redis (REDIS_URL=redis://...)")
    if missing:
        reason = "needs " + " and ".join(missing)
        if IN_CI:
            pytest.fail(f"{reason}, which CI must provide", pytrace=False)
        pytest.skip(reason)


@pytest.fixture(autouse=True)
def _clean_cache() -> Iterator[None]:
    # Throttle counters live in the cache; each test starts with none.
    django_cache.clear()
    yield
    django_cache.clear()


@pytest.fixture
def api() -> APIClient:
    return APIClient()
