"""Payments: asking Stripe for a way to pay, and recording what became of it.

Billing is the payment adapter. Whoever asks for a payment describes it in full (what is
paid, its lines, where the person returns to); billing reports what Stripe did with it as
events (`billing/events.py`). Stripe is called outside any transaction that holds a lock,
and every call that creates something carries an idempotency key made from our own row.
"""

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Model, QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from billing.events import PaymentClosed, PaymentEvent, PaymentFailed, PaymentSucceeded
from billing.models import Payment
from billing.selectors import payable_type, payments_of
from billing.stripe_client import PaymentUnavailable, payable_metadata, stripe_client
from config import events
from config.celery import enqueue_on_commit
from config.errors import Conflict, InvalidInput

logger = logging.getLogger(__name__)

# Stripe refuses a Checkout Session that expires sooner than this after its creation.
CHECKOUT_MIN_LIFETIME = timedelta(minutes=31)
# Stripe lets a Checkout Session live 24 hours at most; a hold that lasts longer (an offer
# from the waitlist) gets a new one from the booking page.
CHECKOUT_MAX_LIFETIME = timedelta(hours=23, minutes=55)


@dataclass(frozen=True)
class Line:
    """One line of what is paid for, as the one asking for the payment describes it."""

    description: str
    quantity: int
    unit_price_cents: int

    @property
    def total_cents(self) -> int:
        return self.quantity * self.unit_price_cents


@dataclass(frozen=True)
class PaymentRequest:
    """What a payable's owner asks billing to collect, and how to bring the person back."""

    payable: Model  # the row being paid, such as a booking
    reference: str  # the payable's own reference: the only thing of it Stripe is told
    currency: str
    lines: tuple[Line, ...]
    email: str  # filled in on Stripe's hosted page
    # Where the hosted page sends the person back, paid or not. Never a secret link:
    # Stripe keeps these addresses. Stripe fills in `{CHECKOUT_SESSION_ID}` in the first.
    success_url: str
    cancel_url: str
    pay_by: datetime | None = None  # when what is held for the payment lapses

    @property
    def amount_cents(self) -> int:
        return sum(line.total_cents for line in self.lines)


def payment_start(*, request: PaymentRequest) -> Payment:
    """Ask Stripe for a way to pay; reuses an open attempt in the same flow if there is one.

    Two requests at once (a double click on "pay") pay through one attempt: its row is
    written first, so the second finds it, and Stripe, asked twice with the attempt's
    idempotency key, answers both with the same PaymentIntent or Checkout Session.
    """
    payment = _open_attempt(request)
    if payment.stripe_payment_intent_id or payment.stripe_checkout_session_id:
        return payment
    payable = request.payable
    idempotency_key = f"{payable._meta.model_name}-{payable.pk}-payment-{payment.attempt}"
    metadata = payable_metadata(str(payable._meta.model_name), request.reference)
    found: dict[str, Any] = {}
    try:
        client = stripe_client()
        if payment.flow == Payment.Flow.CHECKOUT:
            checkout = client.v1.checkout.sessions.create(
                params=cast(Any, _checkout_params(request, metadata)),
                options={"idempotency_key": idempotency_key},
            )
            found = {"stripe_checkout_session_id": checkout.id, "checkout_url": checkout.url or ""}
        else:
            # Typed loosely: the stubs lack `payment_method_types`, which Stripe still takes
            # (and which localstripe requires instead of automatic payment methods).
            intent = client.v1.payment_intents.create(
                params=cast(
                    Any,
                    {
                        "amount": request.amount_cents,
                        "currency": request.currency.lower(),
                        "payment_method_types": ["card"],
                        "metadata": metadata,
                    },
                ),
                options={"idempotency_key": idempotency_key},
            )
            found = {
                "stripe_payment_intent_id": intent.id,
                "client_secret": intent.client_secret or "",
            }
    except (stripe.StripeError, PaymentUnavailable) as error:
        logger.warning(
            "stripe: could not start payment for %s: %s", request.reference, type(error).__name__
        )
        # Never reached Stripe: the next try is a new attempt, with a key of its own.
        _not_started(payment).update(status=Payment.Status.CANCELLED)
        raise PaymentUnavailable() from error
    # The first to hear back from Stripe records its answer; one that came second reads it.
    if _not_started(payment).update(**found):
        for name, value in found.items():
            setattr(payment, name, value)
    else:
        payment.refresh_from_db()
    return payment


def _not_started(payment: Payment) -> QuerySet[Payment]:
    return Payment.objects.filter(
        pk=payment.pk, stripe_payment_intent_id=None, stripe_checkout_session_id=None
    )


