"""The booking's own page, for people who follow the link in our emails, and the way back
from Stripe's Checkout page."""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from billing.models import Payment
from billing.selectors import refundable_cents
from billing.services.payments import checkout_paid
from billing.stripe_client import PaymentUnavailable
from config.errors import Conflict, NotFound
from config.pages import page_not_found, page_throttled_answer
from config.throttling import page_throttled
from enrollments import selectors
from enrollments.models import Enrollment
from enrollments.serializers import EnrollmentOutput
from enrollments.services import cancellation, holds
from workshops.calendar import describe_when


@never_cache  # a secret link's page: never kept by a browser or a proxy
@require_GET
def booking(request: HttpRequest, token: str) -> HttpResponse:
    try:
        enrollment = selectors.enrollment_by_token(token)
    except NotFound as error:
        return page_not_found(request, error)
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
            "terms": cancellation.cancellation_terms(enrollment, now=timezone.now()),
            "paid": refundable_cents(enrollment) > 0,
        },
    )


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
        messages.warning(request, "Please tick the box to confirm that you want to cancel.")
        return redirect("booking", token=token)
    try:
        cancellation.enrollment_cancel(enrollment_id=enrollment.pk)
    except Conflict as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Your booking is cancelled. We've sent you an email about it.")
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
    messages.info(request, "Please complete the payment in the practice's booking app.")
    return redirect("booking", token=token)


# How long the way back from Stripe's Checkout page leads to the booking: time enough to
# pay, and afterwards the address Stripe keeps is no key to the booking.
CHECKOUT_RETURN = timedelta(hours=2)


@never_cache
@require_GET
def checkout_returned(request: HttpRequest, session_id: str) -> HttpResponse:
    """Stripe sends the person back here with the Checkout Session's id, not the booking's
    secret link: to their booking page, if they paid there a moment ago."""
    booking = selectors.booking_paying_at_checkout(
        session_id, since=timezone.now() - CHECKOUT_RETURN
    )
    if booking is None or not checkout_paid(session_id=session_id):
        return render(request, "pages/checkout_returned.html")
    return redirect(reverse("booking", args=[booking.token]) + "?paid=1")


@never_cache
@require_GET
def checkout_cancelled(request: HttpRequest) -> HttpResponse:
    return render(request, "pages/checkout_cancelled.html")
