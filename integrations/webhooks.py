"""Outgoing webhooks (DESIGN.md, Integrations), signed as Standard Webhooks.

An event is written as a message and one delivery per endpoint that asked for it, in the
transaction of the change it reports (like the mail outbox); `integrations.deliver_webhooks`
sends them, on commit and every minute, each claimed by one worker at a time. A failure is
retried after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h, then given up; a 410, or five days
of failures in a row, disables the endpoint and tells the practice.

Only https, and only to addresses on the internet: the host is resolved, every address it
has is checked (no private, loopback, link-local or otherwise special one), and the
connection goes to the address checked, so a DNS answer that changes in between cannot
move it. Redirects are not followed: a 3xx is a failure. `WEBHOOKS_ALLOW_PRIVATE=true`
lifts the address rule (and allows plain http), for a receiver inside one's own network
and for the tests.

Bodies are thin: `{type, timestamp, data}`, with ids and references only, never what
anyone wrote.
"""

import base64
import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import math
import secrets
import socket
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from config.celery import enqueue_on_commit
from config.errors import InvalidInput
from integrations.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookMessage
from outbox.services import alert_practice

logger = logging.getLogger(__name__)

Event = WebhookEndpoint.Event
Status = WebhookDelivery.Status

# After the first try fails, the next ones come this long after the one before.
RETRY_AFTER = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
DISABLE_AFTER = timedelta(days=5)  # of failures in a row
TIMEOUT_SECONDS = 5.0
# A batch's claim lasts as long as all its tries could, and this; a crashed worker's lapses.
CLAIM_MARGIN = timedelta(seconds=30)
LOG_DAYS = 30
BATCH = 20
SECRET_PREFIX = "whsec_"  # noqa: S105 -- how Standard Webhooks marks a secret


# --- Signing (https://www.standardwebhooks.com, "Signature scheme") ----------------------


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def signature(secret: str, msg_id: str, timestamp: int, body: str) -> str:
    """`v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, keyed by the secret's bytes."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = hmac.new(key, f"{msg_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(signed).decode()


def headers_for(message: WebhookMessage, secret: str) -> dict[str, str]:
    timestamp = int(message.created_at.timestamp())
    return {
        "Content-Type": "application/json",
        "User-Agent": "Regard-Webhooks/1",
        "webhook-id": message.msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, message.msg_id, timestamp, message.body),
    }


# --- Where a webhook may go ------------------------------------------------------------------


class AddressRefused(Exception):
    """The URL may not receive webhooks; the message says why, for the practice."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str  # the IP checked, which the connection goes to


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def checked_target(url: str) -> Target:
    """The URL's host resolved and checked; AddressRefused if it may not be sent to."""
    allow_private = settings.WEBHOOKS_ALLOW_PRIVATE
    parts = urlsplit(url)
    if parts.scheme != "https" and not (allow_private and parts.scheme == "http"):
        raise AddressRefused("Webhooks go to https addresses only.")
    if not parts.hostname:
        raise AddressRefused("The URL has no host.")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        found = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise AddressRefused(f"The host {parts.hostname} could not be resolved.") from error
    addresses = [str(info[4][0]) for info in found]
    if not addresses:
        raise AddressRefused(f"The host {parts.hostname} has no address.")
    if not allow_private and not all(_is_public(address) for address in addresses):
        raise AddressRefused(
            f"{parts.hostname} leads to a private, loopback or link-local address; webhooks "
            "go only to addresses on the internet."
        )
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, parts.hostname, port, path, addresses[0])


def _connected(address: str, port: int, timeout: float | None) -> socket.socket:
    sock = socket.create_connection((address, port), timeout)
    # http.client writes the headers and the body apart: without this, Nagle's algorithm
    # holds the body until the receiver's delayed ACK of the headers, some 40 ms a request.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address checked, whatever the name resolves to by now."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = _connected(self._address, self.port, self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout, context=_tls())
        self._address = target.address

    def connect(self) -> None:
        sock = _connected(self._address, self.port, self.timeout)
        # The certificate must be the host's (SNI and the check use the name, not the IP).
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def _tls() -> ssl.SSLContext:
    return ssl.create_default_context()


