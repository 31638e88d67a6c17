"""The admin site, with sign-in attempts limited so a password cannot be guessed at speed."""

from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.template.response import TemplateResponse


def _keys(request: HttpRequest) -> list[str]:
    # Per address and per username: one attacker cannot lock everyone out from one address
    # (the username key), and cannot try many names from one address (the address key).
    address = request.META.get("REMOTE_ADDR", "")
    username = str(request.POST.get("username", "")).strip().lower()[:150]
    return [f"admin-login:address:{address}", f"admin-login:user:{username}"]


class RegardAdminSite(admin.AdminSite):
    site_header = "Regard — practice administration"
    site_title = "Regard admin"
    index_title = "The practice"

    def login(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if request.method != "POST":
            return super().login(request, extra_context)
        keys = _keys(request)
        limit = settings.ADMIN_LOGIN_ATTEMPTS
        if any((cache.get(key) or 0) >= limit for key in keys):
            return TemplateResponse(
                request,
                "admin/login_throttled.html",
                {**self.each_context(request), "title": "Please wait a little"},
                status=HTTPStatus.TOO_MANY_REQUESTS,
                headers={"Retry-After": str(settings.ADMIN_LOGIN_WINDOW_SECONDS)},
            )
        response = super().login(request, extra_context)
        if request.user.is_authenticated:
            cache.delete_many(keys)
        else:
            for key in keys:
                cache.add(key, 0, settings.ADMIN_LOGIN_WINDOW_SECONDS)
                cache.incr(key)
        return response


# Models that were born in enrollments and moved to apps of their own (README, "Moved in
# place"), by the app that holds them now. Their old admin pages redirect to the new ones:
# links in emails already sent (an inquiry's notification) and bookmarks keep working.
MOVED_FROM_ENROLLMENTS = {
    "inquiry": "inquiries",
    "inquirynote": "inquiries",
    "inquirystatuschange": "inquiries",
    "outgoingmail": "outbox",
    "surveytemplate": "surveys",
    "surveyquestion": "surveys",
    "offeringsurvey": "surveys",
    "surveyinvitation": "surveys",
    "surveyanswer": "surveys",
}


def moved_admin_page(request: HttpRequest, model: str, rest: str) -> HttpResponse:
    target = f"/admin/{MOVED_FROM_ENROLLMENTS[model]}/{model}/{rest}"
    query = request.META.get("QUERY_STRING", "")
    return HttpResponsePermanentRedirect(f"{target}?{query}" if query else target)
