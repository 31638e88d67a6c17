from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from config import dashboard
from config.admin_site import HistoryAdmin
from config.money import format_amount
from enrollments.selectors import sessions_waiting, sessions_with_seats
from enrollments.services.cancellation import session_cancel
from enrollments.services.reminders import session_notify_change
from enrollments.services.waitlist import waitlist_offer_on
from surveys.selectors import survey_results
from workshops.calendar import describe_when
from workshops.models import Facilitator, Offering, Session, Topic, known_zone
from workshops.selectors import leads_only_own_sessions, sessions_for_staff
from workshops.services import offerings_publish


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin[Topic]):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Facilitator)
class FacilitatorAdmin(admin.ModelAdmin[Facilitator]):
    list_display = ["name", "credentials"]
    search_fields = ["name", "credentials"]


def may_see_results(request: HttpRequest) -> bool:
    return request.user.has_perm("surveys.view_survey_results")


def _survey_summary(**scope: Any) -> SafeString:
    """The follow-up survey's results as compact bars, with a link to the full page."""
    bars = render_to_string("admin/surveys/survey_bars.html", {"results": survey_results(**scope)})
    target = "?" + "&".join(f"{name}={obj.pk}" for name, obj in scope.items())
    link = reverse("admin:surveys_surveyinvitation_results") + target
    return format_html('{}<p><a href="{}">All answers and the CSV export</a></p>', bars, link)


class SurveyMedia:
    css = {"all": ["surveys/survey_bars.css"]}


# Meeting links are typed without a scheme often enough; assume the secure one.
URL_FIELDS: dict[type[models.Field[Any, Any]], dict[str, Any]] = {
    models.URLField: {"assume_scheme": "https"}
}


class SessionInline(admin.TabularInline[Session, Offering]):
    """The offering's dates, each in its own time zone, named. A date is added and changed
    on the session's own page, which reads times in the session's zone and tells the people
    booked of a change."""

    model = Session
    extra = 0
    fields = readonly_fields = (
        "when",
        "location",
        "capacity",
        "status",
        "is_public",
        "organization",
    )
    show_change_link = True

    @admin.display(description="when (in the session's time zone)")
    def when(self, session: Session) -> str:
        return str(describe_when(session))

    def get_queryset(self, request: HttpRequest) -> QuerySet[Session]:
        return sessions_for_staff(request.user, super().get_queryset(request))

    def has_add_permission(self, request: HttpRequest, obj: Offering | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Offering | None = None) -> bool:
        return False


@admin.register(Offering)
class OfferingAdmin(HistoryAdmin):
    list_display = ["title", "kind", "format", "price", "is_published", "updated_at"]
    list_filter = ["kind", "format", "is_published", "topics"]
    search_fields = ["title", "summary", "description", "audience"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["topics", "facilitators"]
    inlines = [SessionInline]
    actions = ["publish", "unpublish"]
    fieldsets = [
        (None, {"fields": ["kind", "title", "slug", "summary", "description", "audience"]}),
        (
            "In Dutch (optional: shown to people who read Dutch)",
            {"fields": ["title_nl", "summary_nl", "description_nl"]},
        ),
        (
            "Format and price",
            {"fields": ["format", "duration_minutes", "price_cents", "currency", "ce_hours"]},
        ),
        (
            "Certificates",
            {
                "fields": ["ce_accreditor", "ce_statement", "ce_requires_evaluation"],
                "description": "Participants present for the whole session get a certificate: "
                "of continuing education with its hours, or of attendance without them.",
            },
        ),
        ("Tax", {"fields": ["tax_rate", "tax_exempt"]}),
        ("People and topics", {"fields": ["facilitators", "topics"]}),
        ("Publishing", {"fields": ["is_published"]}),
    ]
    Media = SurveyMedia

    def get_queryset(self, request: HttpRequest) -> QuerySet[Offering]:
        offerings = super().get_queryset(request)
        if leads_only_own_sessions(request.user):
            return offerings.filter(facilitators__user_id=request.user.pk).distinct()
        return offerings

    def get_fieldsets(self, request: HttpRequest, obj: Offering | None = None) -> Any:
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is not None and may_see_results(request):
            fieldsets.append(("Follow-up surveys, all sessions", {"fields": ["survey_summary"]}))
        return fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: Offering | None = None) -> Any:
        return [*super().get_readonly_fields(request, obj), "survey_summary"]

    @admin.display(description="results")
    def survey_summary(self, offering: Offering) -> SafeString:
        return _survey_summary(offering=offering)

    @admin.display(description="price", ordering="price_cents")
    def price(self, offering: Offering) -> str:
        return f"{format_amount(offering.price_cents, offering.currency)} {offering.currency}"

    @admin.action(description="Publish the selected offerings", permissions=["change"])
    def publish(self, request: HttpRequest, queryset: QuerySet[Offering]) -> None:
        changed = offerings_publish(
            offering_ids=queryset.values_list("pk", flat=True), published=True
        )
        for offering in changed:
            self.log_change(request, offering, "Published.")
        self.message_user(request, f"{len(changed)} offering(s) published.", messages.SUCCESS)

    @admin.action(description="Unpublish the selected offerings", permissions=["change"])
    def unpublish(self, request: HttpRequest, queryset: QuerySet[Offering]) -> None:
        changed = offerings_publish(
            offering_ids=queryset.values_list("pk", flat=True), published=False
        )
        for offering in changed:
            self.log_change(request, offering, "Unpublished.")
        self.message_user(request, f"{len(changed)} offering(s) unpublished.", messages.SUCCESS)


