"""Booking from a page (a session's booking form), the booking's own page for people who
follow the link in our emails, and the way back from Stripe's Checkout page."""

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing.selectors import invoice_paying_at_checkout, refundable_cents
from billing.serializers import BillingInput
from billing.services.payments import checkout_paid, payment_pay_by_card
from billing.stripe_client import PaymentUnavailable
from billing.views import card_answer
from config.errors import Conflict, DomainError, NotFound, error_body
from config.pages import (
    PageField,
    error_summary,
    page_fields,
    page_not_found,
    page_throttled_answer,
)
from config.security_headers import stripe_js_url
from config.throttling import client_address, page_throttled
from enrollments import selectors
from enrollments.models import Enrollment
from enrollments.selectors import sessions_with_seats
from enrollments.serializers import (
    EnrollmentCreateInput,
    EnrollmentOutput,
    ParticipantsReplaceInput,
)
from enrollments.services import cancellation, holds, receipts, roster
from enrollments.services.receipts import receipt_of
from enrollments.services.seats import SessionFull
from workshops.calendar import describe_when
from workshops.models import Session
from workshops.selectors import public_sessions
from workshops.serializers import SessionOutput


@dataclass
class ParticipantRow:
    """One participant's two fields on the booking form, as typed, with their errors."""

    index: int
    name: str = ""
    email: str = ""
    name_errors: list[str] = dataclass_field(default_factory=list)
    email_errors: list[str] = dataclass_field(default_factory=list)

    @property
    def named(self) -> bool:
        return bool(self.name or self.email)


@never_cache  # a secret link's page: never kept by a browser or a proxy
@require_GET
def booking(request: HttpRequest, token: str) -> HttpResponse:
    try:
        enrollment = selectors.enrollment_by_token(token)
    except NotFound as error:
        return page_not_found(request, error)
    named = list(enrollment.participants.order_by("pk"))
    rows = [
        ParticipantRow(i, named[i].name, named[i].email) if i < len(named) else ParticipantRow(i)
        for i in range(enrollment.seats)
    ]
    return _booking_page(request, enrollment, rows)


BUSINESS_FIELDS = ["company", "address", "postal_code", "city", "country", "vat_id"]


def _booking_page(
    request: HttpRequest,
    enrollment: Enrollment,
    rows: list[ParticipantRow],
    summary: list[tuple[str, str]] | None = None,
    status: int = 200,
    business: dict[str, PageField] | None = None,
    business_summary: list[tuple[str, str]] | None = None,
) -> HttpResponse:
    now = timezone.now()
    receipt = receipt_of(enrollment)
    if business is None and receipt is not None:
        given = {name: getattr(receipt, f"buyer_{name}") for name in BUSINESS_FIELDS}
        business = page_fields(BUSINESS_FIELDS, given, {})
    return render(
        request,
        "pages/booking.html",
        {
            "enrollment": enrollment,
            "data": EnrollmentOutput(enrollment).data,
            "when": describe_when(enrollment.session),
            "can_pay_here": enrollment.status in Enrollment.HOLDING,
            "just_paid": request.GET.get("paid") == "1",
            "terms": cancellation.cancellation_terms(enrollment, now=now),
            "paid": refundable_cents(enrollment) > 0,
            "roster_open": roster.roster_open(enrollment, now=now),
            "roster_hours": settings.ROSTER_CLOSES_HOURS_BEFORE,
            "rows": rows,
            "summary": summary or [],
            "receipt": receipt,
            "business": business,
            "business_summary": business_summary or [],
        },
        status=status,
    )