@dataclass(frozen=True)
class Answer:
    status_code: int | None
    error: str
    duration_ms: int

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class Sender:
    """POSTs for one sweep: each URL resolved and checked once, each connection to a checked
    address kept open for the next delivery to it (as HTTP/1.1 allows), closed at the end."""

    def __init__(self) -> None:
        self._targets: dict[str, Target | AddressRefused] = {}
        self._connections: dict[Target, http.client.HTTPConnection] = {}

    def _target(self, url: str) -> Target:
        if url not in self._targets:
            try:
                self._targets[url] = checked_target(url)
            except AddressRefused as refused:
                self._targets[url] = refused
        found = self._targets[url]
        if isinstance(found, AddressRefused):
            raise found
        return found

    def post(self, url: str, body: str, headers: Mapping[str, str]) -> Answer:
        """One POST, to the address checked, never following a redirect."""
        started = time.monotonic()

        def answer(status_code: int | None, error: str = "") -> Answer:
            return Answer(status_code, error[:200], round((time.monotonic() - started) * 1000))

        try:
            target = self._target(url)
        except AddressRefused as refused:
            return answer(None, str(refused))
        kept = self._connections.pop(target, None)
        connection = kept or self._connect(target)
        try:
            try:
                response = self._send(connection, target, body, headers)
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                if kept is None:
                    raise
                # The receiver closed the connection kept open since the last delivery: once
                # more, on a new one.
                connection.close()
                connection = self._connect(target)
                response = self._send(connection, target, body, headers)
        except TimeoutError:
            connection.close()
            return answer(None, f"no answer within {TIMEOUT_SECONDS:.0f} s")
        except (OSError, http.client.HTTPException) as error:
            connection.close()
            return answer(None, f"{type(error).__name__}: {error}")
        if response.will_close or not response.isclosed():
            connection.close()  # the receiver ends it, or left more than we read
        else:
            self._connections[target] = connection
        if 300 <= response.status < 400:
            return answer(response.status, "a redirect, not followed")
        return answer(response.status)

    @staticmethod
    def _connect(target: Target) -> http.client.HTTPConnection:
        kind = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
        return kind(target, TIMEOUT_SECONDS)

    @staticmethod
    def _send(
        connection: http.client.HTTPConnection,
        target: Target,
        body: str,
        headers: Mapping[str, str],
    ) -> http.client.HTTPResponse:
        connection.request("POST", target.path, body=body.encode(), headers=dict(headers))
        response = connection.getresponse()
        response.read(64 * 1024)  # a little of the answer, never all of it
        return response

    def close(self) -> None:
        for connection in self._connections.values():
            connection.close()
        self._connections.clear()


# --- Recording events (inside the change's transaction) --------------------------------------


def webhook_event(
    event_type: str,
    data: Mapping[str, Any] | Callable[[], Mapping[str, Any]],
    *,
    now: datetime | None = None,
) -> int:
    """A message for every active endpoint that asked for `event_type`, owed from now on.
    `data` may be a function, called only when an endpoint listens (it may need queries).
    Returns how many deliveries it owes (none when nobody listens)."""
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(active=True).only("pk", "events")
        if event_type in endpoint.events
    ]
    if not endpoints:
        return 0
    now = now or timezone.now()
    body = json.dumps(
        {
            "type": event_type,
            "timestamp": now.isoformat(),
            "data": dict(data() if callable(data) else data),
        },
        separators=(",", ":"),
        sort_keys=True,
    )
    message = WebhookMessage.objects.create(
        msg_id="msg_" + secrets.token_urlsafe(18), type=event_type, body=body, created_at=now
    )
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(message=message, endpoint=endpoint, next_attempt_at=now)
        for endpoint in endpoints
    )
    enqueue_on_commit("integrations.deliver_webhooks")
    return len(endpoints)