@admin.register(Session)
class SessionAdmin(HistoryAdmin):
    list_display = [
        "__str__",
        "when",
        "status",
        "is_public",
        "capacity",
        "seats_taken",
        "seats_left",
        "roster",
    ]
    list_filter = ["status", "is_public", "offering__kind", "offering"]
    search_fields = ["title", "offering__title", "location", "organization"]
    date_hierarchy = "starts_at"
    list_select_related = ["offering"]
    autocomplete_fields = ["offering"]
    formfield_overrides = URL_FIELDS
    fieldsets = [
        (None, {"fields": ["offering", "title", "status"]}),
        (
            "When",
            {
                "fields": ["starts_at", "ends_at", "timezone", "enrollment_closes_at"],
                "description": "Times are in the session's own time zone, as people read them.",
            },
        ),
        ("Where", {"fields": ["location", "meeting_link"]}),
        (
            "Seats and price",
            {"fields": ["capacity", "waitlist_enabled", "price_override_cents"]},
        ),
        ("Audience", {"fields": ["is_public", "organization"]}),
    ]
    Media = SurveyMedia

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """Shown and read in the session's own time zone: the one posted with the form, else
        the session's, else the default a new session gets."""
        zone = request.POST.get("timezone", "") if request.method == "POST" else ""
        if known_zone(zone).key != zone:
            saved = (
                Session.objects.filter(pk=object_id).values_list("timezone", flat=True).first()
                if object_id and object_id.isdigit()
                else None
            )
            zone = saved or str(Session._meta.get_field("timezone").get_default())
        with timezone.override(known_zone(zone)):
            response = super().changeform_view(request, object_id, form_url, extra_context)
            if isinstance(response, TemplateResponse):
                response.render()  # the form's times are written out in the zone, here
        return response

    def get_fieldsets(self, request: HttpRequest, obj: Session | None = None) -> Any:
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is not None and request.user.has_perm("enrollments.view_participant"):
            fieldsets.append(("Who is coming", {"fields": ["roster"]}))
        if obj is not None and may_see_results(request):
            fieldsets.append(("Follow-up survey", {"fields": ["survey_summary"]}))
        return fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: Session | None = None) -> Any:
        return [*super().get_readonly_fields(request, obj), "survey_summary", "roster"]

    def get_list_display(self, request: HttpRequest) -> Any:
        shown = super().get_list_display(request)
        if request.user.has_perm("enrollments.view_participant"):
            return shown
        return [column for column in shown if column != "roster"]

    @admin.display(description="roster")
    def roster(self, session: Session) -> SafeString:
        """Who is coming, and their attendance (enrollments' roster page)."""
        url = reverse("admin:enrollments_participant_roster", args=[session.pk])
        return format_html('<a href="{}">roster and attendance</a>', url)

    @admin.display(description="results")
    def survey_summary(self, session: Session) -> SafeString:
        return _survey_summary(session=session)

    actions = ["cancel_sessions"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Session]:
        return sessions_with_seats(sessions_for_staff(request.user, super().get_queryset(request)))

    def has_cancel_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("workshops.cancel_session")

    def save_model(self, request: HttpRequest, obj: Session, form: Any, change: bool) -> None:
        cancelling = (
            change and "status" in form.changed_data and obj.status == Session.Status.CANCELLED
        )
        if cancelling:
            obj.status = form.initial["status"]  # cancelling is the service's, with its refunds
            if not self.has_cancel_permission(request):
                cancelling = False
                self.message_user(
                    request,
                    "Cancelling a session refunds and tells everyone; your role may not do "
                    "that. The session stays scheduled.",
                    messages.ERROR,
                )
        super().save_model(request, obj, form, change)
        if cancelling:
            told = session_cancel(session_id=obj.pk)
            self.log_change(request, obj, f"Cancelled; {told} booking(s) told and refunded.")
            self.message_user(request, f"Session cancelled; {told} booking(s) told and refunded.")
        elif change:
            told = session_notify_change(session_id=obj.pk, changed=form.changed_data)
            if told:
                self.message_user(request, f"The change was sent to {told} person(s).")
            if "capacity" in form.changed_data and obj.capacity > form.initial["capacity"]:
                waitlist_offer_on(session_id=obj.pk)  # the new seats go to those waiting first

    @admin.action(
        description="Cancel the selected sessions (refunds and emails everyone)",
        permissions=["cancel"],
    )
    def cancel_sessions(
        self, request: HttpRequest, queryset: QuerySet[Session]
    ) -> TemplateResponse | None:
        if request.POST.get("confirmed") != "yes":
            return TemplateResponse(
                request,
                "admin/workshops/session/cancel_confirmation.html",
                {
                    **self.admin_site.each_context(request),
                    "title": "Cancel sessions",
                    "sessions": queryset,
                    "opts": self.model._meta,
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                },
            )
        told = 0
        for session in queryset:
            affected = session_cancel(session_id=session.pk)
            if affected or session.status != Session.Status.CANCELLED:
                self.log_change(request, session, f"Cancelled; {affected} booking(s) told.")
            told += affected
        self.message_user(
            request,
            f"{queryset.count()} session(s) cancelled; {told} booking(s) told and refunded.",
            messages.SUCCESS,
        )
        return None

    @admin.display(description="when (in its own time zone)", ordering="starts_at")
    def when(self, session: Session) -> str:
        return str(describe_when(session))

    @admin.display(description="seats taken", ordering="seats_taken")
    def seats_taken(self, session: Session) -> int:
        return session.seats_taken  # type: ignore[attr-defined]

    @admin.display(description="seats left", ordering="seats_left")
    def seats_left(self, session: Session) -> int:
        return session.seats_left  # type: ignore[attr-defined]


def _next_sessions(user: Any) -> dashboard.Reading:
    upcoming = sessions_for_staff(user).filter(
        starts_at__gte=timezone.now(), status=Session.Status.SCHEDULED
    )
    shown = sessions_waiting(sessions_with_seats(upcoming)).select_related("offering")
    return dashboard.reading(
        shown.order_by("starts_at", "id"),
        lambda session: dashboard.Line(
            text=(
                f"{describe_when(session)} · {session.display_title} — "
                f"{session.seats_taken} taken, {session.seats_left} left"
                + (f", {session.waiting} waiting" if session.waiting else "")
            ),
            url=reverse("admin:workshops_session_change", args=[session.pk]),
            flag="full" if session.seats_left == 0 else "",
        ),
    )


dashboard.register(
    dashboard.Panel(
        key="next-sessions",
        title="Next sessions",
        permission="workshops.view_session",
        read=_next_sessions,
        list_url=lambda: reverse("admin:workshops_session_changelist") + "?status__exact=scheduled",
        empty="No session is planned. Add one on an offering's page.",
        order=10,
    )
)