def _open_attempt(request: PaymentRequest) -> Payment:
    """The payable's open attempt in this flow, or a new one, its row written at once."""
    earlier = list(payments_of(request.payable).order_by("pk"))  # usually none, or one
    for payment in earlier:
        if payment.status == Payment.Status.PENDING and payment.flow == settings.PAYMENT_FLOW:
            return payment
    attempt = max((payment.attempt for payment in earlier), default=0) + 1
    try:
        with transaction.atomic():
            return Payment.objects.create(
                payable=request.payable,
                payable_reference=request.reference,
                attempt=attempt,
                flow=settings.PAYMENT_FLOW,
                amount_cents=request.amount_cents,
                currency=request.currency,
            )
    except IntegrityError:
        # A request for the same payable wrote this attempt a moment ago: pay through it.
        return payments_of(request.payable).get(attempt=attempt)


def _checkout_params(request: PaymentRequest, metadata: dict[str, str]) -> dict[str, Any]:
    now = timezone.now()
    expires_at = min(
        max(request.pay_by or now, now + CHECKOUT_MIN_LIFETIME), now + CHECKOUT_MAX_LIFETIME
    )
    return {
        "mode": "payment",
        "line_items": [
            {
                "quantity": line.quantity,
                "price_data": {
                    "currency": request.currency.lower(),
                    "unit_amount": line.unit_price_cents,
                    "product_data": {"name": line.description},
                },
            }
            for line in request.lines
        ],
        "customer_email": request.email,
        "client_reference_id": request.reference,
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata},
        "success_url": request.success_url,
        "cancel_url": request.cancel_url,
        # Stripe needs at least 30 minutes; a payment after the hold lapsed is still handled
        # (DESIGN.md invariant 3), so the page may outlive the hold by a little.
        "expires_at": int(expires_at.timestamp()),
    }


def payment_block(payment: Payment | None) -> dict[str, str] | None:
    """What a client needs to take the person to payment, by flow (the HTTP contract)."""
    if payment is None or payment.status != Payment.Status.PENDING:
        return None
    if not (payment.stripe_payment_intent_id or payment.stripe_checkout_session_id):
        return None  # not at Stripe (yet): nothing to pay through
    if payment.flow == Payment.Flow.CHECKOUT:
        return {"checkout_url": payment.checkout_url}
    return {
        "client_secret": payment.client_secret,
        "payment_intent": payment.stripe_payment_intent_id or "",
    }


@dataclass(frozen=True)
class CardAttempt:
    """What became of paying an intent with a card: Stripe's status, the secret Stripe.js
    needs to finish a card that asks its bank (`requires_action`), and a refusal's words."""

    status: str
    client_secret: str = ""
    declined: str = ""


DECLINED = _(
    "Your card was not accepted, and nothing was charged. Please check its details, or try "
    "another card."
)
# A card as Stripe.js hands it over: its id at Stripe (a card from a token, or a
# PaymentMethod). Card numbers never reach us.
CARD_ID = re.compile(r"(card|pm)_[A-Za-z0-9]{1,250}")


def payment_pay_by_card(*, payment: Payment, card: str) -> CardAttempt:
    """Pay an open PaymentIntent with the card the person entered in Stripe's card form.

    The card is attached and the intent confirmed here, on the server; a card that needs
    its bank's approval comes back as `requires_action`, which Stripe.js then finishes in
    the browser. Success is applied, as always, when Stripe's webhook says so.
    """
    if not CARD_ID.fullmatch(card):
        raise InvalidInput(fields={"card": [gettext("Please enter your card details again.")]})
    if payment.status != Payment.Status.PENDING or not payment.stripe_payment_intent_id:
        raise Conflict(gettext("There is nothing to pay right now."), code="nothing_to_pay")
    intent_id = payment.stripe_payment_intent_id
    try:
        client = stripe_client()
        client.v1.payment_intents.update(intent_id, params={"payment_method": card})
        intent = client.v1.payment_intents.confirm(intent_id)
    except stripe.CardError as error:
        logger.info("stripe: card refused for payment %s: %s", payment.pk, error.code)
        return CardAttempt(status="requires_payment_method", declined=str(DECLINED))
    except (stripe.StripeError, PaymentUnavailable) as error:
        logger.warning("stripe: could not pay %s by card: %s", payment.pk, type(error).__name__)
        raise PaymentUnavailable() from error
    if intent.status == "requires_payment_method":  # refused on confirming
        return CardAttempt(status=intent.status, declined=str(DECLINED))
    return CardAttempt(status=intent.status, client_secret=intent.client_secret or "")


