"""What every server-rendered page shares (its base template is `pages/base.html`)."""

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any, TypeVar

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache

from config.errors import NotFound

View = TypeVar("View", bound=type)


def practice(request: HttpRequest) -> dict[str, Any]:
    """What every page says about the practice: its name, its welcome, its privacy notice."""
    return {
        "practice_name": settings.PRACTICE_NAME,
        "practice_tagline": settings.PRACTICE_TAGLINE,
        "privacy_policy_url": settings.PRIVACY_POLICY_URL,
        "practice_time_zone": settings.PRACTICE_TIME_ZONE,
    }


def private_answers(view: View) -> View:
    """For an API view whose answers hold a secret link or what a person told us: never
    kept by a browser or a proxy (`Cache-Control: no-store, private`, and no-cache)."""
    return method_decorator(never_cache, name="dispatch")(view)


def page_throttled_answer(request: HttpRequest, wait: float) -> HttpResponse:
    """The kind page for a server-rendered POST made too often (a 429)."""
    # Its language switch leads home: the address it answered may only be posted to.
    response = render(request, "pages/throttled.html", {"switch_to": "/"}, status=429)
    response["Retry-After"] = str(int(wait))
    return response


def pdf_response(content: bytes, *, filename: str) -> HttpResponse:
    """A PDF behind a secret link (an invoice, a proposal): shown in the browser, never
    kept by a browser or a proxy."""
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "no-store, private"
    return response


def page_not_found(request: HttpRequest, error: NotFound) -> HttpResponse:
    """The kind page shown for a link that leads nowhere (an old or mistyped one)."""
    return render(request, "pages/not_found.html", {"message": error.message}, status=404)


@dataclass
class PageField:
    """One field of a page's form: what the person typed (kept when it is shown again)
    and the kind errors the API would give for it, tied to it by id."""

    name: str
    value: Any = ""
    errors: list[str] = dataclass_field(default_factory=list)

    @property
    def id(self) -> str:
        return f"f-{self.name}"


def page_fields(
    names: list[str], values: Mapping[str, Any], errors: Mapping[str, Any]
) -> dict[str, PageField]:
    return {
        name: PageField(name, values.get(name, ""), [str(e) for e in _flat(errors.get(name, []))])
        for name in names
    }


def _flat(errors: Any) -> list[Any]:
    if isinstance(errors, dict):
        return [e for value in errors.values() for e in _flat(value)]
    if isinstance(errors, list):
        return [e for value in errors for e in _flat(value)]
    return [errors]


def error_summary(
    fields: Mapping[str, PageField], errors: Mapping[str, Any]
) -> list[tuple[str, str]]:
    """(the field's id, or "" for the whole form; the message), for the summary at the top."""
    summary = [(f.id, message) for f in fields.values() for message in f.errors]
    for name, messages in errors.items():
        if name not in fields:
            summary.extend(("", str(message)) for message in _flat(messages))
    return summary


def privacy(request: HttpRequest) -> HttpResponse:
    """The practice's notice of what it keeps and for how long, from its own settings
    (README, the data map); a practice with its own notice sets PRIVACY_POLICY_URL."""
    days = settings.PERSONAL_DATA_RETENTION_DAYS
    return render(request, "pages/privacy.html", {"retention_months": round(days / 30.4)})