# --- Delivering (the job) ---------------------------------------------------------------------


def _due() -> QuerySet[WebhookDelivery]:
    now = timezone.now()
    return WebhookDelivery.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
        status=Status.PENDING,
        next_attempt_at__lte=now,
        endpoint__active=True,
    )


def _claim_batch(now: datetime) -> list[int]:
    """The next due deliveries, for this worker alone until its claim lapses: rows another
    worker is claiming are skipped, and the claim outlasts every try the batch could take."""
    with transaction.atomic():
        ids = list(
            _due()
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("next_attempt_at", "id")
            .values_list("pk", flat=True)[:BATCH]
        )
        claim_for = timedelta(seconds=TIMEOUT_SECONDS * len(ids)) + CLAIM_MARGIN
        WebhookDelivery.objects.filter(pk__in=ids).update(claimed_until=now + claim_for)
    return ids


def _record(sent: list[tuple[WebhookDelivery, Answer, datetime]]) -> None:
    """A batch's outcomes in one transaction: each try for the log, the deliveries (those
    that arrived in one statement per answer code), and what each endpoint's last answer
    says of it (a success ends a run of failures)."""
    arrived: dict[int | None, list[int]] = {}
    last: dict[int, tuple[WebhookEndpoint, Answer, datetime]] = {}
    with transaction.atomic():
        WebhookAttempt.objects.bulk_create(
            WebhookAttempt(
                delivery=delivery,
                at=at,
                status_code=answer.status_code,
                error=answer.error,
                duration_ms=answer.duration_ms,
            )
            for delivery, answer, at in sent
        )
        for delivery, answer, at in sent:
            last[delivery.endpoint_id] = (delivery.endpoint, answer, at)
            if answer.delivered:
                arrived.setdefault(answer.status_code, []).append(delivery.pk)
            else:
                _failed(delivery, answer, at)
        for status_code, ids in arrived.items():
            WebhookDelivery.objects.filter(pk__in=ids).update(
                status=Status.DELIVERED,
                delivered_at=sent[-1][2],
                attempts=F("attempts") + 1,
                last_status_code=status_code,
                last_error="",
                claimed_until=None,
            )
        healthy = [pk for pk, (_e, answer, _t) in last.items() if answer.delivered]
        WebhookEndpoint.objects.filter(pk__in=healthy, failing_since__isnull=False).update(
            failing_since=None
        )
        for endpoint, answer, at in last.values():
            if not answer.delivered:
                _endpoint_failed(endpoint, answer, at)


def _failed(delivery: WebhookDelivery, answer: Answer, at: datetime) -> None:
    """Retried on the schedule, or given up after its last retry."""
    attempts = delivery.attempts + 1
    changes: dict[str, Any] = {
        "attempts": attempts,
        "last_status_code": answer.status_code,
        "last_error": answer.error,
        "claimed_until": None,
    }
    if attempts > len(RETRY_AFTER):
        changes["status"] = Status.FAILED
    else:
        changes["next_attempt_at"] = at + RETRY_AFTER[attempts - 1]
    WebhookDelivery.objects.filter(pk=delivery.pk).update(**changes)


def _endpoint_failed(endpoint: WebhookEndpoint, answer: Answer, now: datetime) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(
        failing_since=now
    )
    endpoint.refresh_from_db(fields=["failing_since", "active"])
    reason = ""
    if answer.status_code == HTTPStatus.GONE:
        reason = "It answered 410 Gone: the receiver says it no longer exists."
    elif endpoint.failing_since is not None and now - endpoint.failing_since >= DISABLE_AFTER:
        reason = f"Every delivery failed for {DISABLE_AFTER.days} days."
    if reason and endpoint.active:
        webhook_endpoint_disable(endpoint_id=endpoint.pk, reason=reason, now=now)


