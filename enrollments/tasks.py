"""Celery tasks of the enrollments app: small, take ids, call one service."""

from celery import shared_task

from config import privacy
from enrollments.services import holds, reminders


@shared_task(name="enrollments.expire_holds")
def expire_holds() -> int:
    return holds.holds_expire()


@shared_task(name="enrollments.send_reminders")
def send_reminders() -> int:
    return reminders.reminders_send_due()


@shared_task(name="enrollments.purge_expired_personal_data")
def purge_expired_personal_data() -> dict[str, int]:
    """Anonymize every kind of personal data past its retention period (daily)."""
    return privacy.purge_all()
