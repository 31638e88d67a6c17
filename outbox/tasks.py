"""Celery tasks of the outbox: small, take ids, call one service."""

from celery import shared_task

from config.celery import SWEEP_BUDGET_SECONDS, enqueue_on_commit
from outbox import services


# The name is the contract's (DESIGN.md, Jobs): it was born in enrollments and keeps it.
@shared_task(name="enrollments.dispatch_outbox")
def dispatch_outbox(mail_id: int | None = None, mail_ids: list[int] | None = None) -> None:
    """Send the emails a change queued (on its commit), or sweep every due row (beat, every
    minute). `mail_id` alone is how the tasks queued before batches named their email."""
    if mail_id is not None:
        mail_ids = [mail_id]
    if mail_ids:
        services.mail_send_each(mail_ids=mail_ids)
        return
    services.mail_release_abandoned()
    if services.mail_send_due(budget_seconds=SWEEP_BUDGET_SECONDS).unfinished:
        # A big fan-out goes on at once in the next sweep, not a minute later by beat.
        enqueue_on_commit("enrollments.dispatch_outbox")


@shared_task(name="outbox.send_practice_digest")
def send_practice_digest() -> int:
    """The day's practice alerts in one email, when `PRACTICE_ALERTS=digest` (daily)."""
    return services.practice_digest_send()
