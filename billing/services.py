"""Payments, refunds and Stripe webhooks.

Stripe is called outside any transaction that holds a lock; every call that creates
something carries an idempotency key made from our own row. Webhook events are stored
once by their Stripe id and applied by a task, guarded by the state of our rows, so
duplicates and reordering are harmless (DESIGN.md invariant 2).
"""

import json
import logging
from datetime import timedelta
from typing import Any, cast

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from billing.models import Payment, Refund, StripeEvent
from billing.stripe_client import PaymentUnavailable, stripe_client
from config.celery import enqueue_on_commit
from enrollments.models import Enrollment

logger = logging.getLogger(__name__)

# Stripe refuses a Checkout Session that expires sooner than this after its creation.
CHECKOUT_MIN_LIFETIME = timedelta(minutes=31)


def booking_url(enrollment: Enrollment) -> str:
    return f"{settings.SITE_URL}/enrollments/{enrollment.token}/"


# --- Payments -------------------------------------------------------------------------------


def payment_start(*, enrollment: Enrollment) -> Payment:
    """Ask Stripe for a way to pay the enrollment's amount; reuses an open attempt if any."""
    earlier = list(enrollment.payments.order_by("pk"))  # one read: usually none, or one
    open_payment = next((p for p in earlier if p.status == Payment.Status.PENDING), None)
    if open_payment is not None and open_payment.flow == settings.PAYMENT_FLOW:
        return open_payment

    attempt = len(earlier) + 1
    idempotency_key = f"enrollment-{enrollment.pk}-payment-{attempt}"
    # Only our own reference travels to Stripe: no names, no inquiry or survey text.
    metadata = {"enrollment_reference": enrollment.reference}
    client = stripe_client()
    payment = Payment(
        enrollment=enrollment,
        attempt=attempt,
        flow=settings.PAYMENT_FLOW,
        amount_cents=enrollment.amount_cents,
        currency=enrollment.currency,
    )
    try:
        if settings.PAYMENT_FLOW == Payment.Flow.CHECKOUT:
            checkout = client.v1.checkout.sessions.create(
                params=cast(Any, _checkout_params(enrollment, metadata)),
                options={"idempotency_key": idempotency_key},
            )
            payment.stripe_checkout_session_id = checkout.id
            payment.checkout_url = checkout.url or ""
        else:
            # Typed loosely: the stubs lack `payment_method_types`, which Stripe still takes
            # (and which localstripe requires instead of automatic payment methods).
            intent = client.v1.payment_intents.create(
                params=cast(
                    Any,
                    {
                        "amount": enrollment.amount_cents,
                        "currency": enrollment.currency.lower(),
                        "payment_method_types": ["card"],
                        "metadata": metadata,
                    },
                ),
                options={"idempotency_key": idempotency_key},
            )
            payment.stripe_payment_intent_id = intent.id
            payment.client_secret = intent.client_secret or ""
    except stripe.StripeError as error:
        logger.warning(
            "stripe: could not start payment for %s: %s", enrollment.reference, type(error).__name__
        )
        raise PaymentUnavailable() from error
    payment.save()
    return payment


def _checkout_params(enrollment: Enrollment, metadata: dict[str, str]) -> dict[str, Any]:
    session = enrollment.session
    expires_at = max(
        enrollment.hold_expires_at or timezone.now(), timezone.now() + CHECKOUT_MIN_LIFETIME
    )
    return {
        "mode": "payment",
        "line_items": [
            {
                "quantity": enrollment.seats,
                "price_data": {
                    "currency": enrollment.currency.lower(),
                    "unit_amount": enrollment.amount_cents // enrollment.seats,
                    "product_data": {
                        "name": f"{session.display_title}, {session.starts_at:%d %b %Y}"
                    },
                },
            }
        ],
        "customer_email": enrollment.email,
        "client_reference_id": enrollment.reference,
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata},
        "success_url": booking_url(enrollment) + "?paid=1",
        "cancel_url": booking_url(enrollment),
        # Stripe needs at least 30 minutes; a payment after the hold lapsed is still handled
        # (DESIGN.md invariant 3), so the page may outlive the hold by a little.
        "expires_at": int(expires_at.timestamp()),
    }


