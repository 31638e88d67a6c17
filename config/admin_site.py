"""The admin site: sign-in limited so a password cannot be guessed at speed, a second factor,
and the admin actions every app shares."""

import functools
import hashlib
import json
import zoneinfo
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.cache import cache
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django_otp import user_has_device
from django_otp.admin import OTPAdminAuthenticationForm
from simple_history.admin import SimpleHistoryAdmin

from config import dashboard, privacy
from config.cache import count_hit, fail_open
from config.throttling import client_address


def _sign_in_keys(request: HttpRequest) -> tuple[str, str]:
    """Per address, and per (username, address): never per username alone, which would
    let anyone lock the practice lead out from anywhere."""
    address = client_address(request)
    username = str(request.POST.get("username", "")).strip().lower()[:150]
    pair = hashlib.sha256(f"{address} {username}".encode()).hexdigest()
    return f"admin-login:address:{address}", f"admin-login:pair:{pair}"


def _has_device(request: HttpRequest) -> bool:
    """Whether the signed-in user has set up a second factor, asked once a request: every
    admin page checks its permission more than once (the view, then its context)."""
    known: bool | None = getattr(request, "_regard_has_otp_device", None)
    if known is None:
        known = user_has_device(request.user)
        request._regard_has_otp_device = known  # type: ignore[attr-defined]
    return known


class SignInForm(OTPAdminAuthenticationForm):
    """Password, then the second factor (TOTP, django-otp) for staff who have set one up,
    or for everyone when `ADMIN_REQUIRE_2FA` is on."""

    def clean_otp(self, user: Any) -> None:
        if user is not None and (settings.ADMIN_REQUIRE_2FA or user_has_device(user)):
            super().clean_otp(user)


