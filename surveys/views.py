"""The follow-up survey as a page, for people who follow the link in our emails."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from django_stubs_ext import StrOrPromise

from config.errors import InvalidInput, NotFound
from config.pages import page_not_found, page_throttled_answer
from config.throttling import page_throttled
from surveys import selectors, services
from surveys.charts import BarChart, bar_chart
from surveys.models import SurveyQuestion
from workshops.calendar import describe_when

# Words at the ends of each scale, so a number is never the only thing a person reads.
_SCALE_ENDS: dict[str, tuple[StrOrPromise, StrOrPromise]] = {
    SurveyQuestion.Type.RATING: (gettext_lazy("not at all"), gettext_lazy("very much")),
    SurveyQuestion.Type.NPS: (gettext_lazy("not at all likely"), gettext_lazy("extremely likely")),
}


def _survey_fields(
    questions: list[SurveyQuestion], values: dict[str, str], errors: dict[str, list[str]]
) -> list[dict[str, Any]]:
    fields = []
    for question in questions:
        options: list[tuple[str, str]] = []
        if question.type in SurveyQuestion.SCALES:
            numbers = SurveyQuestion.SCALES[question.type]
            low, high = _SCALE_ENDS[question.type]
            ends = {numbers[0]: low, numbers[-1]: high}
            options = [(str(n), f"{n} – {ends[n]}" if n in ends else str(n)) for n in numbers]
        elif question.type == SurveyQuestion.Type.YES_NO:
            options = [("yes", _("Yes")), ("no", _("No"))]
        elif question.type == SurveyQuestion.Type.SINGLE_CHOICE:
            options = [(choice, choice) for choice in question.choices]
        fields.append(
            {
                "question": question,
                "options": options,
                "value": values.get(question.key, ""),
                "errors": errors.get(question.key, []),
            }
        )
    return fields


@never_cache  # a secret link's page: never kept by a browser or a proxy
@require_http_methods(["GET", "POST"])
def survey(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "POST" and (wait := page_throttled(request, "surveys")):
        return page_throttled_answer(request, wait)
    try:
        invitation = selectors.survey_invitation_by_token(token)
    except NotFound as error:
        return page_not_found(request, error)
    questions = list(invitation.template.questions.all())
    values: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST" and invitation.submitted_at is None:
        values = {question.key: request.POST.get(question.key, "") for question in questions}
        try:
            services.survey_submit(invitation_id=invitation.pk, answers=values)
        except (services.AlreadySubmitted, services.SurveyClosed):
            return redirect("survey", token=token)  # sent twice, from two tabs; or too late
        except InvalidInput as error:
            errors = dict(error.fields or {})
            status = 400
        else:
            return redirect(reverse("survey", args=[token]) + "?thanks=1")
    organization = selectors.organization_of(invitation.session)
    return render(
        request,
        "pages/survey.html",
        {
            "invitation": invitation,
            "when": describe_when(invitation.session),
            "fields": _survey_fields(questions, values, errors),
            "has_errors": bool(errors),
            "thanks": request.GET.get("thanks") == "1",
            "closed": services.survey_closed(
                invitation.session, now=timezone.now(), organization=organization
            ),
            "organization": organization,
            "minimum": settings.REPORT_MIN_RESPONDENTS,
        },
        status=status,
    )


def _distribution(question: selectors.QuestionSummary) -> BarChart:
    return bar_chart(
        question.text,
        [(bar.label, bar.count, f"{bar.count} ({bar.percent}%)") for bar in question.bars],
        top=max((bar.count for bar in question.bars), default=0),
    )


@never_cache  # a secret link's page
@require_GET
def organization_report(request: HttpRequest, token: str) -> HttpResponse:
    try:
        report = selectors.organization_report_by_token(token)
    except NotFound as error:
        return page_not_found(request, error)
    view = selectors.organization_report(report)
    return render(
        request,
        "pages/organization_report.html",
        {
            "report": view,
            "questions": [(question, _distribution(question)) for question in view.questions],
        },
    )
