"""Celery tasks of the organizations app: small, take ids, call one service."""

from celery import shared_task

from organizations import services


@shared_task(name="organizations.expire_proposals")
def expire_proposals() -> int:
    return services.proposals_expire()
