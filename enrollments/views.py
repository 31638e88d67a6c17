"""Small server-rendered pages for people who follow the links in our emails."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing.models import Payment
from billing.services import refundable_cents
from billing.stripe_client import PaymentUnavailable
from config.errors import Conflict, InvalidInput, NotFound
from enrollments import selectors
from enrollments.calendar import describe_when
from enrollments.models import Enrollment, SurveyQuestion
from enrollments.serializers import EnrollmentOutput
from enrollments.services import enrollments, surveys


def _not_found(request: HttpRequest, error: NotFound) -> HttpResponse:
    return render(request, "pages/not_found.html", {"message": error.message}, status=404)


@require_GET
def booking(request: HttpRequest, token: str) -> HttpResponse:
    try:
        enrollment = selectors.enrollment_by_token(token)
    except NotFound as error:
        return _not_found(request, error)
    data = EnrollmentOutput(enrollment).data
    return render(
        request,
        "pages/booking.html",
        {
            "enrollment": enrollment,
            "data": data,
            "when": describe_when(enrollment.session),
            "can_pay_here": enrollment.status in Enrollment.HOLDING
            and settings.PAYMENT_FLOW == Payment.Flow.CHECKOUT,
            "just_paid": request.GET.get("paid") == "1",
            "terms": enrollments.cancellation_terms(enrollment, now=timezone.now()),
            "paid": refundable_cents(enrollment) > 0,
        },
    )


@require_POST
def booking_cancel(request: HttpRequest, token: str) -> HttpResponse:
    try:
        enrollment = selectors.enrollment_by_token(token)
    except NotFound as error:
        return _not_found(request, error)
    if request.POST.get("confirm") != "yes":
        messages.warning(request, "Please tick the box to confirm that you want to cancel.")
        return redirect("booking", token=token)
    try:
        enrollments.enrollment_cancel(enrollment_id=enrollment.pk)
    except Conflict as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Your booking is cancelled. We've sent you an email about it.")
    return redirect("booking", token=token)


@require_POST
def booking_pay(request: HttpRequest, token: str) -> HttpResponse:
    try:
        enrollment = selectors.enrollment_by_token(token)
    except NotFound as error:
        return _not_found(request, error)
    try:
        payment = enrollments.enrollment_pay(enrollment_id=enrollment.pk)
    except (Conflict, PaymentUnavailable) as error:
        messages.error(request, error.message)
        return redirect("booking", token=token)
    if payment.checkout_url:
        return HttpResponseRedirect(payment.checkout_url)
    messages.info(request, "Please complete the payment in the practice's booking app.")
    return redirect("booking", token=token)


# Words at the ends of each scale, so a number is never the only thing a person reads.
_SCALE_ENDS: dict[str, tuple[str, str]] = {
    SurveyQuestion.Type.RATING: ("not at all", "very much"),
    SurveyQuestion.Type.NPS: ("not at all likely", "extremely likely"),
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
            options = [("yes", "Yes"), ("no", "No")]
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


@require_http_methods(["GET", "POST"])
def survey(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = selectors.survey_invitation_by_token(token)
    except NotFound as error:
        return _not_found(request, error)
    questions = list(invitation.template.questions.all())
    values: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST" and invitation.submitted_at is None:
        values = {question.key: request.POST.get(question.key, "") for question in questions}
        try:
            surveys.survey_submit(invitation_id=invitation.pk, answers=values)
        except surveys.AlreadySubmitted:
            return redirect("survey", token=token)  # sent twice, from two tabs
        except InvalidInput as error:
            errors = dict(error.fields or {})
            status = 400
        else:
            return redirect(reverse("survey", args=[token]) + "?thanks=1")
    return render(
        request,
        "pages/survey.html",
        {
            "invitation": invitation,
            "when": describe_when(invitation.session),
            "fields": _survey_fields(questions, values, errors),
            "has_errors": bool(errors),
            "thanks": request.GET.get("thanks") == "1",
        },
        status=status,
    )
