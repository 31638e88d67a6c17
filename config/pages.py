"""What every server-rendered page shares (its base template is `pages/base.html`)."""

from typing import TypeVar

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache

from config.errors import NotFound

View = TypeVar("View", bound=type)


def private_answers(view: View) -> View:
    """For an API view whose answers hold a secret link or what a person told us: never
    kept by a browser or a proxy (`Cache-Control: no-store, private`, and no-cache)."""
    return method_decorator(never_cache, name="dispatch")(view)


def page_throttled_answer(request: HttpRequest, wait: float) -> HttpResponse:
    """The kind page for a server-rendered POST made too often (a 429)."""
    response = render(request, "pages/throttled.html", status=429)
    response["Retry-After"] = str(int(wait))
    return response


def page_not_found(request: HttpRequest, error: NotFound) -> HttpResponse:
    """The kind page shown for a link that leads nowhere (an old or mistyped one)."""
    return render(request, "pages/not_found.html", {"message": error.message}, status=404)
