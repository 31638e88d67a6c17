"""Input no part of Regard can store: the NUL character.

PostgreSQL text cannot hold it, so a lookup or insert with one would fail inside the
database as a 500. It is refused at the door instead: in the path and query string by
the middleware here, in JSON bodies by the parser (`config/parsers.py`).
"""

from collections.abc import Callable
from http import HTTPStatus
from urllib.parse import unquote

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation

from config.errors import error_body
from config.parsers import MESSAGE, NUL


class RejectNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        query = unquote(request.META.get("QUERY_STRING", ""))
        if NUL in request.path or NUL in query:
            # This runs before LocaleMiddleware (nothing else may see the NUL), so the
            # refusal picks the person's language itself.
            with translation.override(translation.get_language_from_request(request)):
                body = error_body("invalid", MESSAGE)
            return JsonResponse(body, status=HTTPStatus.BAD_REQUEST)
        return self.get_response(request)
