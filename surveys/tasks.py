"""Celery tasks of the surveys app: small, take ids, call one service."""

from celery import shared_task

from config.celery import SWEEP_BUDGET_SECONDS, enqueue_on_commit
from surveys import services


# The name is the contract's (DESIGN.md, Jobs): it was born in enrollments and keeps it.
@shared_task(name="enrollments.send_followup_surveys")
def send_followup_surveys() -> dict[str, int]:
    sent = services.surveys_send_due(budget_seconds=SWEEP_BUDGET_SECONDS)
    if sent.unfinished:
        # A big session is finished by runs right after this one, not an hour later by beat.
        enqueue_on_commit("enrollments.send_followup_surveys")
    return {"invited": sent.invited, "reminded": sent.reminded}


@shared_task(name="surveys.send_organization_reports")
def send_organization_reports() -> dict[str, int]:
    return {"sessions": services.organization_reports_send_due()}
