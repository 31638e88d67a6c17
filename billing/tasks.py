"""Celery tasks of the billing app: small, take ids, call one service."""

from celery import shared_task

from billing.services import invoices, payments, refunds, stripe_events


@shared_task(name="billing.process_stripe_event")
def process_stripe_event(event_id: int) -> str:
    return stripe_events.stripe_event_process(event_id=event_id)


@shared_task(name="billing.reconcile_payments")
def reconcile_payments() -> dict[str, int]:
    return stripe_events.payments_reconcile()


@shared_task(name="billing.submit_refund")
def submit_refund(refund_id: int) -> None:
    refunds.refund_submit(refund_id=refund_id)


@shared_task(name="billing.cancel_payment")
def cancel_payment(payment_id: int) -> None:
    payments.payment_cancel_at_stripe(payment_id=payment_id)


@shared_task(name="billing.send_invoice_reminders")
def send_invoice_reminders() -> dict[str, int]:
    return invoices.invoices_remind()
