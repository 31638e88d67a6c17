"""Celery tasks of the inquiries app: small, take ids, call one service."""

from celery import shared_task

from inquiries import services


# The name is the contract's (DESIGN.md, Jobs): it was born in enrollments and keeps it.
@shared_task(name="enrollments.purge_expired_personal_data")
def purge_expired_personal_data() -> None:
    """Anonymize personal data past its retention period (daily)."""
    services.inquiries_purge_expired()
