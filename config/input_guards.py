"""Input no part of Regard can store: the NUL character.

PostgreSQL text cannot hold it, so a lookup or insert with one would fail inside the
database as a 500. It is refused at the door instead: in the path and query string by
the middleware, in JSON bodies by the parser.
"""

from collections.abc import Callable
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote

from django.http import HttpRequest, HttpResponse, JsonResponse
from rest_framework import exceptions, parsers

NUL = "\x00"
MESSAGE = "Part of this request contains a character we cannot accept (NUL). Please remove it."


def _where_nul(data: Any, path: str = "") -> str | None:
    """The field path (`participants.0.name`) of the first NUL in parsed JSON, if any."""
    if isinstance(data, str):
        return (path or "non_field_errors") if NUL in data else None
    if isinstance(data, dict):
        items: Any = data.items()
    elif isinstance(data, list):
        items = enumerate(data)
    else:
        return None
    for key, value in items:
        here = f"{path}.{key}" if path else str(key)
        if NUL in str(key):
            return here
        found = _where_nul(value, here)
        if found:
            return found
    return None


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        field = _where_nul(data)
        if field:
            raise exceptions.ValidationError({field: [MESSAGE]})
        return data


class RejectNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        query = unquote(request.META.get("QUERY_STRING", ""))
        if NUL in request.path or NUL in query:
            # Imported here: config.errors loads DRF, whose settings load this module's parser.
            from config.errors import error_body

            return JsonResponse(error_body("invalid", MESSAGE), status=HTTPStatus.BAD_REQUEST)
        return self.get_response(request)
