"""The catalog's public pages, for a practice without a front end of its own: what it
offers, and each offering's sessions with the seats left (DESIGN.md, Public pages)."""

from itertools import groupby

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from config.errors import NotFound
from config.pages import page_not_found
from enrollments.selectors import sessions_with_seats
from workshops import selectors
from workshops.calendar import describe_when
from workshops.models import Offering
from workshops.serializers import SessionOutput

# The order the home page lists kinds in: what a person can book first.
KIND_ORDER = [Offering.Kind.WORKSHOP, Offering.Kind.COACHING, Offering.Kind.TEAM_TRAINING]


def _listed_first(offering: Offering) -> tuple[int, bool, float, str]:
    """By kind, then the soonest first; those with no date last."""
    next_start = offering.next_session_starts_at  # type: ignore[attr-defined]
    return (
        KIND_ORDER.index(Offering.Kind(offering.kind)),
        next_start is None,
        next_start.timestamp() if next_start else 0.0,
        offering.title,
    )


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    offerings = sorted(selectors.published_offerings(), key=_listed_first)
    kinds = [
        (Offering.Kind(kind).label, list(group))
        for kind, group in groupby(offerings, key=lambda o: o.kind)
    ]
    return render(request, "pages/home.html", {"kinds": kinds})


@require_GET
def offering_page(request: HttpRequest, slug: str) -> HttpResponse:
    found = selectors.published_offering_with_sessions(
        sessions_with_seats(selectors.public_sessions())
    ).filter(slug=slug)
    offering = found.first()
    if offering is None:
        return page_not_found(request, NotFound())
    upcoming = offering.upcoming_sessions  # type: ignore[attr-defined]
    sessions = [
        {"session": session, "when": describe_when(session), **data}
        for session, data in zip(upcoming, SessionOutput(upcoming, many=True).data, strict=True)
    ]
    return render(request, "pages/offering.html", {"offering": offering, "sessions": sessions})
