"""Celery tasks of the billing app: small, take ids, call one service."""

from celery import shared_task

from billing import services


@shared_task(name="billing.process_stripe_event")
def process_stripe_event(event_id: int) -> str:
    return services.stripe_event_process(event_id=event_id)


@shared_task(name="billing.reconcile_payments")
def reconcile_payments() -> dict[str, int]:
    return services.payments_reconcile()


@shared_task(name="billing.submit_refund")
def submit_refund(refund_id: int) -> None:
    services.refund_submit(refund_id=refund_id)


@shared_task(name="billing.cancel_payment")
def cancel_payment(payment_id: int) -> None:
    services.payment_cancel_at_stripe(payment_id=payment_id)
