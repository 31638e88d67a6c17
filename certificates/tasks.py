"""Celery tasks of the certificates app: small, take ids, call one service."""

from celery import shared_task

from certificates import services
from config.celery import SWEEP_BUDGET_SECONDS, enqueue_on_commit


@shared_task(name="certificates.issue_due")
def issue_due() -> dict[str, int]:
    issued, unfinished = services.certificates_issue_due(budget_seconds=SWEEP_BUDGET_SECONDS)
    if unfinished:
        enqueue_on_commit("certificates.issue_due")  # the rest right after, not in an hour
    return {"issued": issued}
