"""The proposal's page for people who follow the link in our email: read it, choose a time,
accept with the billing details (or decline), then on to payment or to the roster."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from billing import views as billing_views
from config.errors import DomainError, NotFound
from config.pages import (
    PageField,
    error_summary,
    page_fields,
    page_not_found,
    page_throttled_answer,
    pdf_response,
)
from config.throttling import page_throttled
from enrollments.models import Enrollment
from organizations import selectors, services
from organizations.models import Proposal
from organizations.serializers import ProposalAcceptInput, ProposalDeclineInput
from workshops.calendar import describe_span

CONTACT = {"contact_name": "name", "contact_email": "email"}
BILLING = ["company", "address", "postal_code", "city", "country", "vat_id"]
ANSWER_FIELDS = [*CONTACT, *BILLING, "po_number", "date_option", "payment", "reason"]


def _page(
    request: HttpRequest,
    proposal: Proposal,
    fields: dict[str, PageField] | None = None,
    summary: list[tuple[str, str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    priced = services.proposal_priced(proposal)
    if fields is None:
        organization = proposal.organization
        known = {
            "contact_name": proposal.contact_name,
            "contact_email": proposal.contact_email,
            "company": organization.name if organization else "",
            "address": organization.address if organization else "",
            "postal_code": organization.postal_code if organization else "",
            "city": organization.city if organization else "",
            "country": organization.country if organization else "",
            "vat_id": organization.vat_id if organization else "",
            "payment": Proposal.Payment.INVOICE if organization else Proposal.Payment.CARD,
        }
        fields = page_fields(ANSWER_FIELDS, known, {})
    minutes = timedelta(minutes=proposal.offering.duration_minutes)
    options = [
        {
            "id": str(option.pk),
            "when": describe_span(
                option.starts_at, option.starts_at + minutes, settings.PRACTICE_TIME_ZONE
            ),
        }
        for option in proposal.options.all()
    ]
    return render(
        request,
        "pages/proposal.html",
        {
            "proposal": proposal,
            "lines": priced,
            "net": sum(line.net_cents for line in priced),
            "tax": sum(line.tax_cents for line in priced),
            "total": sum(line.total_cents for line in priced),
            "currency": proposal.offering.currency,
            "options": options,
            "open": proposal.status == Proposal.Status.SENT,
            "fields": fields,
            "summary": summary or [],
        },
        status=status,
    )


@never_cache
@require_GET
def proposal_page(request: HttpRequest, token: str) -> HttpResponse:
    try:
        proposal = selectors.proposal_by_token(token)
    except NotFound as error:
        return page_not_found(request, error)
    return _page(request, proposal)


def _answer_of(post: Any) -> dict[str, Any]:
    """The form's flat fields as the API's answer (contact and billing nested)."""
    typed = {name: post.get(name, "").strip() for name in ANSWER_FIELDS}
    answer: dict[str, Any] = {
        "contact": {key: typed[name] for name, key in CONTACT.items()},
        "po_number": typed["po_number"],
        "payment": typed["payment"] or Proposal.Payment.CARD,
    }
    if typed["date_option"]:
        answer["date_option"] = typed["date_option"]
    if any(typed[name] for name in BILLING):
        answer["billing"] = {name: typed[name] for name in BILLING}
    return answer


def _flat_errors(errors: Any) -> dict[str, Any]:
    flat = dict(errors)
    for name, key in CONTACT.items():
        if key in flat.get("contact", {}):
            flat[name] = flat["contact"][key]
    for name in BILLING:
        if name in flat.get("billing", {}):
            flat[name] = flat["billing"][name]
    flat.pop("contact", None)
    if isinstance(flat.get("billing"), dict):
        flat.pop("billing")
    return flat


@never_cache
@sensitive_post_parameters()
@require_POST
def proposal_accept_page(request: HttpRequest, token: str) -> HttpResponse:
    """Accept from the page: the API's checks and service, then on to payment by card, or
    to the booking's page to name the participants."""
    if wait := page_throttled(request, "booking-changes"):
        return page_throttled_answer(request, wait)
    try:
        proposal = selectors.proposal_by_token(token)
    except NotFound as error:
        return page_not_found(request, error)
    typed = {name: request.POST.get(name, "").strip() for name in ANSWER_FIELDS}
    data = ProposalAcceptInput(data=_answer_of(request.POST))
    errors: Any = {} if data.is_valid() else _flat_errors(data.errors)
    if not errors:
        try:
            accepted = services.proposal_accept(
                proposal_id=proposal.pk, **ProposalAcceptInput.answer(data.validated_data)
            )
        except DomainError as error:
            errors = _flat_errors(error.fields) if error.fields else {"": [error.message]}
        else:
            return _onward(request, accepted)
    fields = page_fields(ANSWER_FIELDS, typed, errors)
    return _page(request, proposal, fields, error_summary(fields, errors), status=400)


def _onward(request: HttpRequest, accepted: services.Acceptance) -> HttpResponse:
    payment, invoice = accepted.payment, accepted.invoice
    if payment is not None and payment.checkout_url:
        return HttpResponseRedirect(payment.checkout_url)
    if payment is not None and invoice is not None:
        paying = signing.dumps(invoice.pk, salt=billing_views.CARD_PAGE)
        return redirect("invoice-card-page", paying=paying)
    if accepted.enrollment.status == Enrollment.Status.PENDING_PAYMENT and invoice is not None:
        messages.warning(
            request,
            _(
                "Thank you: your acceptance is saved and the time is held for you, but we "
                "couldn't reach our payment provider just now. Please pay here in a few minutes."
            ),
        )
        return redirect("invoice", token=invoice.token)
    return redirect(reverse("booking", args=[accepted.enrollment.token]) + "?accepted=1")


@never_cache
@require_POST
def proposal_decline_page(request: HttpRequest, token: str) -> HttpResponse:
    if wait := page_throttled(request, "booking-changes"):
        return page_throttled_answer(request, wait)
    try:
        proposal = selectors.proposal_by_token(token)
    except NotFound as error:
        return page_not_found(request, error)
    data = ProposalDeclineInput(data={"reason": request.POST.get("reason", "")})
    if not data.is_valid():
        messages.error(request, str(data.errors["reason"][0]))
        return redirect("proposal", token=token)
    try:
        services.proposal_decline(proposal_id=proposal.pk, reason=data.validated_data["reason"])
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("Thank you for letting us know. We've passed it on to the practice.")
        )
    return redirect("proposal", token=token)


@require_GET
def proposal_pdf_download(request: HttpRequest, token: str) -> HttpResponse:
    try:
        proposal = selectors.proposal_by_token(token)
    except NotFound as error:
        return page_not_found(request, error)
    # Here, not at the top: the PDF library and its fonts weigh some 20 MB in every process
    # that loads the URLs (the worker's too); only one that writes a PDF needs them.
    from organizations.pdf import proposal_pdf

    return pdf_response(proposal_pdf(proposal), filename=f"{proposal.reference}.pdf")
