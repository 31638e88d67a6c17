"""Refunds: recorded inside the change that gives the money back, sent to Stripe after commit."""

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

import stripe
from django.db import transaction
from django.db.models import Model, Sum
from django.utils import timezone

from billing.events import RefundedAtStripe, StripeRefund
from billing.models import Payment, Refund
from billing.selectors import payable_type, payments_of
from billing.services.payments import report
from billing.stripe_client import PaymentUnavailable, payable_metadata, stripe_client
from config.celery import enqueue_on_commit

logger = logging.getLogger(__name__)


def refund_create(
    *,
    payable: Model,
    amount_cents: int,
    reason: Refund.Reason,
    created_by: Any = None,
) -> list[Refund]:
    """Record refunds (inside the caller's transaction) and send them to Stripe after commit.

    The amount is taken from the payable's succeeded payments, newest first.
    """
    refunds = []
    remaining = amount_cents
    for payment in payments_of(payable).filter(status=Payment.Status.SUCCEEDED).order_by("-id"):
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
    refund = Refund.objects.select_related("payment__payable_type").get(pk=refund_id)
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
                    "metadata": payable_metadata(
                        payment.payable_type.model, payment.payable_reference
                    ),
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


def refunds_record_from_stripe(
    *, payment_id: int, refunds: Iterable[StripeRefund], now: datetime | None = None
) -> int:
    """Record the refunds Stripe reports that we did not know of (made in its dashboard);
    returns how many were new."""
    now = now or timezone.now()
    payment = Payment.objects.get(pk=payment_id)
    known = set(
        payment.refunds.exclude(stripe_refund_id=None).values_list("stripe_refund_id", flat=True)
    )
    added = 0
    for reported in refunds:
        if reported.stripe_refund_id in known:
            continue
        Refund.objects.create(
            payment=payment,
            amount_cents=reported.amount_cents,
            currency=payment.currency,
            reason=Refund.Reason.STRIPE_DASHBOARD,
            stripe_refund_id=reported.stripe_refund_id,
            status=Refund.Status.SUCCEEDED,
            succeeded_at=now,
        )
        added += 1
    return added


def refunds_reported(*, payment_id: int, refunds: Iterable[StripeRefund]) -> str:
    """Stripe lists the payment's refunds: the new ones are recorded by the payable's owner
    (RefundedAtStripe), or by billing when no owner answers (see `payments.report`)."""
    reported = tuple(refunds)

    def record() -> str:
        added = refunds_record_from_stripe(payment_id=payment_id, refunds=reported)
        return f"{added} refund(s) recorded" if added else "ignored: refunds already known"

    with transaction.atomic():
        payment = Payment.objects.get(pk=payment_id)
        event = RefundedAtStripe(
            payment_id=payment.pk,
            payable_type=payable_type(payment),
            payable_id=payment.payable_id,
            refunds=reported,
        )
        return report(event, record)
