"""Schema fuzzing (schemathesis): every public operation with generated input, bounded in
examples. No answer may be a 5xx other than the documented 503s, and every answer must
match what the schema says (status, content type, body)."""

import os

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.throttling import ScopedRateThrottle
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from tests.conftest import IN_CI

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def django_settings(settings):
    return settings  # pytest-django's, under a name hypothesis' `settings` does not take


@pytest.fixture(autouse=True)
def catalog(db, monkeypatch):
    # As Django's test client does: requests must not close the test's database connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    call_command("seed_demo", verbosity=0)
    # Throttling is tested on its own; here it would only hide the other answers.
    rates = dict.fromkeys(ScopedRateThrottle.THROTTLE_RATES, "100000/minute")
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", rates)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


FUZZING = settings(
    # FUZZ_EXAMPLES=500 make test PYTEST_ARGS=tests/test_schema_fuzz.py digs deeper.
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "30")),
    # Reproducible in CI (main stays green for a known reason); exploring on developers' runs.
    derandomize=IN_CI,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)


def answers_as_documented(case) -> None:
    response = case.call()
    if response.status_code == 503:
        # Payments are unavailable in this test (no Stripe configured): documented, not a bug.
        assert response.json()["code"] == "payment_unavailable"
        return
    case.validate_response(response, checks=CHECKS)


@schema.parametrize()
@FUZZING
def test_every_operation_answers_as_documented(case):
    answers_as_documented(case)


# Nothing listens on port 1 of loopback: every call to this Redis is refused.
STOPPED_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def redis_stopped(django_settings, broker_at):
    """The cache, throttles, notes and broker all on a Redis that is not there."""
    django_settings.CACHES = {
        "default": {
            "BACKEND": "config.cache.SharedClientRedisCache",
            "LOCATION": STOPPED_REDIS,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    django_settings.CATALOG_CACHE_SECONDS = 30
    broker_at(STOPPED_REDIS)


@schema.parametrize()
@FUZZING
def test_every_operation_answers_as_documented_with_redis_stopped(case, redis_stopped):
    # DESIGN.md invariant 9: no outage produces a 500.
    answers_as_documented(case)
