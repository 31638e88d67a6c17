"""What every server-rendered page shares (its base template is `pages/base.html`)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from config.errors import NotFound


def page_not_found(request: HttpRequest, error: NotFound) -> HttpResponse:
    """The kind page shown for a link that leads nowhere (an old or mistyped one)."""
    return render(request, "pages/not_found.html", {"message": error.message}, status=404)
