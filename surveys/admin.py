import dataclasses
from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.timesince import timesince

from config import dashboard
from config.admin_site import PersonalDataAdmin
from config.csv_export import csv_response
from surveys import selectors
from surveys.charts import bar_chart
from surveys.models import (
    OfferingSurvey,
    OrganizationReport,
    ReportedSession,
    SurveyAnswer,
    SurveyInvitation,
    SurveyQuestion,
    SurveyTemplate,
)
from workshops.models import Facilitator, Offering, Session
from workshops.selectors import facilitator_of, leads_only_own_sessions, sessions_for_staff

# The results page lists at most this many sessions of an offering.
RESULTS_SESSIONS_SHOWN = 50


class SurveyQuestionInline(admin.TabularInline[SurveyQuestion, SurveyTemplate]):
    model = SurveyQuestion
    extra = 0
    fields = ["position", "key", "type", "text", "text_nl", "required", "choices"]
    ordering = ["position", "id"]


class OfferingSurveyInline(admin.TabularInline[OfferingSurvey, SurveyTemplate]):
    model = OfferingSurvey
    extra = 0
    autocomplete_fields = ["offering"]
    verbose_name = "offering that uses this template instead of the default"
    verbose_name_plural = "offerings that use this template instead of the default"


@admin.register(SurveyTemplate)
class SurveyTemplateAdmin(admin.ModelAdmin[SurveyTemplate]):
    list_display = ["name", "is_default", "question_count"]
    inlines = [SurveyQuestionInline, OfferingSurveyInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[SurveyTemplate]:
        return super().get_queryset(request).annotate(question_count=Count("questions"))

    @admin.display(description="questions", ordering="question_count")
    def question_count(self, template: SurveyTemplate) -> int:
        return template.question_count  # type: ignore[attr-defined]


class SubmittedFilter(admin.SimpleListFilter):
    title = "answered"
    parameter_name = "answered"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Answered"), ("no", "Not answered")]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[SurveyInvitation]
    ) -> QuerySet[SurveyInvitation]:
        if self.value() in ("yes", "no"):
            return queryset.filter(submitted_at__isnull=self.value() == "no")
        return queryset


def may_read_free_text(request: HttpRequest) -> bool:
    return request.user.has_perm("surveys.view_survey_free_text")


def _shown(answer: SurveyAnswer, *, free_text: bool) -> object:
    if answer.type == SurveyQuestion.Type.YES_NO:
        return "yes" if answer.yes else "no"
    if answer.type == SurveyQuestion.Type.FREE_TEXT and not free_text:
        return "(written answer: shown only to those whose role reads them)"
    return answer.value


def _answers_table(invitation: SurveyInvitation, *, free_text: bool) -> str:
    answers = list(invitation.answers.all())
    if not answers:
        return "—"
    return format_html(
        "<table>{}</table>",
        format_html_join(
            "",
            "<tr><th>{}</th><td>{}</td></tr>",
            ((a.question_text, _shown(a, free_text=free_text)) for a in answers),
        ),
    )


def _csv_value(answer: SurveyAnswer) -> object:
    if answer.type == SurveyQuestion.Type.YES_NO:
        return "yes" if answer.yes else "no"
    return "" if answer.value is None else answer.value