@never_cache
@require_POST
def booking_business(request: HttpRequest, token: str) -> HttpResponse:
    """A business buyer adds its company, address and VAT ID to the receipt: a credit note
    and a corrected invoice are issued (never an edit), and emailed."""
    if wait := page_throttled(request, "booking-changes"):
        return page_throttled_answer(request, wait)
    try:
        enrollment = selectors.enrollment_by_token(token)
    except NotFound as error:
        return page_not_found(request, error)
    if receipt_of(enrollment) is None:
        messages.error(request, _("This booking has no receipt to add details to yet."))
        return redirect("booking", token=token)
    typed = {name: request.POST.get(name, "").strip() for name in BUSINESS_FIELDS}
    data = BillingInput(data=typed)
    named = list(enrollment.participants.order_by("pk"))
    rows = [
        ParticipantRow(i, named[i].name, named[i].email) if i < len(named) else ParticipantRow(i)
        for i in range(enrollment.seats)
    ]
    if not data.is_valid():
        fields = page_fields(BUSINESS_FIELDS, typed, data.errors)
        summary = error_summary(fields, data.errors)
        return _booking_page(
            request, enrollment, rows, status=400, business=fields, business_summary=summary
        )
    try:
        receipts.receipt_add_business(enrollment=enrollment, **data.validated_data)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("booking", token=token)
    messages.success(
        request,
        _("Thank you: we've made out a corrected invoice with these details and emailed it."),
    )
    return redirect(reverse("booking", args=[token]) + "#receipt")


@never_cache
@sensitive_post_parameters()
@require_POST
def booking_participants(request: HttpRequest, token: str) -> HttpResponse:
    """Name (or rename) who attends, from the booking's page: the API's roster change, with
    its throttles (per address and per link), caps and emails."""
    wait = page_throttled(request, "booking-changes") or page_throttled(
        request, "roster-link", link=token
    )
    if wait:
        return page_throttled_answer(request, wait)
    try:
        enrollment = selectors.enrollment_by_token(token)
    except NotFound as error:
        return page_not_found(request, error)
    rows = _participant_rows(request, str(enrollment.seats))
    named = [{"name": row.name, "email": row.email} for row in rows if row.named]
    data = ParticipantsReplaceInput(data={"participants": named})
    if not data.is_valid():
        summary = _tie_to_rows(rows, data.errors.get("participants", []))
        return _booking_page(request, enrollment, rows, summary, 400)
    try:
        roster.enrollment_replace_participants(
            enrollment_id=enrollment.pk, participants=data.validated_data["participants"]
        )
    except DomainError as error:
        summary = [("", str(message)) for message in _messages_of(error)]
        return _booking_page(request, enrollment, rows, summary, error.status)
    messages.success(
        request, _("Thank you: the participants are saved. Anyone new gets their own confirmation.")
    )
    return redirect("booking", token=token)


def _messages_of(error: DomainError) -> list[str]:
    if error.fields:
        return [str(m) for messages_ in error.fields.values() for m in messages_]
    return [str(error.message)]


@never_cache
@require_POST
def booking_cancel(request: HttpRequest, token: str) -> HttpResponse:
    if wait := page_throttled(request, "booking-changes"):
        return page_throttled_answer(request, wait)
    try:
        enrollment = selectors.enrollment_by_token(token)
    except NotFound as error:
        return page_not_found(request, error)
    if request.POST.get("confirm") != "yes":
        messages.warning(request, _("Please tick the box to confirm that you want to cancel."))
        return redirect("booking", token=token)
    try:
        cancellation.enrollment_cancel(enrollment_id=enrollment.pk)
    except Conflict as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Your booking is cancelled. We've sent you an email about it."))
    return redirect("booking", token=token)


@never_cache
@require_POST
def booking_pay(request: HttpRequest, token: str) -> HttpResponse:
    if wait := page_throttled(request, "booking-changes"):
        return page_throttled_answer(request, wait)
    try:
        enrollment = selectors.enrollment_by_token(token)
    except NotFound as error:
        return page_not_found(request, error)
    try:
        payment = holds.enrollment_pay(enrollment_id=enrollment.pk)
    except (Conflict, PaymentUnavailable) as error:
        messages.error(request, error.message)
        return redirect("booking", token=token)
    if payment.checkout_url:
        return HttpResponseRedirect(payment.checkout_url)
    # The Elements flow: Stripe's card form on a page of ours whose address holds no secret
    # link (Stripe.js sends the page's address to Stripe), only a short-lived key to pay.
    paying = signing.dumps(enrollment.pk, salt=CARD_PAGE)
    return redirect("card-page", paying=paying)


# The card page's key: the booking it pays for, signed; it opens that page and pays, no more.
CARD_PAGE = "enrollments.card-page"


