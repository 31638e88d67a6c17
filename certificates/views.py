"""Public pages of certificates: the verification page, and each participant's own page
(their session, its calendar file, their survey, their certificates; DESIGN.md)."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from certificates.models import Certificate
from certificates.services import (
    certificate_by_code,
    participant_by_token,
    participant_registration_number_set,
    verification_url,
)
from config.errors import DomainError, NotFound
from config.pages import PageField, page_not_found, page_throttled_answer, pdf_response
from config.throttling import page_throttled
from enrollments.models import Enrollment
from surveys.models import SurveyInvitation
from surveys.services import survey_url
from workshops.calendar import describe_when, session_calendar


@never_cache
@require_GET
def certificate_page(request: HttpRequest, code: str) -> HttpResponse:
    try:
        certificate = certificate_by_code(code)
    except NotFound as error:
        return page_not_found(request, error)
    return render(request, "certificates/verify.html", {"certificate": certificate})


@never_cache
@require_http_methods(["GET", "POST"])
def participant_page(request: HttpRequest, token: str) -> HttpResponse:
    """What one attendee needs, on a link of their own (never the booking's page, which
    belongs to whoever booked for them). POST: their registration number."""
    if request.method == "POST" and (wait := page_throttled(request, "booking-changes")):
        return page_throttled_answer(request, wait)
    try:
        participant = participant_by_token(token)
    except NotFound as error:
        return page_not_found(request, error)
    errors: list[str] = []
    if request.method == "POST":
        try:
            reissued = participant_registration_number_set(
                participant_id=participant.pk,
                number=request.POST.get("registration_number", ""),
            )
        except DomainError as error:
            errors = [str(m) for m in (error.fields or {}).get("registration_number", [])]
        else:
            messages.success(
                request,
                gettext("Thank you: your corrected certificate is on its way by email.")
                if reissued
                else gettext("Thank you: your registration number is kept for your certificate."),
            )
            return redirect("participant", token=token)
    enrollment = participant.enrollment
    session = enrollment.session
    confirmed = enrollment.status == Enrollment.Status.CONFIRMED
    ended = session.ends_at <= timezone.now()
    invitation = SurveyInvitation.objects.filter(participant=participant).first()
    certificates = Certificate.objects.filter(
        participant=participant, status=Certificate.Status.VALID
    )
    return render(
        request,
        "certificates/participant.html",
        {
            "participant": participant,
            "session": session,
            "when": describe_when(session),
            "confirmed": confirmed,
            "pending": enrollment.status in (*Enrollment.HOLDING, Enrollment.Status.WAITLISTED),
            "ended": ended,
            "meeting_link": session.joining_link if confirmed and not ended else "",
            "survey_url": survey_url(invitation)
            if invitation and not invitation.submitted_at
            else "",
            "certificates": [(c, verification_url(c)) for c in certificates],
            "number": PageField(
                "registration_number",
                request.POST.get("registration_number", participant.registration_number),
                errors,
            ),
        },
        status=400 if errors else 200,
    )


@require_GET
def participant_calendar(request: HttpRequest, token: str) -> HttpResponse:
    try:
        participant = participant_by_token(token)
    except NotFound as error:
        return page_not_found(request, error)
    enrollment = participant.enrollment
    session = enrollment.session
    cancelled = enrollment.status != Enrollment.Status.CONFIRMED
    calendar = session_calendar(
        session,
        meeting_link="" if cancelled else session.joining_link,
        cancelled=cancelled,
        language=enrollment.language,
    )
    return HttpResponse(
        calendar.content,
        content_type=calendar.content_type,
        headers={"Content-Disposition": f'attachment; filename="{calendar.filename}"'},
    )


@require_GET
def participant_certificate_pdf(request: HttpRequest, token: str, code: str) -> HttpResponse:
    try:
        participant = participant_by_token(token)
        certificate = certificate_by_code(code)
    except NotFound as error:
        return page_not_found(request, error)
    if certificate.participant_id != participant.pk:
        return page_not_found(request, NotFound())
    from certificates.pdf import certificate_pdf  # the PDF library, only where one is drawn

    return pdf_response(
        certificate_pdf(certificate), filename=f"certificate-{certificate.code}.pdf"
    )
