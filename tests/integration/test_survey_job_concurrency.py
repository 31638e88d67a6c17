"""Runs of the survey job that overlap (a slow hourly run, a manual `celery call`) on PostgreSQL."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from outbox.models import OutgoingMail
from surveys import services as surveys
from surveys.models import SurveyInvitation
from tests.factories import (
    EnrollmentFactory,
    ParticipantFactory,
    SessionFactory,
    default_survey_template,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

RUNS = 4
PEOPLE = 30


def test_overlapping_runs_invite_each_person_exactly_once():
    default_survey_template()  # transactional tests flush what the data migration seeded
    ended = timezone.now() - timedelta(days=2)
    session = SessionFactory.create(starts_at=ended - timedelta(hours=3), ends_at=ended)
    for _ in range(PEOPLE):
        ParticipantFactory.create(enrollment=EnrollmentFactory.create(session=session))
    start = threading.Barrier(RUNS)

    def run() -> int:
        try:
            start.wait(timeout=10)
            return surveys.surveys_send_due().invited
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=RUNS) as pool:
        invited = [future.result() for future in [pool.submit(run) for _ in range(RUNS)]]

    assert sum(invited) == PEOPLE
    assert SurveyInvitation.objects.count() == PEOPLE
    assert OutgoingMail.objects.filter(kind="survey_invitation").count() == PEOPLE
