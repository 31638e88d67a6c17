"""Runs of the certificate job that overlap (a slow hourly run, a manual `celery call`), on
PostgreSQL: each person gets one certificate, and one email."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from certificates.models import Certificate
from certificates.services import certificates_issue_due
from outbox.models import OutgoingMail
from tests.factories import EnrollmentFactory, ParticipantFactory, SessionFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

RUNS = 3
PEOPLE = 12


def test_overlapping_runs_certify_each_person_exactly_once():
    ended = timezone.now() - timedelta(days=1)
    session = SessionFactory.create(
        starts_at=ended - timedelta(hours=3),
        ends_at=ended,
        offering__ce_requires_evaluation=False,
    )
    for _ in range(PEOPLE):
        ParticipantFactory.create(
            enrollment=EnrollmentFactory.create(session=session), attendance="present"
        )
    start = threading.Barrier(RUNS)

    def run() -> int:
        try:
            start.wait(timeout=10)
            return certificates_issue_due()[0]
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=RUNS) as pool:
        issued = [future.result() for future in [pool.submit(run) for _ in range(RUNS)]]

    assert sum(issued) == PEOPLE
    assert Certificate.objects.count() == PEOPLE
    assert OutgoingMail.objects.filter(kind="certificate_issued").count() == PEOPLE
