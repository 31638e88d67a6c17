"""Data migrations of bookings, walked from the schema before them with rows in it."""

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader

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
