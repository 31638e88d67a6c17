"""What each Stripe event means for our payments. Every handler is guarded by state, so a
duplicate, a replay or an event that arrives out of order changes nothing; what a payment
paid for hears of it through billing's events."""

import logging
from collections.abc import Callable
from typing import Any

import stripe

from billing.models import Payment
from billing.services import payments
from billing.services.refunds import refund_updated, refunds_reported, stripe_refund
from billing.stripe_client import PaymentUnavailable, references_in, stripe_client

logger = logging.getLogger(__name__)

StripeObject = dict[str, Any]


def apply(event_type: str, obj: StripeObject) -> str:
    handler = HANDLERS.get(event_type)
    if handler is None:
        return f"ignored: {event_type} is not used"
    return handler(obj)


def _id(value: Any) -> str:
    """Stripe sends related objects as ids or, expanded, as objects."""
    if isinstance(value, dict):
        return str(value.get("id") or "")
    return str(value or "")


def _payment_for_intent(intent: StripeObject) -> Payment | None:
    payment = Payment.objects.filter(stripe_payment_intent_id=intent["id"]).first()
    if payment is not None:
        return payment
    # Checkout flow: we know the Checkout Session, and learn its PaymentIntent from Stripe.
    references = references_in(intent.get("metadata"))
    if not references:
        return None
    payment = (
        Payment.objects.filter(
            payable_reference__in=references,
            flow=Payment.Flow.CHECKOUT,
            stripe_payment_intent_id=None,
            amount_cents=int(intent.get("amount") or 0),
        )
        .order_by("-attempt")
        .first()
    )
    if payment is not None:
        Payment.objects.filter(pk=payment.pk).update(stripe_payment_intent_id=intent["id"])
    return payment


def _amount_matches(payment: Payment, amount: Any, currency: Any) -> bool:
    matches = amount == payment.amount_cents and str(currency).upper() == payment.currency
    if not matches:
        logger.error(
            "stripe: payment %s paid %s %s, expected otherwise", payment.pk, amount, currency
        )
    return matches


def payment_intent_succeeded(intent: StripeObject) -> str:
    payment = _payment_for_intent(intent)
    if payment is None:
        return "ignored: not a payment of ours"
    if not _amount_matches(payment, intent.get("amount"), intent.get("currency")):
        return "ignored: amount does not match; needs a look"
    return payments.payment_succeeded(payment_id=payment.pk)


def payment_intent_failed(intent: StripeObject) -> str:
    payment = _payment_for_intent(intent)
    if payment is None:
        return "ignored: not a payment of ours"
    message = str((intent.get("last_payment_error") or {}).get("message") or "declined")
    return payments.payment_failed(payment_id=payment.pk, message=message)


def payment_intent_canceled(intent: StripeObject) -> str:
    payment = _payment_for_intent(intent)
    if payment is None:
        return "ignored: not a payment of ours"
    return payments.payment_closed(payment_id=payment.pk)


def checkout_session_completed(checkout: StripeObject) -> str:
    payment = Payment.objects.filter(stripe_checkout_session_id=checkout["id"]).first()
    if payment is None:
        return "ignored: not a payment of ours"
    if checkout.get("payment_status") != "paid":
        return "ignored: not paid yet"
    if not _amount_matches(payment, checkout.get("amount_total"), checkout.get("currency")):
        return "ignored: amount does not match; needs a look"
    intent_id = _id(checkout.get("payment_intent"))
    if intent_id and not payment.stripe_payment_intent_id:
        Payment.objects.filter(pk=payment.pk).update(stripe_payment_intent_id=intent_id)
    return payments.payment_succeeded(payment_id=payment.pk)


def checkout_session_expired(checkout: StripeObject) -> str:
    payment = Payment.objects.filter(stripe_checkout_session_id=checkout["id"]).first()
    if payment is None:
        return "ignored: not a payment of ours"
    return payments.payment_closed(payment_id=payment.pk)


def charge_refunded(charge: StripeObject) -> str:
    intent_id = _id(charge.get("payment_intent"))
    payment = (
        Payment.objects.filter(stripe_payment_intent_id=intent_id).first() if intent_id else None
    )
    if payment is None:
        return "ignored: not a payment of ours"
    listed = (charge.get("refunds") or {}).get("data")
    if listed is None:  # newer API versions leave the list out of the charge
        try:
            page = stripe_client().v1.refunds.list(
                params={"payment_intent": intent_id, "limit": 100}
            )
            listed = [refund.to_dict() for refund in page.data]
        except (stripe.StripeError, PaymentUnavailable) as error:
            raise RuntimeError("could not list refunds; the event will be retried") from error
    return refunds_reported(payment_id=payment.pk, refunds=[stripe_refund(r) for r in listed])


def charge_refund_updated(refund: StripeObject) -> str:
    return refund_updated(obj=refund)


HANDLERS: dict[str, Callable[[StripeObject], str]] = {
    "payment_intent.succeeded": payment_intent_succeeded,
    "payment_intent.payment_failed": payment_intent_failed,
    "payment_intent.canceled": payment_intent_canceled,
    "checkout.session.completed": checkout_session_completed,
    "checkout.session.async_payment_succeeded": checkout_session_completed,
    "checkout.session.expired": checkout_session_expired,
    "charge.refunded": charge_refunded,
    "charge.refund.updated": charge_refund_updated,
}
