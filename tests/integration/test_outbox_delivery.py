"""Outbox delivery through real parts: a Celery worker on Redis and an SMTP server on loopback.

DESIGN.md invariant 4: a worker crash or a broker outage delays an email, never loses it.
"""

import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import time_machine
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from config.celery import app as celery_app
from outbox import services as mail
from outbox.models import OutgoingMail
from outbox.tasks import dispatch_outbox
from surveys.tasks import send_followup_surveys
from tests.conftest import SmtpSink, free_port
from tests.factories import (
    EnrollmentFactory,
    ParticipantFactory,
    SessionFactory,
    default_survey_template,
)
from tests.stand_ins import wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.usefixtures("note_templates")]


def queue_committed_note(to: str) -> OutgoingMail:
    with transaction.atomic():
        row = mail.mail_queue(kind="note", to=to, context={"name": "Ada"})
    assert row is not None
    return row


def test_an_email_travels_from_commit_to_the_mail_server(celery_worker, smtp_sink):
    row = queue_committed_note("ada@example.org")

    wait_until(lambda: len(smtp_sink.messages) == 1)

    assert smtp_sink.messages[0]["To"] == "ada@example.org"
    wait_until(lambda: OutgoingMail.objects.get(id=row.id).status == OutgoingMail.Status.SENT)


class StallingSink(SmtpSink):
    """Takes the message, then keeps the sender waiting until released."""

    stall = True

    async def handle_DATA(self, server, session, envelope):
        import asyncio

        while self.stall:
            await asyncio.sleep(0.05)
        return await super().handle_DATA(server, session, envelope)


def _worker_process(database_name: str, extra_env: dict[str, str]) -> subprocess.Popen[bytes]:
    database = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database_name}"
        ),
        **extra_env,
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_send_does_not_lose_the_email(settings):
    from aiosmtpd.controller import Controller

    sink = StallingSink(host="127.0.0.1", port=free_port())
    controller = Controller(sink, hostname=sink.host, port=sink.port)
    controller.start()
    celery_app.control.purge()
    worker = _worker_process(
        settings.DATABASES["default"]["NAME"],
        {"EMAIL_URL": f"smtp://{sink.host}:{sink.port}", "DJANGO_DEBUG": "false"},
    )
    try:
        row = queue_committed_note("ada@example.org")
        # The worker has claimed the row and is in the middle of talking to the server.
        wait_until(lambda: OutgoingMail.objects.get(id=row.id).status == "sending", 60)
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        sink.stall = False
        assert OutgoingMail.objects.get(id=row.id).status == OutgoingMail.Status.SENDING

        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = sink.host, sink.port
        with time_machine.travel(timezone.now() + mail.SENDING_LEASE + timedelta(seconds=1)):
            dispatch_outbox()  # the minute sweep, once the lease has run out

        row.refresh_from_db()
        assert row.status == OutgoingMail.Status.SENT
        assert row.attempts == 2
        assert [m["To"] for m in sink.messages] == ["ada@example.org"]
    finally:
        if worker.poll() is None:
            worker.kill()
        controller.stop()


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_mail_waits_and_goes_out_when_it_returns(own_redis, smtp_sink):
    own_redis(False)

    row = queue_committed_note("ada@example.org")  # the on-commit kick finds no broker

    assert OutgoingMail.objects.get(id=row.id).status == OutgoingMail.Status.QUEUED
    own_redis(True)
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        dispatch_outbox.delay()  # what beat sends every minute
        wait_until(lambda: len(smtp_sink.messages) == 1)

    assert OutgoingMail.objects.get(id=row.id).status == OutgoingMail.Status.SENT


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_an_inquiry_is_taken_and_its_emails_follow(
    own_redis, smtp_sink, api, settings
):
    settings.PRACTICE_NOTIFY_EMAIL = "care@practice.example"
    own_redis(False)

    response = api.post(
        "/api/v1/inquiries/",
        {
            "kind": "personal_guidance",
            "name": "Ada",
            "email": "ada@example.org",
            "message": "I would like to talk about my work.",
            "consent": True,
        },
        format="json",
    )

    assert response.status_code == 201
    assert OutgoingMail.objects.filter(status=OutgoingMail.Status.QUEUED).count() == 2
    own_redis(True)
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        dispatch_outbox.delay()  # what beat sends every minute
        wait_until(lambda: len(smtp_sink.messages) == 2)

    assert sorted(m["To"] for m in smtp_sink.messages) == [
        "ada@example.org",
        "care@practice.example",
    ]


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_survey_invitations_wait_for_the_minute_sweep(own_redis, smtp_sink):
    default_survey_template()  # transactional tests flush what the data migration seeded
    ended = timezone.now() - timedelta(days=2)
    session = SessionFactory.create(starts_at=ended - timedelta(hours=3), ends_at=ended)
    people = [
        ParticipantFactory.create(enrollment=EnrollmentFactory.create(session=session))
        for _ in range(3)
    ]
    own_redis(False)

    assert send_followup_surveys()["invited"] == 3  # its kick for the sweep finds no broker

    assert OutgoingMail.objects.filter(status=OutgoingMail.Status.QUEUED).count() == 3
    own_redis(True)
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        dispatch_outbox.delay()  # what beat sends every minute
        wait_until(lambda: len(smtp_sink.messages) == 3)

    assert sorted(m["To"] for m in smtp_sink.messages) == sorted(p.email for p in people)


@pytest.mark.django_db(transaction=True)
def test_racing_sweeps_send_every_email_once(smtp_sink):
    emails, sweeps = 120, 3
    for n in range(emails):
        mail.mail_queue(
            kind="note", to=f"person{n}@example.org", context={"name": "Ada"}, kick=False
        )
    start = threading.Barrier(sweeps)

    def sweep() -> int:
        try:
            start.wait(timeout=10)
            return mail.mail_send_due(budget_seconds=60).tried
        finally:
            connection.close()

    with ThreadPoolExecutor(sweeps) as pool:
        tried = list(pool.map(lambda _: sweep(), range(sweeps)))

    sent_to = Counter(message["To"] for message in smtp_sink.messages)
    assert len(sent_to) == emails
    assert set(sent_to.values()) == {1}
    assert sum(tried) >= emails  # rows another sweep had are counted but not sent
    assert set(OutgoingMail.objects.values_list("status", flat=True)) == {OutgoingMail.Status.SENT}
