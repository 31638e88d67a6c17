"""DESIGN.md's jobs table: every task exists under exactly its name, periodic ones on beat."""

import pytest
from celery.schedules import crontab
from django.conf import settings

from config.celery import app as celery_app

JOBS = {
    "enrollments.dispatch_outbox": 60.0,
    "enrollments.expire_holds": 60.0,
    "enrollments.send_reminders": 3600.0,
    "enrollments.send_followup_surveys": 3600.0,
    "enrollments.purge_expired_personal_data": crontab(hour=3, minute=17),  # daily
    "billing.process_stripe_event": None,  # on webhook
    "billing.reconcile_payments": 3600.0,
}


@pytest.mark.parametrize(("name", "every"), JOBS.items())
def test_each_job_is_registered_and_scheduled(name, every):
    celery_app.loader.import_default_modules()

    assert name in celery_app.tasks
    schedules = {
        entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
    assert schedules.get(name) == every


@pytest.mark.parametrize(
    ("task_name", "queue"),
    [
        ("enrollments.dispatch_outbox", "mail"),
        ("enrollments.send_reminders", "mail"),
        ("enrollments.send_followup_surveys", "mail"),
        ("billing.process_stripe_event", "payments"),
        ("billing.reconcile_payments", "payments"),
        ("billing.submit_refund", "payments"),
        ("billing.cancel_payment", "payments"),
        ("enrollments.expire_holds", "celery"),
        ("enrollments.purge_expired_personal_data", "celery"),
        ("integrations.deliver_webhooks", "webhooks"),
        ("certificates.issue_due", "celery"),
        ("surveys.send_organization_reports", "celery"),
    ],
)
def test_each_job_goes_to_its_queue(task_name, queue):
    # Mail cannot hold up payments: a survey fan-out fills "mail", never "payments".
    assert celery_app.amqp.router.route({}, task_name)["queue"].name == queue


def test_a_worker_started_plainly_consumes_every_queue():
    assert {queue.name for queue in celery_app.amqp.queues.values()} == {
        "celery",
        "mail",
        "payments",
        "webhooks",
    }