def _paying(paying: str) -> Enrollment:
    try:
        enrollment_id = signing.loads(paying, salt=CARD_PAGE, max_age=CHECKOUT_RETURN)
    except signing.BadSignature:
        raise NotFound() from None
    enrollment = (
        Enrollment.objects.select_related("session__offering").filter(pk=enrollment_id).first()
    )
    if enrollment is None or enrollment.anonymized_at:
        raise NotFound()
    return enrollment


@never_cache
@require_http_methods(["GET", "POST"])
def card_page(request: HttpRequest, paying: str) -> HttpResponse:
    """GET: the card form (Stripe Elements). POST: pay.js's card answer, paid here."""
    try:
        enrollment = _paying(paying)
    except NotFound as error:
        return page_not_found(request, error)
    if request.method == "POST":
        return _pay_by_card(request, enrollment)
    return render(
        request,
        "pages/pay.html",
        {
            "enrollment": enrollment,
            "when": describe_when(enrollment.session),
            "stripe_js_url": stripe_js_url(),
            "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
            "can_pay": enrollment.status in Enrollment.HOLDING,
        },
    )


def _pay_by_card(request: HttpRequest, enrollment: Enrollment) -> JsonResponse:
    """pay.js's card answer, refused in the API's error shape (config.errors.error_body)."""
    card = card_answer(request)
    if isinstance(card, JsonResponse):
        return card
    try:
        payment = holds.enrollment_pay(enrollment_id=enrollment.pk)
        attempt = payment_pay_by_card(payment=payment, card=card)
    except DomainError as error:
        refused = error_body(error.code, error.message, error.fields)
        return JsonResponse(refused, status=error.status)
    return JsonResponse(
        {
            "status": attempt.status,
            "client_secret": attempt.client_secret,
            "message": attempt.declined,
            "next": reverse("booking", args=[enrollment.token]) + "?paid=1",
        }
    )


# How long the way back from Stripe's Checkout page leads to the booking: time enough to
# pay, and afterwards the address Stripe keeps is no key to the booking.
CHECKOUT_RETURN = timedelta(hours=2)


@never_cache
@require_GET
def checkout_returned(request: HttpRequest, session_id: str) -> HttpResponse:
    """Stripe sends the person back here with the Checkout Session's id, not the booking's
    secret link: to their booking page, if they paid there a moment ago."""
    since = timezone.now() - CHECKOUT_RETURN
    booking = selectors.booking_paying_at_checkout(session_id, since=since)
    invoice = None if booking else invoice_paying_at_checkout(session_id, since=since)
    page = (
        reverse("booking", args=[booking.token])
        if booking
        else reverse("invoice", args=[invoice.token])
        if invoice
        else None
    )
    if page is None or not checkout_paid(session_id=session_id):
        return render(request, "pages/checkout_returned.html")
    return redirect(page + "?paid=1")


@never_cache
@require_GET
def checkout_cancelled(request: HttpRequest) -> HttpResponse:
    return render(request, "pages/checkout_cancelled.html")


BOOKING_FIELDS = [
    "name",
    "email",
    "organization",
    "seats",
    "discount_code",
    "join_waitlist",
    "consent",
]


