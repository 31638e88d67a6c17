"""Structured logs: one JSON object a line, with a request id, and no secrets or personal data.

Booking and survey links carry their secret in the URL path, and people's addresses
appear in some library messages (Django's "Not Found: /path", SMTP errors), so every
message is redacted on its way out, whoever logged it.
"""

import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse

request_id: ContextVar[str] = ContextVar("request_id", default="-")

# Secret link tokens are 43 URL-safe characters; nothing else we log is that long and dense.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32,}")
_EMAIL = re.compile(r"[^\s@<>\"'(),;:]+@[^\s@<>\"'(),;:]+\.[A-Za-z]{2,}")
# PostgreSQL quotes the whole row when a constraint fails; that row may hold what a person wrote.
_FAILING_ROW = re.compile(r"(Failing row contains )\(.*?\)(?=\.?\s*$|\n)", re.MULTILINE)
_INCOMING_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

access_log = logging.getLogger("regard.access")


def redact(text: str) -> str:
    text = _FAILING_ROW.sub(r"\1(withheld)", text)
    return _EMAIL.sub("[email]", _TOKEN.sub("[secret]", text))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": request_id.get(),
            "message": redact(record.getMessage()),
        }
        for field in ("method", "route", "status", "duration_ms"):
            if hasattr(record, field):
                entry[field] = getattr(record, field)
        if record.exc_info:
            entry["error"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry)


class RedactingFormatter(logging.Formatter):
    """The plain format for development consoles, redacted all the same."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class RequestIdMiddleware:
    """Gives each request an id (or keeps a sane one from the proxy), and logs one access line
    with the URL pattern instead of the path, so secret links never reach the log."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        current = incoming if _INCOMING_ID.match(incoming) else uuid.uuid4().hex
        # Left set after the response: Django logs 4xx and 5xx answers outside the middleware,
        # and those lines should carry the id too. The next request sets its own.
        request_id.set(current)
        started = time.monotonic()
        response = self.get_response(request)
        match = request.resolver_match
        access_log.info(
            "%s %s %s",
            request.method,
            match.route if match else "(unmatched)",
            response.status_code,
            extra={
                "method": request.method,
                "route": match.route if match else None,
                "status": response.status_code,
                "duration_ms": round((time.monotonic() - started) * 1000, 1),
            },
        )
        response["X-Request-ID"] = current
        return response


def hide_secret_links(text: str) -> str:
    """A secret link's token hidden, for staff who may not open the booking it leads to."""
    return _TOKEN.sub("[link hidden]", text)


# What an error report never carries: bodies, cookies, query strings, and the headers that
# hold credentials. Everything else is kept, every string in it redacted.
_DROPPED_REQUEST = ("data", "cookies", "query_string", "env")
_DROPPED_HEADERS = {"cookie", "authorization", "x-csrftoken", "stripe-signature"}


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: _redacted(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted(item) for item in value]
    return value


def scrub_sentry_event(event: Any, hint: dict[str, Any]) -> Any:
    """Error reports and traces carry the route and the error, never bodies, addresses or
    secret links: in the request and its headers (`Referer`), the message and its params
    (`logentry`), breadcrumbs, exceptions and spans alike."""
    request = event.get("request")
    if isinstance(request, dict):
        for key in _DROPPED_REQUEST:
            request.pop(key, None)
        headers = request.get("headers")
        if isinstance(headers, dict):
            request["headers"] = {
                name: value
                for name, value in headers.items()
                if str(name).lower() not in _DROPPED_HEADERS
            }
    return _redacted(event)