def payments_close_open(*, payable: Model) -> int:
    """Inside the caller's transaction: the payable's open payments are closed here, and at
    Stripe after commit, so the person is not charged for what they no longer hold."""
    open_ids = list(
        payments_of(payable).filter(status=Payment.Status.PENDING).values_list("pk", flat=True)
    )
    Payment.objects.filter(pk__in=open_ids).update(status=Payment.Status.CANCELLED)
    for payment_id in open_ids:
        enqueue_on_commit("billing.cancel_payment", payment_id=payment_id)
    return len(open_ids)


def checkout_paid(*, session_id: str) -> bool:
    """Whether Stripe says the person paid on its Checkout page (the way back from it)."""
    try:
        checkout = stripe_client().v1.checkout.sessions.retrieve(session_id)
    except (stripe.StripeError, PaymentUnavailable) as error:
        logger.info("stripe: could not look up a Checkout Session: %s", type(error).__name__)
        return False
    return checkout.status == "complete"


def payment_cancel_at_stripe(*, payment_id: int) -> None:
    """Best effort, after commit: close an open payment so the person is not charged later.

    If it fails and they pay anyway, the late payment is refunded automatically.
    """
    payment = Payment.objects.get(pk=payment_id)
    try:
        client = stripe_client()
        if payment.stripe_checkout_session_id:
            client.v1.checkout.sessions.expire(payment.stripe_checkout_session_id)
        elif payment.stripe_payment_intent_id:
            client.v1.payment_intents.cancel(payment.stripe_payment_intent_id)
    except (stripe.StripeError, PaymentUnavailable) as error:
        logger.info("stripe: could not close payment %s: %s", payment.pk, type(error).__name__)


# --- What Stripe said became of a payment ---------------------------------------------------
#
# Each outcome is reported to the payable's owner as an event. The owner takes its own locks
# first (a booking: its session's) and then records the outcome through billing's function
# for it, so that every change to a booking takes its locks in one order; when no owner
# answers, billing records the outcome itself. Every function is safe to call again.


def report(event: PaymentEvent, record: Callable[[], str]) -> str:
    """Inside the caller's transaction: the owners' answers, or what `record` did."""
    answers = events.publish(event)
    if answers:
        return "; ".join(str(answer) for answer in answers)
    return record()


def _about(payment: Payment) -> dict[str, Any]:
    return {
        "payment_id": payment.pk,
        "payable_type": payable_type(payment),
        "payable_id": payment.payable_id,
    }


def payment_claim_success(*, payment_id: int, now: datetime | None = None) -> Payment | None:
    """Under the payment's lock: mark it succeeded, or None if it already was (a duplicate
    or replayed webhook)."""
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    if payment.status == Payment.Status.SUCCEEDED:
        return None
    payment.status = Payment.Status.SUCCEEDED
    payment.succeeded_at = now or timezone.now()
    payment.save(update_fields=["status", "succeeded_at"])
    return payment


def payment_succeeded(*, payment_id: int, now: datetime | None = None) -> str:
    """Stripe took the money: what it paid for is settled by its owner (PaymentSucceeded)."""
    with transaction.atomic():
        payment = Payment.objects.get(pk=payment_id)
        if payment.status == Payment.Status.SUCCEEDED:
            return "already applied"

        def record() -> str:
            claimed = payment_claim_success(payment_id=payment_id, now=now)
            return "succeeded" if claimed else "already applied"

        return report(PaymentSucceeded(**_about(payment)), record)


def payment_record_failure(*, payment_id: int, message: str) -> str:
    updated = Payment.objects.filter(pk=payment_id, status=Payment.Status.PENDING).update(
        last_error=message[:500]
    )
    return "failure noted" if updated else "ignored: payment no longer pending"


def payment_failed(*, payment_id: int, message: str) -> str:
    """A card was declined: the payment stays open, so the person can try again."""
    with transaction.atomic():
        payment = Payment.objects.get(pk=payment_id)
        if payment.status != Payment.Status.PENDING:
            return "ignored: payment no longer pending"
        return report(
            PaymentFailed(**_about(payment), message=message[:500]),
            lambda: payment_record_failure(payment_id=payment_id, message=message),
        )


def payment_record_closed(*, payment_id: int) -> str:
    updated = Payment.objects.filter(pk=payment_id, status=Payment.Status.PENDING).update(
        status=Payment.Status.CANCELLED
    )
    return "payment closed" if updated else "ignored: payment no longer pending"


def payment_closed(*, payment_id: int) -> str:
    """Stripe closed a payment (a Checkout page expired): nothing more will come from it."""
    with transaction.atomic():
        payment = Payment.objects.get(pk=payment_id)
        if payment.status != Payment.Status.PENDING:
            return "ignored: payment no longer pending"
        return report(
            PaymentClosed(**_about(payment)),
            lambda: payment_record_closed(payment_id=payment_id),
        )
