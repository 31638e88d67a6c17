"""Forgetting people: the retention purge, and erasure on a person's request."""

from datetime import timedelta
from http import HTTPStatus
from typing import Any

import pytest
import time_machine
from celery.schedules import crontab
from django.conf import settings
from django.utils import timezone

from config.errors import Conflict
from enrollments.tasks import purge_expired_personal_data
from inquiries.models import Inquiry, InquiryNote, InquiryStatusChange
from inquiries.services import (
    inquiries_purge_expired,
    inquiry_add_note,
    inquiry_change_status,
    inquiry_erase_for_email,
    inquiry_submit,
)
from outbox.models import OutgoingMail
from tests.factories import InquiryFactory, OfferingFactory

pytestmark = pytest.mark.django_db

PERSONAL_FIELDS = ["name", "email", "phone", "organization", "preferred_dates", "message"]


def submitted(**overrides) -> Inquiry:
    """An inquiry as the form leaves it, with its two emails in the outbox."""
    arguments: dict[str, Any] = {
        "kind": Inquiry.Kind.TEAM_TRAINING,
        "name": "Ada Lovelace",
        "email": "ada@example.org",
        "phone": "+31 6 1234 5678",
        "organization": "Het Ziekenhuis",
        "team_size": 14,
        "offering": OfferingFactory.create(),
        "preferred_dates": "Spring",
        "message": "Our ward has had a very hard year.",
    } | overrides
    return inquiry_submit(**arguments)


def finish(inquiry: Inquiry, status: str, by) -> None:
    inquiry_change_status(inquiry=inquiry, to_status=status, by=by)


def assert_anonymized(inquiry: Inquiry) -> None:
    inquiry.refresh_from_db()
    assert inquiry.anonymized_at is not None
    assert all(getattr(inquiry, field) == "" for field in PERSONAL_FIELDS)
    assert not InquiryNote.objects.filter(inquiry=inquiry).exists()
    assert not OutgoingMail.objects.filter(related_id=inquiry.pk).exists()


def assert_untouched(inquiry: Inquiry) -> None:
    inquiry.refresh_from_db()
    assert inquiry.anonymized_at is None
    assert inquiry.name
    assert inquiry.email
    assert inquiry.message


@pytest.mark.parametrize("final", ["won", "lost", "closed"])
def test_a_finished_inquiry_is_anonymized_once_its_retention_period_has_passed(admin_user, final):
    retention = timedelta(days=settings.PERSONAL_DATA_RETENTION_DAYS)
    with time_machine.travel("2024-03-01 09:00Z", tick=False) as clock:
        inquiry = submitted()
        inquiry_add_note(inquiry=inquiry, author=admin_user, text="Spoke to Ada on the phone.")
        finish(inquiry, final, admin_user)
        finished_at = timezone.now()

        clock.move_to(finished_at + retention - timedelta(minutes=1))
        assert inquiries_purge_expired() == 0
        assert_untouched(inquiry)

        clock.move_to(finished_at + retention + timedelta(minutes=1))
        assert inquiries_purge_expired() == 1
        purged_at = timezone.now()

    assert_anonymized(inquiry)
    # What stays is what statistics need, and nothing that tells who wrote.
    assert inquiry.anonymized_at == purged_at
    assert (inquiry.kind, inquiry.status, inquiry.team_size) == ("team_training", final, 14)
    assert inquiry.offering is not None
    assert inquiry.created_at.isoformat() == "2024-03-01T09:00:00+00:00"
    assert [c.to_status for c in InquiryStatusChange.objects.filter(inquiry=inquiry)] == [
        "new",
        final,
    ]


def test_the_retention_period_runs_from_when_the_inquiry_was_finished(admin_user):
    with time_machine.travel("2024-03-01 09:00Z", tick=False) as clock:
        inquiry = submitted()
        clock.shift(timedelta(days=settings.PERSONAL_DATA_RETENTION_DAYS + 10))
        finish(inquiry, "closed", admin_user)  # old, but only just finished

        assert inquiries_purge_expired() == 0

    assert_untouched(inquiry)


@pytest.mark.parametrize("open_status", ["new", "contacted", "proposal_sent"])
def test_an_open_inquiry_nobody_touched_is_purged_too_and_closed(admin_user, open_status):
    # DESIGN.md invariant 8: whatever its status, from its last change.
    with time_machine.travel("2020-01-01 09:00Z", tick=False) as clock:
        inquiry = submitted()
        if open_status != "new":
            finish(inquiry, open_status, admin_user)
        clock.shift(timedelta(days=settings.PERSONAL_DATA_RETENTION_DAYS + 1))

        assert inquiries_purge_expired() == 1

    assert_anonymized(inquiry)
    inquiry.refresh_from_db()
    assert inquiry.status == Inquiry.Status.CLOSED  # nobody can answer it any more
    closing = inquiry.status_changes.last()
    assert closing is not None
    assert (closing.to_status, closing.by) == (Inquiry.Status.CLOSED, None)