@admin.register(SurveyInvitation)
class SurveyInvitationAdmin(PersonalDataAdmin):
    person_email_field = "participant__email"
    actions = ["erase_people", "export_people"]
    change_list_template = "admin/surveys/surveyinvitation/change_list.html"
    list_display = [
        "participant_name",
        "session",
        "invited_at",
        "reminded_at",
        "submitted_at",
        "flagged",
        "wants_guidance",
    ]
    list_filter = ["flagged", "wants_guidance", SubmittedFilter, "session__offering", "session"]
    search_fields = ["participant__name", "participant__email"]
    list_select_related = ["participant", "session__offering"]
    date_hierarchy = "invited_at"
    fields = readonly_fields = (
        "participant_name",
        "participant_email",
        "session",
        "results_link",
        "invited_at",
        "reminded_at",
        "submitted_at",
        "flagged",
        "wants_guidance",
        "answers_table",
    )

    # Invitations come from the job and answers from the person: the admin reads them.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: SurveyInvitation | None = None
    ) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: SurveyInvitation | None = None
    ) -> bool:
        return False

    @admin.display(description="participant", ordering="participant__name")
    def participant_name(self, invitation: SurveyInvitation) -> str:
        return invitation.participant.name

    @admin.display(description="email")
    def participant_email(self, invitation: SurveyInvitation) -> str:
        return invitation.participant.email

    @admin.display(description="results")
    def results_link(self, invitation: SurveyInvitation) -> str:
        url = reverse("admin:surveys_surveyinvitation_results")
        return format_html(
            '<a href="{}?session={}">this session</a> · <a href="{}?offering={}">this offering</a>',
            url,
            invitation.session_id,
            url,
            invitation.session.offering_id,
        )

    def _shown_fields(self, request: HttpRequest) -> list[str]:
        if may_read_free_text(request):
            return list(self.fields or ())
        # What people wrote in their own words, only for those whose role reads it.
        return [
            "answers_without_free_text" if name == "answers_table" else name
            for name in self.fields or ()
        ]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self._shown_fields(request)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self._shown_fields(request)

    @admin.display(description="answers")
    def answers_table(self, invitation: SurveyInvitation) -> str:
        return _answers_table(invitation, free_text=True)

    @admin.display(description="answers")
    def answers_without_free_text(self, invitation: SurveyInvitation) -> str:
        return _answers_table(invitation, free_text=False)

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path(
                "results/",
                view(self.results_view),
                name="surveys_surveyinvitation_results",
            ),
            path(
                "results.csv",
                view(self.results_csv_view),
                name="surveys_surveyinvitation_results_csv",
            ),
            *super().get_urls(),
        ]

    def _scope(
        self, request: HttpRequest
    ) -> tuple[Session | None, Offering | None, Facilitator | None]:
        if not request.user.has_perm("surveys.view_survey_results"):
            raise PermissionDenied
        session = offering = facilitator = None
        try:
            if request.GET.get("session"):
                session = Session.objects.select_related("offering").get(
                    pk=int(request.GET["session"])
                )
            if request.GET.get("offering"):
                offering = Offering.objects.get(pk=int(request.GET["offering"]))
            if request.GET.get("facilitator"):
                facilitator = Facilitator.objects.get(pk=int(request.GET["facilitator"]))
        except (
            ValueError,
            Session.DoesNotExist,
            Offering.DoesNotExist,
            Facilitator.DoesNotExist,
        ) as unknown:
            raise Http404("No such session, offering or facilitator.") from unknown
        if leads_only_own_sessions(request.user):
            # A facilitator sees the results of the sessions they lead, and no others.
            led = sessions_for_staff(request.user)
            if session is not None and not led.filter(pk=session.pk).exists():
                raise PermissionDenied
            if offering is not None and not led.filter(offering=offering).exists():
                raise PermissionDenied
            own = facilitator_of(request.user)
            if facilitator is not None and facilitator != own:
                raise PermissionDenied
            if session is None and offering is None:
                if own is None:
                    raise PermissionDenied
                facilitator = own  # all of their own, and only those
        return session, offering, facilitator

    def results_view(self, request: HttpRequest) -> TemplateResponse:
        session, offering, facilitator = self._scope(request)
        scope: dict[str, Any] = {
            "session": session,
            "offering": offering,
            "facilitator": facilitator,
        }
        tallies = (
            [] if session else selectors.session_tallies(selectors.survey_invitations(**scope))
        )
        results = selectors.survey_results(**scope, tallies=tallies)
        if not may_read_free_text(request):
            results = dataclasses.replace(results, free_text=[])
        months = selectors.results_by_month(tallies)
        return TemplateResponse(
            request,
            "admin/surveys/survey_results.html",
            {
                **self.admin_site.each_context(request),
                "title": f"Survey results: {session or offering or facilitator or 'all offerings'}",
                "opts": self.model._meta,
                **scope,
                "results": results,
                "reads_free_text": may_read_free_text(request),
                "free_text_shown": selectors.FREE_TEXT_SHOWN,
                "sessions": selectors.survey_sessions(tallies, most=RESULTS_SESSIONS_SHOWN),
                "months": months,
                "month_chart": bar_chart(
                    "Average rating by month",
                    [(m.label, float(m.overall or 0), str(m.overall or "—")) for m in months],
                    top=5,
                ),
                "by_offering": []
                if session or offering
                else selectors.results_by_offering(tallies),
                "by_facilitator": []
                if session or facilitator
                else selectors.results_by_facilitator(tallies),
                "csv_query": request.GET.urlencode(),
            },
        )

    def results_csv_view(self, request: HttpRequest) -> StreamingHttpResponse:
        session, offering, facilitator = self._scope(request)
        invitations = selectors.survey_invitations(
            session=session, offering=offering, facilitator=facilitator
        ).filter(submitted_at__isnull=False)
        keys = list(
            dict.fromkeys(
                SurveyQuestion.objects.filter(template__in=invitations.values("template"))
                .order_by("-template__is_default", "template_id", "position", "id")
                .values_list("key", flat=True)
            )
        )
        # Answers to questions since removed from their template still get a column.
        answered = SurveyAnswer.objects.filter(invitation__in=invitations)
        keys += sorted(set(answered.values_list("key", flat=True)) - set(keys))
        if not may_read_free_text(request):
            written = answered.filter(type=SurveyQuestion.Type.FREE_TEXT)
            hidden = set(written.values_list("key", flat=True)) | set(
                SurveyQuestion.objects.filter(
                    template__in=invitations.values("template"),
                    type=SurveyQuestion.Type.FREE_TEXT,
                ).values_list("key", flat=True)
            )
            keys = [key for key in keys if key not in hidden]
        # Headers with spaces can never collide with a question key (a slug).
        header = [
            "invitation id",
            "offering title",
            "session title",
            "session starts at",
            "submitted at",
            "flagged for attention",
            *keys,
        ]

        def rows() -> Iterator[Sequence[object]]:
            yield header
            for invitation in (
                invitations.select_related("session__offering")
                .prefetch_related("answers")
                .order_by("session__starts_at", "submitted_at", "id")
                .iterator(chunk_size=500)
            ):
                answers = {answer.key: answer for answer in invitation.answers.all()}
                yield [
                    str(invitation.pk),
                    invitation.session.offering.title,
                    invitation.session.display_title,
                    invitation.session.starts_at.isoformat(),
                    invitation.submitted_at.isoformat() if invitation.submitted_at else "",
                    "yes" if invitation.flagged else "no",
                    *(_csv_value(answers[key]) if key in answers else "" for key in keys),
                ]

        name = (
            f"session-{session.pk}"
            if session
            else f"offering-{offering.pk}"
            if offering
            else f"facilitator-{facilitator.pk}"
            if facilitator
            else "all"
        )
        return csv_response(rows(), filename=f"survey-answers-{name}.csv")


