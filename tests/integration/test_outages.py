"""DESIGN.md invariant 9: every public endpoint keeps working while Redis is down or hangs,
and answers 503 in the error shape while PostgreSQL is down. No outage produces a 500.

Redis here is a server of the test's own (tests/integration/conftest.py, OwnRedis), with
the cache, the throttles, the full-session notes and the broker all on it.
"""

import json
import logging
import os
import subprocess
import sys
import time
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
import requests
from django.conf import settings as django_settings

from bench.processes import procfile_command
from billing.models import Payment
from enrollments.models import Enrollment
from inquiries.models import Inquiry
from tests.conftest import free_port
from tests.factories import (
    EnrollmentFactory,
    PaymentFactory,
    SessionFactory,
    SurveyInvitationFactory,
)
from tests.stand_ins import wait_until
from tests.stripe_payloads import delivery, payment_succeeded

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.usefixtures("stripe_settings")]

# The longest a person waits for an answer, whatever Redis is doing.
WITHIN_SECONDS = 2.0


@pytest.fixture
def redis(own_redis, settings):
    """Everything Redis does for Regard, on the test's own Redis."""
    own_redis(True)
    settings.CACHES = {"default": {**django_settings.CACHES["default"], "LOCATION": own_redis.url}}
    settings.CATALOG_CACHE_SECONDS = 30
    return own_redis


def every_public_request(api):
    """An inquiry, a booking, a survey answer, a webhook, and the catalog: how long each took."""
    free = SessionFactory.create(offering__price_cents=0, capacity=50)
    invitation = SurveyInvitationFactory.create()
    held = EnrollmentFactory.create(status=Enrollment.Status.PENDING_PAYMENT)
    payment = PaymentFactory.create(enrollment=held, status=Payment.Status.PENDING)
    succeeded = payment_succeeded(payment)
    payload, signature = delivery(succeeded)
    calls = {
        "inquiry": lambda: api.post(
            "/api/v1/inquiries/",
            {
                "kind": "general",
                "name": "Ada Lovelace",
                "email": "ada@example.org",
                "message": "Could we talk about the spring workshop?",
                "consent": True,
            },
            format="json",
        ),
        "booking": lambda: api.post(
            "/api/v1/enrollments/",
            {"session": free.pk, "name": "Bo", "email": "bo@example.org", "consent": True},
            format="json",
        ),
        "survey answer": lambda: api.post(
            f"/api/v1/surveys/{invitation.token}/",
            {"answers": {"overall": 5, "felt_heard": 5, "recommend": 9}},
            format="json",
        ),
        "webhook": lambda: api.generic(
            "POST",
            "/api/v1/billing/stripe/webhook/",
            payload,
            content_type="application/json",
            HTTP_STRIPE_SIGNATURE=signature,
        ),
        "offerings": lambda: api.get("/api/v1/offerings/"),
        "session": lambda: api.get(f"/api/v1/sessions/{free.pk}/"),
    }
    answered = {}
    for name, call in calls.items():
        started = time.monotonic()
        response = call()
        answered[name] = (response.status_code, time.monotonic() - started)
    return answered


EXPECTED = {
    "inquiry": HTTPStatus.CREATED,
    "booking": HTTPStatus.CREATED,
    "survey answer": HTTPStatus.CREATED,
    "webhook": HTTPStatus.OK,
    "offerings": HTTPStatus.OK,
    "session": HTTPStatus.OK,
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("fault", ["stopped", "hung"])
def test_every_public_request_answers_in_time_while_redis_fails(
    redis, api, fault, caplog, django_capture_on_commit_callbacks
):
    if fault == "stopped":
        redis(False)
    else:
        redis.hang()

    with caplog.at_level(logging.WARNING, logger="config.cache"):
        answered = every_public_request(api)
        again = every_public_request(api)  # within the minute: no new warnings

    assert {name: status for name, (status, _) in answered.items()} == EXPECTED
    assert {name: status for name, (status, _) in again.items()} == EXPECTED
    slow = {name: round(took, 2) for name, (_, took) in {**answered, **again}.items()}
    assert max(slow.values()) < WITHIN_SECONDS, slow
    assert Inquiry.objects.count() == 2  # taken, and its emails wait in the outbox
    warned = [r for r in caplog.records if r.name == "config.cache"]
    assert 1 <= len(warned) <= 5  # one per thing that went without Redis, not per request


@pytest.mark.django_db(transaction=True)
def test_with_redis_up_the_same_requests_answer_as_usual(redis, api):
    answered = every_public_request(api)

    assert {name: status for name, (status, _) in answered.items()} == EXPECTED


# --- PostgreSQL down ------------------------------------------------------------------------


@pytest.fixture
def server_without_a_database():
    """The production web process (the Procfile's gunicorn), with a database that is gone."""
    port = free_port()
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "tests-only-not-secret",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:1/gone",  # nothing listens on port 1
        "REDIS_URL": "",
        "WEB_CONCURRENCY": "1",
        "PORT": str(port),
    }
    web = subprocess.Popen(  # noqa: S602 -- the Procfile's line, as a shell runs it
        f"exec {procfile_command('web')}",
        shell=True,
        cwd=django_settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        executable="/bin/bash",
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _answers(f"{base}/healthz"), 30)
        yield base
    finally:
        web.terminate()
        web.wait(10)


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == HTTPStatus.OK
    except requests.RequestException:
        return False


def test_with_postgresql_down_every_request_answers_503_in_the_error_shape(
    server_without_a_database,
):
    base = server_without_a_database
    inquiry: dict[str, Any] = {
        "kind": "general",
        "name": "Ada",
        "email": "ada@example.org",
        "message": "Hello",
        "consent": True,
    }

    answers = {
        "catalog": requests.get(f"{base}/api/v1/offerings/", timeout=10),
        "inquiry": requests.post(f"{base}/api/v1/inquiries/", json=inquiry, timeout=10),
        "booking page": requests.get(f"{base}/enrollments/{'x' * 43}/", timeout=10),
        "readiness": requests.get(f"{base}/readyz", timeout=10),
    }

    assert {name: r.status_code for name, r in answers.items()} == dict.fromkeys(
        answers, HTTPStatus.SERVICE_UNAVAILABLE
    )
    for name in ("catalog", "inquiry"):
        body = answers[name].json()
        assert body["code"] == "unavailable"
        assert "nothing was saved" in body["message"]
        assert answers[name].headers["Retry-After"] == "30"
    assert "try again" in answers["booking page"].text
    assert json.loads(answers["readiness"].text)["checks"]["database"] == "unavailable"
