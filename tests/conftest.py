"""Shared fixtures, and the rule for tests that need real services.

A test marked `postgres`, `redis` or `browser` runs whenever the service answers (for
`browser`: Debian's chromium and chromedriver are installed). Without it the
test is skipped on a developer's machine and fails in CI (`CI=true`), so CI can never
pass while quietly leaving integration tests out.
"""

import asyncio
import email
import email.policy
import json
import os
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from functools import cache
from pathlib import Path
from typing import Any

import kombu.pools
import pytest
import redis
import responses
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import MISSING
from django.conf import settings
from django.core.cache import cache as django_cache
from django.db import connection
from rest_framework.test import APIClient

from config import events
from config.cache import outage
from config.celery import app as celery_app
from config.events import Event
from workshops.cache import forget_local_answers

# localstripe and wait_until, for the integration and browser tests.
pytest_plugins = ["tests.stand_ins"]

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
# The cache `make run` uses without REDIS_URL: each process's own.
IN_PROCESS_CACHE = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@cache
def redis_answers() -> bool:
    if not settings.REDIS_URL:
        return False
    try:
        return bool(redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


# Debian's packages, never a download: Selenium Manager cannot reach the internet here.
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


def browser_present() -> bool:
    return all(os.access(program, os.X_OK) for program in (CHROMIUM, CHROMEDRIVER))


def pytest_runtest_setup(item: pytest.Item) -> None:
    missing = []
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        missing.append("PostgreSQL (DATABASE_URL=postgres://...)")
    if item.get_closest_marker("redis") and not redis_answers():
        missing.append("Redis (REDIS_URL=redis://...)")
    if item.get_closest_marker("browser") and not browser_present():
        missing.append(f"Chromium ({CHROMIUM}) and chromedriver ({CHROMEDRIVER})")
    if missing:
        reason = "needs " + " and ".join(missing)
        if IN_CI:
            pytest.fail(f"{reason}, which CI must provide", pytrace=False)
        pytest.skip(reason)


@pytest.fixture(autouse=True)
def _clean_cache() -> Iterator[None]:
    # Throttle counters and catalog answers live in the cache (and the answers in the
    # process too); each test starts with none, and with Redis not paused by an outage
    # an earlier test played.
    outage.reset()
    django_cache.clear()
    forget_local_answers()
    yield
    outage.reset()
    django_cache.clear()
    forget_local_answers()


@pytest.fixture
def api() -> APIClient:
    return APIClient()


# Nothing listens on port 1 of loopback.
DEAD_BROKER = "redis://127.0.0.1:1/0"


def _point_celery_at(url: str) -> None:
    celery_app.conf.broker_url = url
    # Producers are pooled per process, by the app, its amqp and kombu: drop them all.
    # Not with `celery_app.close()`: that also takes the app off Celery's list of active
    # apps, and a task module imported afterwards (`@shared_task`) would never register.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    kombu.pools.reset()


@pytest.fixture
def broker_at() -> Iterator[Callable[[str], None]]:
    """Points the Celery app at another broker for one test, and back afterwards."""
    previous = celery_app.conf.broker_url
    yield _point_celery_at
    _point_celery_at(previous)


@dataclass
class SmtpSink:
    """A real SMTP server on loopback that keeps what it is sent."""

    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    # The client's address and port for each message: one per connection used.
    peers: list[tuple[str, int]] = field(default_factory=list)
    refused: set[str] = field(default_factory=set)  # answered with a permanent 550
    # Busy mail servers take so many messages over one connection, then hang up: at once
    # ("close"), or by answering the next MAIL with 421 ("421").
    per_connection: int | None = None
    hang_up: str = "close"

    def _connection_is_spent(self, session: Any) -> bool:
        return self.per_connection is not None and (
            self.peers.count(session.peer) >= self.per_connection
        )

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> Any:
        if self.hang_up == "421" and self._connection_is_spent(session):
            return "421 4.7.0 That is enough for one connection"
        return MISSING  # aiosmtpd's own handling

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.refused:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(message)
        self.peers.append(session.peer)
        if self.hang_up == "close" and self._connection_is_spent(session):
            # Runs once this reply is written: the client hears 250, then the line goes dead.
            asyncio.get_running_loop().call_soon(server.transport.close)
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_sink(settings: Any) -> Iterator[SmtpSink]:
    sink = SmtpSink(host="127.0.0.1", port=free_port())
    controller = Controller(sink, hostname=sink.host, port=sink.port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = sink.host
    settings.EMAIL_PORT = sink.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield sink
    finally:
        controller.stop()


STRIPE_TEST_BASE = "https://stripe.test"


@pytest.fixture
def stripe_settings(settings: Any) -> Any:
    """Stripe configured for stubbed HTTP (`responses`): nothing leaves the machine."""
    from tests.stripe_payloads import WEBHOOK_SECRET

    settings.STRIPE_SECRET_KEY = "sk_test_regard"
    settings.STRIPE_API_BASE = STRIPE_TEST_BASE
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.PAYMENT_FLOW = "payment_intent"
    return settings


@pytest.fixture
def stripe_http() -> Iterator[responses.RequestsMock]:
    """Stripe's PaymentIntent endpoint, stubbed with a real-shaped answer."""
    from tests.stripe_payloads import form, payment_intent

    with responses.RequestsMock(assert_all_requests_are_fired=False) as stub:

        def create(request: Any) -> tuple[int, dict[str, str], str]:
            params = form(request)
            intent = payment_intent(amount=int(params["amount"]), currency=params["currency"])
            return (200, {}, json.dumps(intent))

        stub.add_callback(responses.POST, f"{STRIPE_TEST_BASE}/v1/payment_intents", callback=create)
        yield stub


@pytest.fixture
def stripe_refunds() -> Iterator[Any]:
    """Stripe's refunds endpoint, stubbed: every refund sent succeeds."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as stub:
        stub.add(
            responses.POST,
            f"{STRIPE_TEST_BASE}/v1/refunds",
            json={"id": "re_test_stub", "object": "refund", "amount": 1, "status": "succeeded"},
        )
        yield stub


@pytest.fixture
def eager_tasks() -> Iterator[None]:
    """Tasks queued on commit run at once, in this process (unit tests; no broker)."""
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_eager_propagates = False


TEMPLATES_FOR_TESTS = Path(__file__).resolve().parent / "templates"


@pytest.fixture
def note_templates(settings: Any) -> None:
    """Adds tests/templates (the `note` email kind) to every template engine."""
    settings.TEMPLATES = [
        {**engine, "DIRS": [TEMPLATES_FOR_TESTS, *engine.get("DIRS", [])]}
        for engine in settings.TEMPLATES
    ]


@pytest.fixture
def published() -> Iterator[Callable[[type[Event]], list[Event]]]:
    """`published(SomeEvent)` is the list of SomeEvents published from then on in the test."""
    listeners: list[tuple[type[Event], Callable[[Event], None]]] = []

    def listen(event_type: type[Event]) -> list[Event]:
        seen: list[Event] = []
        listeners.append((event_type, seen.append))
        events.subscribe(event_type, seen.append)
        return seen

    yield listen
    for event_type, listener in listeners:
        events.unsubscribe(event_type, listener)


@pytest.fixture
def as_role(client: Any) -> Any:
    """Sign in as a new staff member holding one role (after `sync_roles`)."""
    from django.contrib.auth.models import Group, User

    from config.roles import sync_roles

    sync_roles()

    def sign_in(role: str, username: str | None = None) -> User:
        user = User.objects.create_user(username or role.lower(), password="x", is_staff=True)
        user.groups.add(Group.objects.get(name=role))
        client.force_login(user)
        return user

    return sign_in


def to_people(messages: Any) -> list[Any]:
    """The emails written to people, not the practice's own alerts: Django's outbox messages
    (`.to`) or the SMTP sink's (`["To"]`)."""
    from django.conf import settings

    def recipients(message: Any) -> list[str]:
        return list(message.to) if hasattr(message, "to") else [message["To"]]

    return [m for m in messages if recipients(m) != [settings.PRACTICE_NOTIFY_EMAIL]]
