"""Stripe's webhooks: verified, stored once by their Stripe id and applied by a task.

The handlers (`billing/webhooks.py`) are guarded by the state of our rows, so duplicates
and reordering are harmless (DESIGN.md invariant 2). The hourly reconcile asks Stripe about
what webhooks did not tell us.
"""

import json
import logging
from datetime import timedelta
from typing import Any

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from billing import webhooks
from billing.models import Payment, Refund, StripeEvent
from billing.services.refunds import refund_submit
from billing.stripe_client import stripe_client
from config.celery import enqueue_on_commit
from outbox.services import alert_practice

logger = logging.getLogger(__name__)


class InvalidSignature(Exception):
    pass


def stripe_event_receive(*, payload: bytes, signature: str) -> StripeEvent | None:
    """Verify and store one webhook delivery; None when Stripe sent it before (a duplicate)."""
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret:
        logger.error("stripe: STRIPE_WEBHOOK_SECRET is not set; refusing webhooks")
        raise InvalidSignature("no webhook secret configured")
    try:
        stripe.WebhookSignature.verify_header(
            payload.decode("utf-8"), signature, secret, stripe.Webhook.DEFAULT_TOLERANCE
        )
        body = json.loads(payload)
        stripe_id, event_type = str(body["id"]), str(body["type"])
    except (
        stripe.SignatureVerificationError,
        UnicodeDecodeError,
        ValueError,
        KeyError,
        TypeError,
    ) as error:
        raise InvalidSignature(str(error)) from error

    try:
        with transaction.atomic():
            event = StripeEvent.objects.create(stripe_id=stripe_id, type=event_type, payload=body)
    except IntegrityError:
        return None
    enqueue_on_commit("billing.process_stripe_event", event_id=event.pk)
    return event


def stripe_event_process(*, event_id: int) -> str:
    """Apply a stored event once; returns what happened (kept on the event for the admin)."""
    event = StripeEvent.objects.get(pk=event_id)
    if event.processed_at is not None:
        return event.result
    result = webhooks.apply(event.type, event.payload.get("data", {}).get("object", {}))
    StripeEvent.objects.filter(pk=event.pk, processed_at__isnull=True).update(
        processed_at=timezone.now(), result=result[:500]
    )
    return result


# --- Reconciliation -------------------------------------------------------------------------

# Give webhooks this long to arrive before asking Stripe ourselves.
RECONCILE_AFTER = timedelta(minutes=10)


def payments_reconcile() -> dict[str, int]:
    """Catch up on what webhooks did not tell us: payments, refunds and unapplied events."""
    counts = {"payments": 0, "refunds": 0, "events": 0}
    if not settings.STRIPE_SECRET_KEY:
        return counts  # no Stripe account configured: nothing can be pending there
    cutoff = timezone.now() - RECONCILE_AFTER
    client = stripe_client()
    for payment in Payment.objects.filter(status=Payment.Status.PENDING, created_at__lt=cutoff):
        if not (payment.stripe_checkout_session_id or payment.stripe_payment_intent_id):
            # Its process stopped before Stripe answered: nothing can come of it.
            Payment.objects.filter(pk=payment.pk, status=Payment.Status.PENDING).update(
                status=Payment.Status.CANCELLED
            )
            continue
        try:
            if payment.stripe_checkout_session_id:
                checkout = client.v1.checkout.sessions.retrieve(payment.stripe_checkout_session_id)
                obj: dict[str, Any] = checkout.to_dict()
                event_type = {
                    "complete": "checkout.session.completed",
                    "expired": "checkout.session.expired",
                }.get(str(obj.get("status")), "")
            else:
                intent = client.v1.payment_intents.retrieve(payment.stripe_payment_intent_id or "")
                obj = intent.to_dict()
                event_type = {
                    "succeeded": "payment_intent.succeeded",
                    "canceled": "payment_intent.canceled",
                }.get(str(obj.get("status")), "")
        except stripe.StripeError as error:
            logger.warning("reconcile: payment %s: %s", payment.pk, type(error).__name__)
            continue
        if event_type:
            webhooks.apply(event_type, obj)
            counts["payments"] += 1

    for refund_id in Refund.objects.filter(
        status=Refund.Status.PENDING, created_at__lt=timezone.now() - timedelta(minutes=2)
    ).values_list("pk", flat=True):
        refund_submit(refund_id=refund_id)
        counts["refunds"] += 1

    for event_id in StripeEvent.objects.filter(
        processed_at__isnull=True, received_at__lt=timezone.now() - timedelta(minutes=2)
    ).values_list("pk", flat=True):
        try:
            stripe_event_process(event_id=event_id)
        except Exception as error:  # one event that cannot be applied stops no other
            logger.warning("reconcile: event %s not applied: %s", event_id, type(error).__name__)
            _tell_if_stuck(event_id, error)
            continue
        counts["events"] += 1
    return counts


# An event Stripe sent that has not been applied after this is the practice's to look at.
STUCK_AFTER = timedelta(hours=1)


def _tell_if_stuck(event_id: int, error: Exception) -> None:
    event = StripeEvent.objects.get(pk=event_id)
    if event.received_at > timezone.now() - STUCK_AFTER:
        return  # the next hourly run tries again
    with transaction.atomic():
        alert_practice(
            kind="stripe_event_not_applied",
            text=(
                f"A Stripe event ({event.type}, {event.stripe_id}) received "
                f"{event.received_at:%Y-%m-%d %H:%M} UTC could not be applied "
                f"({type(error).__name__}); it is kept, and tried again every hour."
            ),
            related=event,
            once=True,
        )
