"""Runs of the certificate job that meet (the hourly one and one queued again after its
budget ran out), on PostgreSQL: they share the work, and each participant gets one
certificate and one email."""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from certificates.models import Certificate
from certificates.services import certificates_issue_due
from outbox.models import OutgoingMail
from tests.certificates.test_certificates import attendee, ended_session

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PARTICIPANTS = 24
RUNS = 3


def test_runs_at_once_share_the_work_and_issue_each_certificate_once():
    session = ended_session()
    people = [attendee(session) for _ in range(PARTICIPANTS)]
    start = threading.Barrier(RUNS)

    def run() -> int:
        try:
            start.wait(timeout=10)
            issued, unfinished = certificates_issue_due(budget_seconds=60)
            assert not unfinished
            return issued
        finally:
            connection.close()

    with ThreadPoolExecutor(RUNS) as pool:
        issued = list(pool.map(lambda _: run(), range(RUNS)))

    assert sum(issued) == PARTICIPANTS
    assert min(issued) > 0  # each run drew some: they did not wait on one another's rows
    each = Counter(Certificate.objects.values_list("participant_id", flat=True))
    assert sorted(each) == sorted(p.pk for p in people)
    assert set(each.values()) == {1}
    mailed = Counter(
        OutgoingMail.objects.filter(kind="certificate_issued").values_list("to", flat=True)
    )
    assert set(mailed.values()) == {1}
    assert len(mailed) == PARTICIPANTS