def webhook_endpoint_disable(*, endpoint_id: int, reason: str, now: datetime | None = None) -> None:
    now = now or timezone.now()
    disabled = WebhookEndpoint.objects.filter(pk=endpoint_id, active=True).update(
        active=False, disabled_at=now, disabled_reason=reason[:200]
    )
    if disabled:
        endpoint = WebhookEndpoint.objects.get(pk=endpoint_id)
        alert_practice(
            kind="webhook_disabled",
            text=(
                f"The webhook endpoint {endpoint.url} was turned off: {reason} Nothing more is "
                "sent to it until it is turned on again in the admin (Integrations → Webhook "
                "endpoints); what it missed can be resent from the delivery log."
            ),
            related=endpoint,
        )


@dataclass(frozen=True)
class Sweep:
    sent: int
    delivered: int
    unfinished: bool


def webhooks_deliver_due(
    *, now: datetime | None = None, budget_seconds: float | None = None
) -> Sweep:
    """Every delivery due, oldest first, a claimed batch at a time, until the budget is
    spent; the log past LOG_DAYS is cleared as it goes. Network calls happen outside any
    transaction (DESIGN.md)."""
    now = now or timezone.now()
    deadline = math.inf if budget_seconds is None else time.monotonic() + budget_seconds
    sent = delivered = 0
    sender = Sender()
    try:
        while ids := _claim_batch(timezone.now()):
            batch = WebhookDelivery.objects.select_related("message", "endpoint").filter(pk__in=ids)
            outcomes, gone, held = [], set(), []
            for delivery in sorted(batch, key=lambda d: (d.next_attempt_at, d.pk)):
                if delivery.endpoint_id in gone:
                    held.append(delivery.pk)  # its endpoint said 410: it is turned off
                    continue
                message = delivery.message
                headers = headers_for(message, delivery.endpoint.secret)
                answer = sender.post(delivery.endpoint.url, message.body, headers)
                outcomes.append((delivery, answer, timezone.now()))
                if answer.status_code == HTTPStatus.GONE:
                    gone.add(delivery.endpoint_id)
            _record(outcomes)
            WebhookDelivery.objects.filter(pk__in=held).update(claimed_until=None)
            sent += len(outcomes)
            delivered += sum(answer.delivered for _d, answer, _t in outcomes)
            if time.monotonic() >= deadline:
                return Sweep(sent, delivered, unfinished=True)
    finally:
        sender.close()
    _clear_old_log(now)
    return Sweep(sent, delivered, unfinished=False)


def _clear_old_log(now: datetime) -> None:
    old = WebhookMessage.objects.filter(created_at__lt=now - timedelta(days=LOG_DAYS))
    ids = list(old.values_list("pk", flat=True)[:1000])
    if ids:
        WebhookMessage.objects.filter(pk__in=ids).delete()  # its deliveries and attempts too


def webhook_resend(*, delivery_id: int, now: datetime | None = None) -> None:
    """Owe a delivery again (from the log): sent at the next sweep, on a fresh schedule."""
    now = now or timezone.now()
    WebhookDelivery.objects.filter(pk=delivery_id).update(
        status=Status.PENDING, attempts=0, next_attempt_at=now, claimed_until=None
    )
    enqueue_on_commit("integrations.deliver_webhooks")


def webhook_endpoint_enable(*, endpoint_id: int) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint_id).update(
        active=True, disabled_at=None, disabled_reason="", failing_since=None
    )


def endpoint_errors(url: str, events: list[str]) -> dict[str, list[str]]:
    """What is wrong with an endpoint as the practice typed it, by field."""
    errors: dict[str, list[str]] = {}
    try:
        checked_target(url)
    except AddressRefused as refused:
        errors["url"] = [str(refused)]
    if not events or set(events) - set(Event.values):
        errors["events"] = ["Choose one or more of the events offered."]
    return errors


def webhook_endpoint_create(
    *, url: str, events: list[str], description: str = ""
) -> WebhookEndpoint:
    if errors := endpoint_errors(url, events):
        raise InvalidInput(fields=errors)
    return WebhookEndpoint.objects.create(
        url=url, events=sorted(set(events)), description=description, secret=new_secret()
    )