# Low scores are news for a month after they were given.
LOW_SCORES_FOR = timedelta(days=30)


def _low_scores(user: Any) -> dashboard.Reading:
    low = SurveyInvitation.objects.filter(
        flagged=True, submitted_at__gte=timezone.now() - LOW_SCORES_FOR
    ).select_related("session__offering")
    return dashboard.reading(
        low.order_by("-submitted_at", "-id"),
        lambda invitation: dashboard.Line(
            text=(
                f"{invitation.session} · answered "
                f"{timesince(invitation.submitted_at, depth=1)} ago"
                + (" · would like guidance" if invitation.wants_guidance else "")
            ),
            url=reverse("admin:surveys_surveyinvitation_change", args=[invitation.pk]),
        ),
    )


dashboard.register(
    dashboard.Panel(
        key="low-scores",
        title="Low survey scores (the last 30 days)",
        permission="surveys.view_surveyinvitation",
        read=_low_scores,
        list_url=lambda: reverse("admin:surveys_surveyinvitation_changelist") + "?flagged__exact=1",
        empty="No low score in the last 30 days.",
        order=80,
    )
)


class ReportedSessionInline(admin.TabularInline[ReportedSession, OrganizationReport]):
    model = ReportedSession
    fields = readonly_fields = ("session", "closed_at", "invited", "answered")
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(OrganizationReport)
class OrganizationReportAdmin(admin.ModelAdmin[OrganizationReport]):
    """The reports organizations receive; written by the daily job, read here as they are.

    Nothing here edits or deletes one: the organization has seen its figures arrive in this
    order, and a report counted anew could be set beside the old one to narrow a group."""

    list_display = ["organization", "sessions_counted", "created_at", "page_link"]
    list_select_related = ["organization"]
    search_fields = ["organization__name"]
    fields = readonly_fields = ("organization", "created_at", "page_link")
    inlines = [ReportedSessionInline]
    actions = None

    def get_queryset(self, request: HttpRequest) -> QuerySet[OrganizationReport]:
        return super().get_queryset(request).annotate(sessions_counted=Count("entries"))

    @admin.display(description="sessions counted", ordering="sessions_counted")
    def sessions_counted(self, report: OrganizationReport) -> int:
        return getattr(report, "sessions_counted", 0)

    @admin.display(description="the report as the organization sees it")
    def page_link(self, report: OrganizationReport) -> str:
        url = reverse("organization-report", args=[report.token])
        return format_html('<a href="{}" target="_blank" rel="noopener">Open the report</a>', url)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
