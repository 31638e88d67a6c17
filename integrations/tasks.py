"""Celery tasks of the integrations app: small, take ids, call one service."""

from celery import shared_task

from config.celery import SWEEP_BUDGET_SECONDS, enqueue_on_commit
from integrations import webhooks


@shared_task(name="integrations.deliver_webhooks")
def deliver_webhooks() -> dict[str, int]:
    sweep = webhooks.webhooks_deliver_due(budget_seconds=SWEEP_BUDGET_SECONDS)
    if sweep.unfinished:
        enqueue_on_commit("integrations.deliver_webhooks")  # the rest right after
    return {"sent": sweep.sent, "delivered": sweep.delivered}
