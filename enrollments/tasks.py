"""Celery tasks of the enrollments app: small, take ids, call one service."""

from celery import shared_task

from config.celery import enqueue_on_commit
from enrollments.services import enrollments, inquiries, mail, surveys

# A sweep stops taking new rows after this, well inside the task's soft time limit.
SWEEP_BUDGET_SECONDS = 90


@shared_task(name="enrollments.dispatch_outbox")
def dispatch_outbox(mail_id: int | None = None) -> None:
    """Send one email (queued on commit), or sweep every due row (beat, every minute)."""
    if mail_id is not None:
        mail.mail_send(mail_id=mail_id)
        return
    mail.mail_release_abandoned()
    if mail.mail_send_due(budget_seconds=SWEEP_BUDGET_SECONDS).unfinished:
        # A big fan-out goes on at once in the next sweep, not a minute later by beat.
        enqueue_on_commit("enrollments.dispatch_outbox")


@shared_task(name="enrollments.expire_holds")
def expire_holds() -> int:
    return enrollments.holds_expire()


@shared_task(name="enrollments.send_reminders")
def send_reminders() -> int:
    return enrollments.reminders_send_due()


@shared_task(name="enrollments.purge_expired_personal_data")
def purge_expired_personal_data() -> None:
    """Anonymize personal data past its retention period (daily)."""
    inquiries.inquiries_purge_expired()


@shared_task(name="enrollments.send_followup_surveys")
def send_followup_surveys() -> dict[str, int]:
    sent = surveys.surveys_send_due(budget_seconds=SWEEP_BUDGET_SECONDS)
    if sent.unfinished:
        # A big session is finished by runs right after this one, not an hour later by beat.
        enqueue_on_commit("enrollments.send_followup_surveys")
    return {"invited": sent.invited, "reminded": sent.reminded}