def payment_block(payment: Payment | None) -> dict[str, str] | None:
    """What a client needs to take the person to payment, by flow (the HTTP contract)."""
    if payment is None or payment.status != Payment.Status.PENDING:
        return None
    if payment.flow == Payment.Flow.CHECKOUT:
        return {"checkout_url": payment.checkout_url}
    return {
        "client_secret": payment.client_secret,
        "payment_intent": payment.stripe_payment_intent_id or "",
    }


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


def paid_cents(enrollment: Enrollment) -> int:
    return int(
        enrollment.payments.filter(status=Payment.Status.SUCCEEDED).aggregate(
            total=Sum("amount_cents")
        )["total"]
        or 0
    )


def refunded_cents(enrollment: Enrollment) -> int:
    return int(
        Refund.objects.filter(payment__enrollment=enrollment)
        .exclude(status=Refund.Status.FAILED)
        .aggregate(total=Sum("amount_cents"))["total"]
        or 0
    )


def refundable_cents(enrollment: Enrollment) -> int:
    return paid_cents(enrollment) - refunded_cents(enrollment)


# --- Refunds --------------------------------------------------------------------------------


def refund_create(
    *,
    enrollment: Enrollment,
    amount_cents: int,
    reason: Refund.Reason,
    created_by: Any = None,
) -> list[Refund]:
    """Record refunds (inside the caller's transaction) and send them to Stripe after commit.

    The amount is taken from the enrollment's succeeded payments, newest first.
    """
    refunds = []
    remaining = amount_cents
    for payment in enrollment.payments.filter(status=Payment.Status.SUCCEEDED).order_by("-id"):
        already = (
            payment.refunds.exclude(status=Refund.Status.FAILED).aggregate(
                total=Sum("amount_cents")
            )["total"]
            or 0
        )
        share = min(remaining, payment.amount_cents - already)
        if share <= 0:
            continue
        refund = Refund.objects.create(
            payment=payment,
            amount_cents=share,
            currency=payment.currency,
            reason=reason,
            created_by=created_by,
        )
        enqueue_on_commit("billing.submit_refund", refund_id=refund.pk)
        refunds.append(refund)
        remaining -= share
        if remaining == 0:
            break
    return refunds


def refund_submit(*, refund_id: int) -> Refund:
    """Send one pending refund to Stripe; safe to repeat (idempotency key from our row)."""
    refund = Refund.objects.select_related("payment").get(pk=refund_id)
    if refund.status != Refund.Status.PENDING:
        return refund
    payment = refund.payment
    try:
        created = stripe_client().v1.refunds.create(
            params=cast(
                Any,
                {
                    "payment_intent": payment.stripe_payment_intent_id,
                    # Always explicit: without it Stripe refunds whatever is left.
                    "amount": refund.amount_cents,
                    "metadata": {"enrollment_reference": payment.enrollment.reference},
                },
            ),
            options={"idempotency_key": f"refund-{refund.pk}"},
        )
    except (stripe.StripeError, PaymentUnavailable) as error:
        Refund.objects.filter(pk=refund.pk).update(last_error=str(error)[:500])
        logger.warning("stripe: refund %s not sent yet: %s", refund.pk, type(error).__name__)
        refund.refresh_from_db()
        return refund
    status = (
        Refund.Status.SUCCEEDED
        if created.status in {"succeeded", "pending"}
        else Refund.Status.FAILED
    )
    Refund.objects.filter(pk=refund.pk, status=Refund.Status.PENDING).update(
        stripe_refund_id=created.id,
        status=status,
        succeeded_at=timezone.now() if status == Refund.Status.SUCCEEDED else None,
        last_error="" if status == Refund.Status.SUCCEEDED else f"Stripe says {created.status}",
    )
    refund.refresh_from_db()
    return refund


# --- Webhooks -------------------------------------------------------------------------------


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
    from billing import webhooks  # the handlers call into enrollments, which imports us

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
    from billing import webhooks

    counts = {"payments": 0, "refunds": 0, "events": 0}
    if not settings.STRIPE_SECRET_KEY:
        return counts  # no Stripe account configured: nothing can be pending there
    cutoff = timezone.now() - RECONCILE_AFTER
    client = stripe_client()
    for payment in Payment.objects.filter(status=Payment.Status.PENDING, created_at__lt=cutoff):
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
        stripe_event_process(event_id=event_id)
        counts["events"] += 1
    return counts