class RegardAdminSite(admin.AdminSite):
    site_header = "Regard — practice administration"
    site_title = "Regard admin"
    index_title = "The practice"
    login_form = SignInForm
    login_template = "otp/admin111/login.html"
    index_template = "admin/dashboard.html"

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        """The front page: what needs the practice today (config/dashboard.py), then the
        list of everything."""
        context = {"dashboard": dashboard.panels_for(request.user), **(extra_context or {})}
        return super().index(request, context)

    def admin_view(self, view: Any, cacheable: bool = False) -> Any:
        """Every admin page reads and writes times in the practice's own zone, not in UTC
        (the API's): a coordinator who types 16:00 means 16:00 where the practice is. A
        session's own page narrows this to the session's zone (workshops.admin)."""
        guarded = super().admin_view(view, cacheable)

        @functools.wraps(guarded)
        def in_practice_time(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            with timezone.override(zoneinfo.ZoneInfo(settings.PRACTICE_TIME_ZONE)):
                response = guarded(request, *args, **kwargs)
                if isinstance(response, TemplateResponse):
                    response.render()  # its times are written out in the zone, here
                return response

        return in_practice_time

    def has_permission(self, request: HttpRequest) -> bool:
        user: Any = request.user
        if not super().has_permission(request):
            return False
        if settings.ADMIN_REQUIRE_2FA or _has_device(request):
            return bool(user.is_verified())
        return True

    def login(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if request.method != "POST":
            return super().login(request, extra_context)
        by_address, by_pair = _sign_in_keys(request)
        window = settings.ADMIN_LOGIN_WINDOW_SECONDS
        # Counted before the password is checked, each in one atomic step: guesses sent
        # together are each counted, and those past the limit are not tried. Should Redis
        # fail, sign-in goes on uncounted rather than locking the practice out.
        tried_here, _ = fail_open(
            "admin sign-in limits", lambda: count_hit(by_address, window), (0, 0.0)
        )
        tried_as, _ = fail_open(
            "admin sign-in limits", lambda: count_hit(by_pair, window), (0, 0.0)
        )
        if (
            tried_as > settings.ADMIN_LOGIN_ATTEMPTS
            or tried_here > settings.ADMIN_LOGIN_ATTEMPTS_PER_ADDRESS
        ):
            return TemplateResponse(
                request,
                "admin/login_throttled.html",
                {**self.each_context(request), "title": "Please wait a little"},
                status=HTTPStatus.TOO_MANY_REQUESTS,
                headers={"Retry-After": str(window)},
            )
        response = super().login(request, extra_context)
        if request.user.is_authenticated:  # a good sign-in clears the count of its guesses
            fail_open("admin sign-in limits", lambda: cache.delete(by_pair), None)
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


def action_form(
    model_admin: admin.ModelAdmin[Any],
    request: HttpRequest,
    *,
    obj: Any,
    action: str,
    form: Any,
    intro: str,
    title: str,
    button: str = "Save",
) -> TemplateResponse:
    """The page an admin action on one record asks its details on (a refund's amount, a
    revocation's reason), posted back to the action with `apply`."""
    return TemplateResponse(
        request,
        "admin/action_form.html",
        {
            **model_admin.admin_site.each_context(request),
            "title": title,
            "intro": intro,
            "form": form,
            "action": action,
            "button": button,
            "selected": obj.pk,
            "opts": model_admin.model._meta,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        },
    )


def moved_admin_page(request: HttpRequest, model: str, rest: str) -> HttpResponse:
    target = f"/admin/{MOVED_FROM_ENROLLMENTS[model]}/{model}/{rest}"
    query = request.META.get("QUERY_STRING", "")
    return HttpResponsePermanentRedirect(f"{target}?{query}" if query else target)


class PersonalDataAdmin(admin.ModelAdmin[Any]):
    """An admin with the actions that erase, or hand over, everything about the people
    selected (config/privacy.py), for a model whose rows name a person by
    `person_email_field`."""

    person_email_field = "email"

    def has_erase_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("enrollments.erase_personal_data")

    def _emails(self, queryset: QuerySet[Any]) -> list[str]:
        found = queryset.values_list(self.person_email_field, flat=True)
        return sorted({email.strip().lower() for email in found if email})

    @admin.action(
        description="Erase everything about these people, everywhere", permissions=["erase"]
    )
    def erase_people(self, request: HttpRequest, queryset: QuerySet[Any]) -> HttpResponse | None:
        emails = self._emails(queryset)
        user = request.user
        if request.POST.get("confirmed") != "yes":
            return TemplateResponse(
                request,
                "admin/erase_people.html",
                {
                    **self.admin_site.each_context(request),
                    "title": "Erase personal data?",
                    "opts": self.model._meta,
                    "erasures": [privacy.erase_person(email=e, dry_run=True) for e in emails],
                    "selected": queryset.values_list("pk", flat=True),
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                },
            )
        selected = list(queryset)
        erased = sum(
            sum(privacy.erase_person(email=email, by=user).erased.values()) for email in emails
        )
        for record in selected:
            self.log_change(request, record, "Erased the personal data of this person everywhere.")
        self.message_user(
            request,
            f"Erased {erased} record(s) of {len(emails)} person(s), everywhere.",
            messages.SUCCESS,
        )
        return None

    @admin.action(
        description="Export everything held about these people (JSON)", permissions=["erase"]
    )
    def export_people(self, request: HttpRequest, queryset: QuerySet[Any]) -> HttpResponse:
        exports = [privacy.export_person(email=email) for email in self._emails(queryset)]
        for record in queryset:
            self.log_change(request, record, "Exported the personal data of this person.")
        return HttpResponse(
            json.dumps(exports, indent=2, ensure_ascii=False),
            content_type="application/json; charset=utf-8",
            headers={
                "Content-Disposition": 'attachment; filename="personal-data.json"',
                "Cache-Control": "no-store, private",
            },
        )


class HistoryAdmin(SimpleHistoryAdmin):
    """An admin with the record's history (django-simple-history), shown only for records
    the staff member may see at all: the library would otherwise fall back to the history
    of a record outside `get_queryset` (another facilitator's session)."""

    def _check_visible(self, request: HttpRequest, object_id: str) -> None:
        if not self.get_queryset(request).filter(pk=unquote(object_id)).exists():
            raise Http404("No such record.")

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        self._check_visible(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        self._check_visible(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)
