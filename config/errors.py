"""One error shape for the whole API: `{"code", "message", "fields"?}`.

Services raise `DomainError`s; DRF raises its own exceptions. `api_exception_handler`
turns both into the shape and keeps DRF's `set_rollback()`, so a failed request
stores nothing. `not_found` and `server_error` give the same shape to requests that
never reach a DRF view (an unknown `/api/...` path, an unexpected crash).

Messages are translatable (DESIGN.md, Public pages, languages): class attributes and
constants are lazy, so each reads in the language of the request that shows it, and
`error_body` turns them into plain text before they reach a dict that may be stored.
"""

import sys
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.encoding import force_str
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from django_stubs_ext import StrOrPromise
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import set_rollback


class DomainError(Exception):
    """A rule of the practice declined the request; `code` is stable, `message` is for people."""

    status: HTTPStatus = HTTPStatus.CONFLICT
    code: str = "conflict"
    message: StrOrPromise = _("That can't be done right now.")
    retry_after: int | None = None  # seconds, for a refusal that lifts by itself

    def __init__(
        self,
        message: StrOrPromise | None = None,
        *,
        code: str | None = None,
        fields: Mapping[str, list[str]] | None = None,
    ) -> None:
        self.message = message or self.message
        self.code = code or self.code
        self.fields = dict(fields) if fields else None
        super().__init__(self.message)


class InvalidInput(DomainError):
    status = HTTPStatus.BAD_REQUEST
    code = "invalid"
    message = _("Some of the details need another look. Please check the fields below.")


class NotFound(DomainError):
    status = HTTPStatus.NOT_FOUND
    code = "not_found"
    message = _("We couldn't find that. The link may be out of date, or it may have been removed.")


class Conflict(DomainError):
    status = HTTPStatus.CONFLICT


class TooMany(DomainError):
    """A cap on what one person or address may set off in a while (429)."""

    status = HTTPStatus.TOO_MANY_REQUESTS
    code = "throttled"
    retry_after = 3600


class ServiceUnavailable(DomainError):
    status = HTTPStatus.SERVICE_UNAVAILABLE
    code = "unavailable"
    message = _(
        "Something on our side is not answering right now. Please try again in a few minutes."
    )


# Sentences for DRF's own exceptions, by their default code.
_MESSAGES: dict[str, StrOrPromise] = {
    "invalid": InvalidInput.message,
    "parse_error": _("We couldn't read that request. Please send valid JSON."),
    "not_found": NotFound.message,
    "method_not_allowed": _("That action isn't available here."),
    "not_acceptable": _("We can only answer in JSON."),
    "unsupported_media_type": _(
        "Please send the request as JSON (Content-Type: application/json)."
    ),
    "throttled": _(
        "We've received several requests from you in a short time. "
        "Please wait a little and try again; we'll be glad to hear from you."
    ),
    "not_authenticated": _("Please sign in to do that."),
    "permission_denied": _("You don't have access to this."),
    "authentication_failed": _("We couldn't confirm who you are. Please sign in again."),
}

_CODES: dict[str, str] = {"parse_error": "malformed_request", "permission_denied": "forbidden"}


def flatten_field_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested errors as one flat map: `{"participants.1.email": ["Enter a valid…"]}`.

    Clients get the one documented shape, however deep the field sits.
    """
    if isinstance(detail, dict):
        items: Any = detail.items()
    elif isinstance(detail, list) and any(isinstance(item, dict | list) for item in detail):
        items = ((str(index), item) for index, item in enumerate(detail))
    else:
        messages = detail if isinstance(detail, list) else [detail]
        return {prefix or "non_field_errors": [str(message) for message in messages]}
    flat: dict[str, list[str]] = {}
    for key, value in items:
        if value in ({}, []):
            continue  # a list item without errors
        if key == api_settings.NON_FIELD_ERRORS_KEY and prefix:
            name = prefix  # "participants" must be a list: said of the field itself
        else:
            name = f"{prefix}.{key}" if prefix else str(key)
        for field, messages in flatten_field_errors(value, name).items():
            flat.setdefault(field, []).extend(messages)
    return flat


def error_body(code: str, message: StrOrPromise, fields: Any = None) -> dict[str, Any]:
    # Plain text from here on: the body may be stored (an idempotent request's answer) or
    # encoded by a JSON encoder that knows nothing of lazy strings.
    body: dict[str, Any] = {"code": code, "message": force_str(message)}
    if fields:
        body["fields"] = {
            str(name): [force_str(text) for text in texts] for name, texts in fields.items()
        }
    return body


def api_exception_handler(exc: Exception, context: Mapping[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        set_rollback()
        retry = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
        return Response(
            error_body(exc.code, exc.message, exc.fields), status=exc.status, headers=retry
        )

    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))

    if isinstance(exc, OperationalError | InterfaceError):
        return _database_unavailable()

    if not isinstance(exc, exceptions.APIException):
        return None  # a real bug: Django logs it and `server_error` answers in the shape

    headers: dict[str, str] = {}
    wait = getattr(exc, "wait", None)  # set on Throttled
    if wait is not None:
        headers["Retry-After"] = str(max(1, int(wait)))
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header  # type: ignore[attr-defined]

    default_code = exc.default_code
    code = _CODES.get(default_code, default_code)
    if isinstance(exc, exceptions.ValidationError):
        body = error_body("invalid", _MESSAGES["invalid"], flatten_field_errors(exc.detail))
    else:
        body = error_body(code, _MESSAGES.get(default_code, str(exc.detail)))

    set_rollback()
    return Response(body, status=exc.status_code, headers=headers)


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse(error_body("not_found", NotFound.message), status=HTTPStatus.NOT_FOUND)
    return defaults.page_not_found(request, exception)


DATABASE_DOWN = _(
    "We can't reach our records just now, so nothing was saved. Please try again in a few "
    "minutes; if it is urgent, please write to us by email."
)


def _database_unavailable() -> Response:
    set_rollback()
    return Response(
        error_body("unavailable", DATABASE_DOWN),
        status=HTTPStatus.SERVICE_UNAVAILABLE,
        headers={"Retry-After": "30"},
    )


def server_error(request: HttpRequest) -> HttpResponse:
    # Called while the error is being handled: a database that does not answer is an
    # outage (503, DESIGN.md invariant 9), not a bug.
    if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        if _is_api(request):
            return JsonResponse(
                error_body("unavailable", DATABASE_DOWN),
                status=HTTPStatus.SERVICE_UNAVAILABLE,
                headers={"Retry-After": "30"},
            )
        title = gettext("Please try again soon")
        return HttpResponse(
            f"<!doctype html><title>{title}</title><p>{DATABASE_DOWN}</p>",
            status=HTTPStatus.SERVICE_UNAVAILABLE,
            headers={"Retry-After": "30"},
        )
    if _is_api(request):
        message = gettext(
            "Something went wrong on our side. Nothing you did caused it; please try again."
        )
        return JsonResponse(
            error_body("server_error", message), status=HTTPStatus.INTERNAL_SERVER_ERROR
        )
    return defaults.server_error(request)
