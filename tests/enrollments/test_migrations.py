"""Data migrations of bookings, walked from the schema before them with rows in it."""

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader

from enrollments.models import Participant
from tests.factories import EnrollmentFactory


def migrate(targets) -> None:
    MigrationExecutor(connection).migrate(targets)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_old_admin_log_entries_lose_the_names_they_were_written_with(admin_user):
    booking = EnrollmentFactory.create(name="Ada Lovelace", reference="ENR-LOG234")
    migrate([("enrollments", "0010_audit_trail")])
    try:
        loader = MigrationLoader(connection)
        apps = loader.project_state(list(loader.applied_migrations)).apps
        kind = apps.get_model("contenttypes", "ContentType").objects.get(
            app_label="enrollments", model="enrollment"
        )
        apps.get_model("admin", "LogEntry").objects.create(
            user_id=admin_user.pk,
            content_type=kind,
            object_id=str(booking.pk),
            object_repr="ENR-LOG234 — Ada Lovelace (1 seat(s), confirmed)",
            action_flag=CHANGE,
            change_message="[]",
        )
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    assert LogEntry.objects.get().object_repr == "ENR-LOG234 (1 seat(s), confirmed)"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_attendance_kept_as_yes_or_no_becomes_present_or_absent():
    booking = EnrollmentFactory.create()
    migrate([("enrollments", "0014_discount_codes")])
    try:
        loader = MigrationLoader(connection)
        apps = loader.project_state(list(loader.applied_migrations)).apps
        participants = apps.get_model("enrollments", "Participant").objects
        for email, attended in [("came@example.org", True), ("away@example.org", False)]:
            participants.create(enrollment_id=booking.pk, name="N", email=email, attended=attended)
        participants.create(enrollment_id=booking.pk, name="N", email="not@example.org")
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    kept = dict(Participant.objects.values_list("email", "attendance"))
    assert kept == {
        "came@example.org": "present",
        "away@example.org": "absent",
        "not@example.org": "",
    }
