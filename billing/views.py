"""The invoice's own page for people who follow the link in our emails: read it, fetch its
PDF, and pay what is open by card (DESIGN.md, Organizations, proposals, invoices)."""

import json

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing.models import Invoice
from billing.selectors import invoice_by_token
from billing.services.invoice_payments import invoice_pay
from billing.services.invoices import rate_totals
from billing.services.payments import CARD_ID, payment_pay_by_card
from billing.stripe_client import PaymentUnavailable
from config.errors import Conflict, DomainError, InvalidInput, NotFound, TooMany, error_body
from config.pages import page_not_found, page_throttled_answer, pdf_response
from config.security_headers import stripe_js_url
from config.throttling import page_throttled

# The card page's key: the invoice it pays, signed; it opens that page and pays, no more.
CARD_PAGE = "billing.invoice-card-page"
CARD_PAGE_HOURS = 2
# The most a card answer from pay.js can be: {"card": "<id>"}.
CARD_ANSWER_BYTES = 512


def card_answer(request: HttpRequest) -> str | JsonResponse:
    """The card id pay.js posts, or the refusal to answer it with (the API's error shape),
    checked before anything is asked of Stripe."""
    if wait := page_throttled(request, "booking-changes"):
        throttled = error_body(TooMany.code, TooMany.message)
        return JsonResponse(throttled, status=429, headers={"Retry-After": str(int(wait))})
    invalid = JsonResponse(error_body(InvalidInput.code, InvalidInput.message), status=400)
    if len(request.body) > CARD_ANSWER_BYTES:
        return invalid
    try:
        answer = json.loads(request.body or b"{}")
    except (ValueError, RecursionError):
        return invalid
    card = answer.get("card") if isinstance(answer, dict) else None
    if not isinstance(card, str) or not CARD_ID.fullmatch(card):
        return invalid
    return card


@never_cache
@require_GET
def invoice_page(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invoice = invoice_by_token(token)
    except NotFound as error:
        return page_not_found(request, error)
    return render(
        request,
        "pages/invoice.html",
        {
            "invoice": invoice,
            "rates": rate_totals(invoice),
            "can_pay": invoice.kind == Invoice.Kind.INVOICE
            and invoice.status == Invoice.Status.OPEN,
            "open_cents": max(invoice.open_cents, 0),
            "just_paid": request.GET.get("paid") == "1",
            "iban": settings.PRACTICE_IBAN,
        },
    )


@require_GET
def invoice_pdf_download(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invoice = invoice_by_token(token)
    except NotFound as error:
        return page_not_found(request, error)
    # Here, not at the top: the PDF library and its fonts weigh some 20 MB in every process
    # that loads the URLs (the worker's too); only one that writes a PDF needs them.
    from billing.pdf import invoice_pdf

    return pdf_response(invoice_pdf(invoice), filename=f"{invoice.number}.pdf")


@never_cache
@require_POST
def invoice_pay_page(request: HttpRequest, token: str) -> HttpResponse:
    if wait := page_throttled(request, "booking-changes"):
        return page_throttled_answer(request, wait)
    try:
        invoice = invoice_by_token(token)
    except NotFound as error:
        return page_not_found(request, error)
    try:
        payment = invoice_pay(invoice_id=invoice.pk)
    except (Conflict, PaymentUnavailable) as error:
        messages.error(request, error.message)
        return redirect("invoice", token=token)
    if payment.checkout_url:
        return HttpResponseRedirect(payment.checkout_url)
    return redirect("invoice-card-page", paying=signing.dumps(invoice.pk, salt=CARD_PAGE))


def _paying(paying: str) -> Invoice:
    try:
        invoice_id = signing.loads(paying, salt=CARD_PAGE, max_age=CARD_PAGE_HOURS * 3600)
    except signing.BadSignature:
        raise NotFound() from None
    invoice = Invoice.objects.filter(pk=invoice_id, anonymized_at=None).first()
    if invoice is None:
        raise NotFound()
    return invoice


@never_cache
@require_http_methods(["GET", "POST"])
def invoice_card_page(request: HttpRequest, paying: str) -> HttpResponse:
    """GET: the card form (Stripe Elements). POST: pay.js's card answer, paid here."""
    try:
        invoice = _paying(paying)
    except NotFound as error:
        return page_not_found(request, error)
    can_pay = invoice.kind == Invoice.Kind.INVOICE and invoice.status == Invoice.Status.OPEN
    if request.method == "GET":
        return render(
            request,
            "pages/invoice_pay.html",
            {
                "invoice": invoice,
                "open_cents": max(invoice.open_cents, 0),
                "stripe_js_url": stripe_js_url(),
                "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
                "can_pay": can_pay,
            },
        )
    card = card_answer(request)
    if isinstance(card, JsonResponse):
        return card
    try:
        attempt = payment_pay_by_card(payment=invoice_pay(invoice_id=invoice.pk), card=card)
    except DomainError as error:
        return JsonResponse(
            error_body(error.code, error.message, error.fields), status=error.status
        )
    return JsonResponse(
        {
            "status": attempt.status,
            "client_secret": attempt.client_secret,
            "message": attempt.declined,
            "next": reverse("invoice", args=[invoice.token]) + "?paid=1",
        }
    )
