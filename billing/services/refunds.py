"""Refunds: recorded inside the change that gives the money back, sent to Stripe after commit.

A refund of a payment an invoice holds is a credit note on that invoice, in the same change."""

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

import stripe
from django.db import transaction
from django.db.models import Model, Sum
from django.utils import timezone

from billing.events import RefundedAtStripe, RefundFailed, StripeRefund
from billing.models import Payment, Refund
from billing.selectors import payable_type, payments_of
from billing.services.invoices import credit_for_refund
from billing.services.payments import report
from billing.stripe_client import PaymentUnavailable, payable_metadata, stripe_client
from config import events
from config.celery import enqueue_on_commit
from config.money import format_amount
from outbox.services import alert_practice

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
        credit_for_refund(refund=refund)
        refunds.append(refund)
        remaining -= share
        if remaining == 0:
            break
    if refunds and created_by is None and reason in AUTOMATIC:
        _tell_of_automatic(refunds, reason)
    return refunds


# Refunds Regard starts by itself, which the practice hears of. Those staff start (from a
# booking, or by cancelling a session) it knows of already.
AUTOMATIC = frozenset(
    {
        Refund.Reason.CANCELLATION,
        Refund.Reason.LATE_PAYMENT,
        Refund.Reason.DUPLICATE,
        Refund.Reason.INVOICE_CORRECTED,
    }
)


def _tell_of_automatic(refunds: list[Refund], reason: Refund.Reason) -> None:
    first = refunds[0]
    total = sum(refund.amount_cents for refund in refunds)
    amount = f"{format_amount(total, first.currency)} {first.currency}"
    alert_practice(
        kind="refund_started",
        text=(
            f"An automatic refund of {amount} for {first.payment.payable_reference} is on its "
            f"way ({Refund.Reason(reason).label.lower()})."
        ),
        related=first,
    )


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
                    "metadata": {
                        **payable_metadata(payment.payable_type.model, payment.payable_reference),
                        # So that Stripe's word on it finds this row, even should this
                        # answer be lost (charge.refunded, charge.refund.updated).
                        OUR_REFUND: str(refund.pk),
                    },
                },
            ),
            options={"idempotency_key": f"refund-{refund.pk}"},
        )
    except (stripe.StripeError, PaymentUnavailable) as error:
        Refund.objects.filter(pk=refund.pk).update(last_error=str(error)[:500])
        logger.warning("stripe: refund %s not sent yet: %s", refund.pk, type(error).__name__)
        refund.refresh_from_db()
        return refund
    with transaction.atomic():
        _record(
            refund,
            StripeRefund(
                stripe_refund_id=created.id,
                amount_cents=refund.amount_cents,
                status=str(created.status),
            ),
        )
    refund.refresh_from_db()
    return refund


OUR_REFUND = "regard_refund_id"


def stripe_refund(obj: dict[str, Any]) -> StripeRefund:
    """A Stripe refund object, as billing keeps it."""
    ours = str((obj.get("metadata") or {}).get(OUR_REFUND) or "")
    return StripeRefund(
        stripe_refund_id=str(obj["id"]),
        amount_cents=int(obj.get("amount") or 0),
        status=str(obj.get("status") or ""),
        our_refund_id=int(ours) if ours.isdigit() else None,
    )


def _record(refund: Refund, reported: StripeRefund) -> None:
    """Inside a transaction: what Stripe says of one of our refunds, once."""
    # Before refunds carried our id, Stripe's word on one whose answer was lost made a
    # second row: it is this refund, told twice (and the unique id would refuse ours).
    Refund.objects.filter(stripe_refund_id=reported.stripe_refund_id).exclude(pk=refund.pk).delete()
    if reported.failed:
        if refund.status != Refund.Status.FAILED:
            Refund.objects.filter(pk=refund.pk).update(
                stripe_refund_id=reported.stripe_refund_id,
                status=Refund.Status.FAILED,
                succeeded_at=None,
                last_error=f"Stripe says {reported.status}",
            )
            _tell_of_failure(refund)
        return
    if refund.status == Refund.Status.PENDING:
        # Stripe's "pending" is a refund on its way: the money is promised back.
        Refund.objects.filter(pk=refund.pk, status=Refund.Status.PENDING).update(
            stripe_refund_id=reported.stripe_refund_id,
            status=Refund.Status.SUCCEEDED,
            succeeded_at=timezone.now(),
            last_error="",
        )


def _tell_of_failure(refund: Refund) -> None:
    payment = refund.payment
    amount = f"{format_amount(refund.amount_cents, refund.currency)} {refund.currency}"
    alert_practice(
        kind="refund_failed",
        text=(
            f"A refund of {amount} for {payment.payable_reference} failed at Stripe "
            f"(refund {refund.pk}). The person has been told it is being looked into; "
            "please refund them another way, or try again from the admin."
        ),
        related=refund,
        once=True,
    )
    events.publish(
        RefundFailed(
            payment_id=payment.pk,
            payable_type=payable_type(payment),
            payable_id=payment.payable_id,
            refund_id=refund.pk,
            amount_cents=refund.amount_cents,
        )
    )


def refunds_record_from_stripe(
    *, payment_id: int, refunds: Iterable[StripeRefund], now: datetime | None = None
) -> int:
    """Record what Stripe lists: our own refunds found by their id (even one whose answer
    was lost), new ones made in its dashboard, failures. Returns how many were new."""
    now = now or timezone.now()
    payment = Payment.objects.get(pk=payment_id)
    ours = {refund.pk: refund for refund in payment.refunds.all()}
    by_stripe_id = {r.stripe_refund_id: r for r in ours.values() if r.stripe_refund_id}
    added = 0
    for reported in refunds:
        refund = by_stripe_id.get(reported.stripe_refund_id) or (
            ours.get(reported.our_refund_id) if reported.our_refund_id else None
        )
        if refund is not None:
            _record(refund, reported)
            continue
        if reported.failed:
            continue  # a dashboard refund that failed: nothing was given back
        refund = Refund.objects.create(
            payment=payment,
            amount_cents=reported.amount_cents,
            currency=payment.currency,
            reason=Refund.Reason.STRIPE_DASHBOARD,
            stripe_refund_id=reported.stripe_refund_id,
            status=Refund.Status.SUCCEEDED,
            succeeded_at=now,
        )
        credit_for_refund(refund=refund)
        added += 1
    return added


def refund_updated(*, obj: dict[str, Any]) -> str:
    """Stripe's later word on one refund (`charge.refund.updated`): a failure is told."""
    reported = stripe_refund(obj)
    found = Refund.objects.filter(stripe_refund_id=reported.stripe_refund_id).first()
    if found is None and reported.our_refund_id is not None:
        found = Refund.objects.filter(pk=reported.our_refund_id).first()
    if found is None:
        return "ignored: not a refund of ours"
    with transaction.atomic():
        refund = Refund.objects.select_for_update().select_related("payment").get(pk=found.pk)
        before = refund.status
        _record(refund, reported)
        refund.refresh_from_db()
    if refund.status == before:
        return "ignored: nothing new"
    return f"refund {refund.status}"


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