def test_a_note_is_a_change_the_retention_period_runs_from(admin_user):
    with time_machine.travel("2024-03-01 09:00Z", tick=False) as clock:
        inquiry = submitted()
        clock.shift(timedelta(days=settings.PERSONAL_DATA_RETENTION_DAYS - 10))
        inquiry_add_note(inquiry=inquiry, author=admin_user, text="Called; she'll write back.")
        clock.shift(timedelta(days=20))  # past retention from receipt, not from the note

        assert inquiries_purge_expired() == 0

    assert_untouched(inquiry)


def test_the_purge_leaves_other_peoples_emails_and_runs_once(admin_user):
    with time_machine.travel("2024-03-01 09:00Z", tick=False) as clock:
        old = submitted()
        finish(old, "closed", admin_user)
        clock.shift(timedelta(days=settings.PERSONAL_DATA_RETENTION_DAYS + 1))
        recent = submitted(email="grace@example.org", name="Grace Hopper")

        assert inquiries_purge_expired() == 1
        assert inquiries_purge_expired() == 0

    assert_anonymized(old)
    assert_untouched(recent)
    assert OutgoingMail.objects.filter(related_id=recent.pk).count() == 2


def test_the_daily_task_runs_the_purge(admin_user, settings):
    settings.PERSONAL_DATA_RETENTION_DAYS = 30
    with time_machine.travel("2024-03-01 09:00Z", tick=False) as clock:
        inquiry = submitted()
        finish(inquiry, "lost", admin_user)
        clock.shift(timedelta(days=31))

        purge_expired_personal_data()

    assert_anonymized(inquiry)


def test_beat_runs_the_purge_every_day():
    [entry] = [
        entry
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "enrollments.purge_expired_personal_data"
    ]
    schedule = entry["schedule"]
    assert isinstance(schedule, crontab)
    assert schedule.hour == {3}
    assert schedule.day_of_week == set(range(7))


def test_erasing_forgets_everything_one_person_told_us(admin_user):
    with time_machine.travel("2025-06-01 12:00Z", tick=False):
        first = submitted()
        second = submitted(kind=Inquiry.Kind.GENERAL, email="ADA@Example.org", organization="")
        finish(second, "won", admin_user)
        inquiry_add_note(inquiry=first, author=admin_user, text="Ada asked to be forgotten.")
        someone_else = submitted(email="grace@example.org", name="Grace Hopper")

        assert inquiry_erase_for_email(email="Ada@example.org ", by=admin_user) == 2
        erased_at = timezone.now()

    for inquiry in (first, second):
        assert_anonymized(inquiry)
        assert inquiry.anonymized_at == erased_at
    assert_untouched(someone_else)
    assert OutgoingMail.objects.filter(related_id=someone_else.pk).count() == 2
    # The open one is closed, since no one can answer it any more; the won one stays won.
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("closed", "won")
    last = first.status_changes.last()
    assert last is not None
    assert (last.from_status, last.to_status, last.by) == ("new", "closed", admin_user)


def test_erasing_an_unknown_address_changes_nothing(admin_user):
    inquiry = submitted()

    assert inquiry_erase_for_email(email="nobody@example.org", by=admin_user) == 0

    assert_untouched(inquiry)


def test_an_erased_inquiry_takes_no_new_notes(admin_user):
    inquiry = submitted()
    inquiry_erase_for_email(email=inquiry.email, by=admin_user)

    with pytest.raises(Conflict):
        inquiry_add_note(inquiry=inquiry, author=admin_user, text="One more thing about Ada.")


LIST = "/admin/inquiries/inquiry/"


def test_the_admin_asks_before_erasing_then_erases_everyone_selected(admin_client):
    with time_machine.travel("2025-06-01 12:00Z", tick=False):
        selected = submitted()
        same_person = submitted(kind=Inquiry.Kind.GENERAL, email="ada@EXAMPLE.org")
        other = InquiryFactory.create(email="grace@example.org", name="Grace Hopper")
        form = {"action": "erase_people", "_selected_action": [selected.pk]}

        confirmation = admin_client.post(LIST, form)

        assert confirmation.status_code == HTTPStatus.OK
        page = confirmation.content.decode()
        assert "ada@example.org" in page
        assert "<li>inquiries: 2</li>" in page  # the same person's other inquiry too
        assert_untouched(selected)  # nothing happens before the answer

        done = admin_client.post(LIST, form | {"confirmed": "yes"}, follow=True)

    assert done.status_code == HTTPStatus.OK
    assert "of 1 person(s), everywhere." in done.content.decode()
    assert_anonymized(selected)
    assert_anonymized(same_person)
    assert_untouched(other)


def test_erasing_needs_the_erase_permission(client):
    from django.contrib.auth.models import Permission, User

    inquiry = submitted()
    staff = User.objects.create_user("helper", password="x", is_staff=True)
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_inquiry", "delete_inquiry"])
    )
    client.force_login(staff)

    client.post(
        LIST,
        {"action": "erase_people", "_selected_action": [inquiry.pk], "confirmed": "yes"},
    )

    assert_untouched(inquiry)


def test_an_erased_inquiry_still_opens_in_the_admin(admin_client, admin_user):
    inquiry = submitted()
    inquiry_erase_for_email(email=inquiry.email, by=admin_user)

    assert admin_client.get(f"{LIST}{inquiry.pk}/change/").status_code == HTTPStatus.OK
    assert "(erased)" in admin_client.get(LIST).content.decode()