@never_cache
@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
def session_book(request: HttpRequest, session_id: int) -> HttpResponse:
    """Book seats in a session, or join its waitlist: the same checks and services as
    `POST /api/v1/enrollments/`, then on to payment."""
    session = (
        sessions_with_seats(public_sessions().select_related("offering"))
        .filter(pk=session_id)
        .first()
    )
    if session is None:
        return page_not_found(request, NotFound())
    terms = SessionOutput(session).data
    if not (terms["enrollment_open"] or terms["waitlist_open"]):
        return render(request, "pages/booking_closed.html", {"session": session}, status=409)
    if request.method == "GET":
        return _booking_form(request, session, terms, {"seats": "1"}, [ParticipantRow(0)])
    typed = {name: request.POST.get(name, "").strip() for name in BOOKING_FIELDS}
    rows = _participant_rows(request, typed["seats"])
    if request.POST.get("action") == "rows":  # "show fields for this many participants"
        return _booking_form(request, session, terms, typed, rows)
    if wait := page_throttled(request, "enrollments"):
        refusal = _("Several bookings have just been made from here. Please try again in a minute.")
        response = _booking_form(request, session, terms, typed, rows, {"form": [refusal]}, 429)
        response["Retry-After"] = str(int(wait))
        return response
    named = [{"name": row.name, "email": row.email} for row in rows if row.named]
    data = EnrollmentCreateInput(
        data={
            **typed,
            "session": session.pk,
            "seats": typed["seats"] or 1,
            # Only if the person chose it: a date that filled while they typed is offered.
            "join_waitlist": typed["join_waitlist"] == "yes",
            "consent": typed["consent"] == "yes",
            **({"participants": named} if named else {}),
        }
    )
    if not data.is_valid():
        return _booking_form(request, session, terms, typed, rows, data.errors, 400)
    fields: dict[str, Any] = dict(data.validated_data)
    fields["session_id"] = fields.pop("session")
    fields.pop("consent")
    try:
        booking, payment = holds.enrollment_create(**fields, from_address=client_address(request))
    except SessionFull as error:
        if error.code == "not_enough_seats":  # fewer left than asked for: said by the seats
            return _booking_form(
                request, session, terms, typed, rows, {"seats": [error.message]}, 409
            )
        if not session.waitlist_enabled:  # filled up while the person was typing, no waitlist
            return render(request, "pages/booking_closed.html", {"session": session}, status=409)
        # Filled up while the person was typing: the waitlist is offered instead.
        full = {**terms, "enrollment_open": False, "waitlist_open": True}
        return _booking_form(request, session, full, typed, rows, {"form": [error.message]}, 409)
    except (DomainError, PaymentUnavailable) as error:
        # A refusal of one field (a discount code) is told at that field.
        errors = getattr(error, "fields", None) or {"form": [error.message]}
        return _booking_form(request, session, terms, typed, rows, errors, error.status)
    if payment is not None and payment.checkout_url:
        return HttpResponseRedirect(payment.checkout_url)
    return redirect("booking", token=booking.token)


def _tie_to_rows(rows: list[ParticipantRow], errors: Any) -> list[tuple[str, str]]:
    """The API's errors for participants (by the position of a named participant, or for
    the whole list) set on the rows they belong to; returns them for the summary."""
    summary: list[tuple[str, str]] = []
    if isinstance(errors, dict):
        per_row = dict(errors)
    else:
        per_row = dict(enumerate(e for e in errors if isinstance(e, dict)))
        summary += [("", str(e)) for e in errors if not isinstance(e, dict)]
    for position, row in enumerate(r for r in rows if r.named):
        found = per_row.get(position, {})
        row.name_errors = [str(e) for e in found.get("name", [])]
        row.email_errors = [str(e) for e in found.get("email", [])]
        summary += [(f"p-{row.index}-name", e) for e in row.name_errors]
        summary += [(f"p-{row.index}-email", e) for e in row.email_errors]
    return summary


def _participant_rows(request: HttpRequest, seats: str) -> list[ParticipantRow]:
    """The participant fields to show: one per seat asked for, as typed so far."""
    try:
        count = min(max(int(seats), 1), settings.MAX_SEATS_PER_BOOKING)
    except ValueError:
        count = 1
    return [
        ParticipantRow(
            i,
            request.POST.get(f"participant-{i}-name", "").strip(),
            request.POST.get(f"participant-{i}-email", "").strip(),
        )
        for i in range(count)
    ]


def _booking_form(
    request: HttpRequest,
    session: Session,
    terms: dict[str, Any],
    typed: dict[str, str],
    rows: list[ParticipantRow],
    errors: Any = None,
    status: int = 200,
) -> HttpResponse:
    errors = dict(errors or {})
    participant_errors = errors.pop("participants", [])
    fields = page_fields(BOOKING_FIELDS, typed, errors)
    summary = error_summary(fields, errors)
    summary += _tie_to_rows(rows, participant_errors)
    context = {
        "session": session,
        "terms": terms,
        "when": describe_when(session),
        "fields": fields,
        "rows": rows,
        "summary": summary,
        "max_seats": settings.MAX_SEATS_PER_BOOKING,
        "hold_minutes": settings.ENROLLMENT_HOLD_MINUTES,
    }
    return render(request, "pages/book.html", context, status=status)
