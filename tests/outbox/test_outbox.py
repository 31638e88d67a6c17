import re
import smtplib
from datetime import timedelta
from http import HTTPStatus

import pytest
import time_machine
from django.conf import settings
from django.core import mail as django_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from outbox import services as mail
from outbox import tasks
from outbox.models import OutgoingMail
from outbox.tasks import dispatch_outbox
from outbox.templatetags.email_html import own_links
from tests.conftest import DEAD_BROKER

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("note_templates")]


def queue_note(**overrides) -> OutgoingMail:
    arguments = {"kind": "note", "to": "ada@example.org", "context": {"name": "Ada"}} | overrides
    queued = mail.mail_queue(**arguments)
    assert queued is not None
    return queued


def test_queue_renders_the_email_into_a_row():
    row = queue_note(
        attachments=[mail.Attachment("session.ics", "text/calendar", "BEGIN:VCALENDAR")]
    )

    row.refresh_from_db()
    assert row.status == OutgoingMail.Status.QUEUED
    assert row.subject == "A note for Ada"
    assert row.body_text.startswith("Dear Ada,")
    assert "http://localhost:8000/enrollments/abc/" in row.body_text
    assert '<a href="http://localhost:8000/enrollments/abc/"' in row.body_html
    assert row.attachments == [
        {"filename": "session.ics", "content_type": "text/calendar", "content": "BEGIN:VCALENDAR"}
    ]


def test_queue_dispatches_only_after_commit(django_capture_on_commit_callbacks, monkeypatch):
    sent: list[list[int]] = []
    monkeypatch.setattr(
        dispatch_outbox, "apply_async", lambda kwargs, **options: sent.append(kwargs["mail_ids"])
    )

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        row = queue_note()
        assert sent == []

    assert len(callbacks) == 1
    assert sent == [[row.id]]


def test_the_emails_of_one_change_go_in_one_task(django_capture_on_commit_callbacks, monkeypatch):
    sent: list[list[int]] = []
    monkeypatch.setattr(
        dispatch_outbox, "apply_async", lambda kwargs, **options: sent.append(kwargs["mail_ids"])
    )

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        rows = [queue_note(), queue_note(to="grace@example.org"), queue_note(to="kat@example.org")]

    assert len(callbacks) == 1
    assert sent == [[row.id for row in rows]]


def test_a_savepoint_rolled_back_takes_its_task_along(
    django_capture_on_commit_callbacks, monkeypatch
):
    sent: list[list[int]] = []
    monkeypatch.setattr(
        dispatch_outbox, "apply_async", lambda kwargs, **options: sent.append(kwargs["mail_ids"])
    )

    def undone_change() -> None:
        with transaction.atomic():
            queue_note()
            raise RuntimeError("the change is undone, and its email with it")

    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError):
            undone_change()
        kept = queue_note(to="grace@example.org")

    assert sent == [[kept.id]]
    assert list(OutgoingMail.objects.values_list("id", flat=True)) == [kept.id]


def test_one_task_sends_its_emails_over_one_connection(smtp_sink):
    rows = [queue_note(), queue_note(to="grace@example.org")]

    dispatch_outbox(mail_ids=[*(row.id for row in rows), 404_404])  # one never committed

    assert sorted(m["To"] for m in smtp_sink.messages) == ["ada@example.org", "grace@example.org"]
    assert len(set(smtp_sink.peers)) == 1
    assert set(OutgoingMail.objects.values_list("status", flat=True)) == {"sent"}


def test_queue_survives_a_broker_that_does_not_answer(
    django_capture_on_commit_callbacks, broker_at
):
    broker_at(DEAD_BROKER)

    with django_capture_on_commit_callbacks(execute=True):
        row = queue_note()

    row.refresh_from_db()
    assert row.status == OutgoingMail.Status.QUEUED


def test_a_dedupe_key_queues_the_email_once():
    queue_note(dedupe_key="reminder-1")

    assert (
        mail.mail_queue(kind="note", to="x@example.org", context={}, dedupe_key="reminder-1")
        is None
    )
    assert OutgoingMail.objects.count() == 1


@pytest.mark.parametrize("name", ["Ada", 'Zoë & Łukasz <b>O\'Brien-"Ng"</b>', "⟦name⟧ itself"])
def test_an_email_merged_for_many_is_what_each_would_have_had_alone(name):
    [merged] = mail.mail_queue_merged(
        kind="note",
        context={"name": mail.merge_field("name")},
        mails=[mail.MergedMail(to="ada@example.org", values={"name": name}, dedupe_key="m-1")],
    )
    alone = queue_note(to="ada@example.org", context={"name": name})

    assert (merged.subject, merged.body_text, merged.body_html) == (
        alone.subject,
        alone.body_text,
        alone.body_html,
    )
    assert merged.status == OutgoingMail.Status.QUEUED
    assert OutgoingMail.objects.filter(dedupe_key="m-1").exists()


def test_a_merge_field_a_template_changes_is_refused():
    with pytest.raises(ValueError, match="merge field"):
        mail.mail_queue_merged(
            kind="note",
            context={"name": mail.merge_field("name").upper() + "x"},
            mails=[mail.MergedMail(to="ada@example.org", values={"name": "Ada"})],
        )
    assert not OutgoingMail.objects.exists()


def test_a_value_that_looks_like_another_field_is_left_as_it_is():
    [row] = mail.mail_queue_merged(
        kind="note",
        context={"name": mail.merge_field("name") + " " + mail.merge_field("other")},
        mails=[
            mail.MergedMail(
                to="ada@example.org", values={"name": "⟦other⟧", "other": "secret-token"}
            )
        ],
    )

    assert "Dear ⟦other⟧ secret-token," in row.body_text
    assert row.body_text.count("secret-token") == 1


def test_an_email_merged_without_merge_fields_is_sent_as_rendered():
    [row] = mail.mail_queue_merged(
        kind="note",
        context={"name": "Ada"},
        mails=[mail.MergedMail(to="ada@example.org", values={})],
    )

    assert row.body_text == queue_note(to="ada@example.org", context={"name": "Ada"}).body_text


def test_a_merged_email_without_a_value_for_a_field_has_it_empty():
    with_name, without = mail.mail_queue_merged(
        kind="note",
        context={"name": mail.merge_field("name")},
        mails=[
            mail.MergedMail(to="ada@example.org", values={"name": "Ada"}),
            mail.MergedMail(to="bo@example.org", values={}),
        ],
    )

    assert "Dear Ada," in with_name.body_text
    assert "Dear ," in without.body_text
    assert "⟦" not in without.body_text + without.body_html + without.subject


def test_merged_emails_leave_out_the_erased_and_refuse_a_used_key():
    queue_note(dedupe_key="m-2")
    merged = mail.mail_queue_merged(
        kind="note",
        context={"name": mail.merge_field("name")},
        mails=[
            mail.MergedMail(to="", values={"name": "Erased"}),
            mail.MergedMail(to="cy@example.org", values={"name": "Cy"}, dedupe_key="m-3"),
        ],
    )
    assert [row.to for row in merged] == ["cy@example.org"]
    with pytest.raises(IntegrityError), transaction.atomic():
        mail.mail_queue_merged(
            kind="note",
            context={"name": mail.merge_field("name")},
            mails=[mail.MergedMail(to="bea@example.org", values={"name": "Bea"}, dedupe_key="m-2")],
        )


def test_send_delivers_text_html_and_attachments(smtp_sink):
    row = queue_note(attachments=[mail.Attachment("session.ics", "text/calendar", "BEGIN:VCAL")])

    assert mail.mail_send(mail_id=row.id) == OutgoingMail.Status.SENT

    row.refresh_from_db()
    assert row.status == OutgoingMail.Status.SENT
    assert row.attempts == 1
    assert row.sent_at is not None
    [message] = smtp_sink.messages
    assert message["To"] == "ada@example.org"
    assert message["Subject"] == "A note for Ada"
    assert message.get_body(("plain",)).get_content().startswith("Dear Ada,")
    assert "<a href=" in message.get_body(("html",)).get_content()
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "session.ics"


def test_send_leaves_a_row_claimed_by_another_worker_alone(smtp_sink):
    row = queue_note()
    OutgoingMail.objects.filter(id=row.id).update(status=OutgoingMail.Status.SENDING)

    assert mail.mail_send(mail_id=row.id) is None
    assert smtp_sink.messages == []


def test_a_batch_marks_sent_what_the_server_took_and_leaves_the_rest_to_their_fate(smtp_sink):
    smtp_sink.refused.add("gone@example.org")
    taken = queue_note(to="ada@example.org", kick=False)
    refused = queue_note(to="gone@example.org", kick=False)
    elsewhere = queue_note(to="bea@example.org", kick=False)
    OutgoingMail.objects.filter(id=elsewhere.id).update(status=OutgoingMail.Status.SENDING)
    also_taken = queue_note(to="cy@example.org", kick=False)

    outcomes = mail.mail_send_batch(mail_ids=[taken.id, refused.id, elsewhere.id, also_taken.id])

    assert outcomes == {
        taken.id: OutgoingMail.Status.SENT,
        refused.id: OutgoingMail.Status.FAILED,
        also_taken.id: OutgoingMail.Status.SENT,
    }
    statuses = dict(OutgoingMail.objects.values_list("id", "status"))
    assert statuses[taken.id] == statuses[also_taken.id] == OutgoingMail.Status.SENT
    assert statuses[refused.id] == OutgoingMail.Status.FAILED
    assert statuses[elsewhere.id] == OutgoingMail.Status.SENDING  # the other worker's
    assert sorted(m["To"] for m in smtp_sink.messages) == ["ada@example.org", "cy@example.org"]
    assert OutgoingMail.objects.get(id=taken.id).attempts == 1


def test_a_mail_server_that_is_down_means_retry_later_with_backoff(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 1  # nothing listens there
    row = queue_note()

    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert mail.mail_send(mail_id=row.id) == OutgoingMail.Status.QUEUED
        row.refresh_from_db()
        assert row.attempts == 1
        assert row.next_attempt_at == timezone.now() + timedelta(minutes=1)
        assert "ConnectionRefusedError" in row.last_error

        assert mail.mail_send(mail_id=row.id) is None  # not due yet

        for attempt in range(2, mail.MAX_ATTEMPTS + 1):
            clock.shift(mail.retry_delay(attempt - 1))
            expected = (
                OutgoingMail.Status.FAILED
                if attempt == mail.MAX_ATTEMPTS
                else OutgoingMail.Status.QUEUED
            )
            assert mail.mail_send(mail_id=row.id) == expected

    row.refresh_from_db()
    assert row.status == OutgoingMail.Status.FAILED
    assert row.attempts == mail.MAX_ATTEMPTS


def test_a_refused_recipient_fails_at_once(smtp_sink):
    smtp_sink.refused.add("gone@example.org")
    row = queue_note(to="gone@example.org")

    assert mail.mail_send(mail_id=row.id) == OutgoingMail.Status.FAILED

    row.refresh_from_db()
    assert row.attempts == 1
    assert "SMTPRecipientsRefused" in row.last_error


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (smtplib.SMTPServerDisconnected("gone"), True),
        (ConnectionRefusedError(), True),
        (smtplib.SMTPResponseException(421, b"try later"), True),
        (smtplib.SMTPResponseException(554, b"rejected"), False),
        (smtplib.SMTPRecipientsRefused({"a@example.org": (450, b"busy")}), True),
        (smtplib.SMTPRecipientsRefused({"a@example.org": (550, b"unknown")}), False),
    ],
)
def test_which_errors_are_worth_retrying(error, transient):
    assert mail._is_transient(error) is transient


def test_sweep_sends_due_rows_and_rows_a_dead_worker_abandoned(smtp_sink):
    queue_note(to="due@example.org")
    later = queue_note(to="later@example.org")
    OutgoingMail.objects.filter(id=later.id).update(
        next_attempt_at=timezone.now() + timedelta(minutes=5)
    )
    abandoned = queue_note(to="abandoned@example.org")
    OutgoingMail.objects.filter(id=abandoned.id).update(
        status=OutgoingMail.Status.SENDING,
        attempts=1,
        claimed_at=timezone.now() - mail.SENDING_LEASE - timedelta(seconds=1),
    )
    still_sending = queue_note(to="busy@example.org")
    OutgoingMail.objects.filter(id=still_sending.id).update(
        status=OutgoingMail.Status.SENDING, claimed_at=timezone.now()
    )

    dispatch_outbox()

    assert sorted(m["To"] for m in smtp_sink.messages) == [
        "abandoned@example.org",
        "due@example.org",
    ]
    assert OutgoingMail.objects.get(id=later.id).status == OutgoingMail.Status.QUEUED
    assert OutgoingMail.objects.get(id=still_sending.id).status == OutgoingMail.Status.SENDING


def queue_unkicked_notes(count: int) -> list[OutgoingMail]:
    return [queue_note(to=f"person{n}@example.org", kick=False) for n in range(count)]


@pytest.mark.parametrize(
    ("per_connection", "hang_up", "connections"),
    [
        (None, "close", 1),  # one connection carries the whole sweep
        (2, "close", 3),  # the server hangs up after two messages...
        (2, "421", 3),  # ...or says it is closing the channel
    ],
)
def test_the_sweep_sends_every_row_once_over_as_few_connections_as_the_server_allows(
    smtp_sink, per_connection, hang_up, connections
):
    smtp_sink.per_connection, smtp_sink.hang_up = per_connection, hang_up
    rows = queue_unkicked_notes(5)

    dispatch_outbox()

    assert sorted(m["To"] for m in smtp_sink.messages) == sorted(row.to for row in rows)
    assert len(set(smtp_sink.peers)) == connections
    assert set(OutgoingMail.objects.values_list("status", "attempts")) == {
        (OutgoingMail.Status.SENT, 1)
    }


def test_a_row_refused_for_good_mid_sweep_fails_and_the_rest_still_go(smtp_sink):
    smtp_sink.refused.add("person1@example.org")
    first, refused, last = queue_unkicked_notes(3)

    dispatch_outbox()

    people = [m["To"] for m in smtp_sink.messages if m["To"] != settings.PRACTICE_NOTIFY_EMAIL]
    assert sorted(people) == [first.to, last.to]
    refused.refresh_from_db()
    assert (refused.status, refused.attempts) == (OutgoingMail.Status.FAILED, 1)
    assert "SMTPRecipientsRefused" in refused.last_error
    assert OutgoingMail.objects.filter(to__startswith="person", status="sent").count() == 2
    # The practice is told that one gave up, without the address (PRACTICE_ALERTS).
    [alert] = [m for m in smtp_sink.messages if m["To"] == settings.PRACTICE_NOTIFY_EMAIL]
    assert f"number {refused.pk}" in alert.get_body().get_content()
    assert refused.to not in alert.as_string()


def test_a_mail_server_that_is_down_during_a_sweep_means_each_row_retries_later(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 1  # nothing listens there
    queue_unkicked_notes(3)

    with time_machine.travel(timezone.now(), tick=False):
        dispatch_outbox()

        rows = OutgoingMail.objects.all()
        assert {(row.status, row.attempts) for row in rows} == {(OutgoingMail.Status.QUEUED, 1)}
        assert {row.next_attempt_at for row in rows} == {timezone.now() + timedelta(minutes=1)}
        assert all("ConnectionRefusedError" in row.last_error for row in rows)


def test_a_row_queued_without_a_kick_waits_for_the_sweep(
    django_capture_on_commit_callbacks, smtp_sink
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        [row] = queue_unkicked_notes(1)

    assert callbacks == []
    dispatch_outbox()  # beat's, every minute
    row.refresh_from_db()
    assert row.status == OutgoingMail.Status.SENT


def test_a_sweep_out_of_time_queues_the_next_until_nothing_is_due(
    monkeypatch, eager_tasks, django_capture_on_commit_callbacks, smtp_sink
):
    monkeypatch.setattr(tasks, "SWEEP_BUDGET_SECONDS", 0)  # one batch per sweep,
    monkeypatch.setattr(mail, "SEND_BATCH", 1)  # of one row
    rows = queue_unkicked_notes(3)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        dispatch_outbox()  # queues the second sweep, which queues the third

    assert len(callbacks) == 2  # the third sweep found nothing left and queued no fourth
    assert sorted(m["To"] for m in smtp_sink.messages) == sorted(row.to for row in rows)


def test_a_sweep_that_finishes_queues_no_other(django_capture_on_commit_callbacks, smtp_sink):
    queue_unkicked_notes(3)

    with django_capture_on_commit_callbacks() as callbacks:
        dispatch_outbox()

    assert callbacks == []
    assert len(smtp_sink.messages) == 3


def test_requeue_sends_a_failed_email_again(smtp_sink):
    row = queue_note()
    OutgoingMail.objects.filter(id=row.id).update(
        status=OutgoingMail.Status.FAILED, attempts=mail.MAX_ATTEMPTS, last_error="boom"
    )

    mail.mail_requeue(mail=row)
    dispatch_outbox(mail_id=row.id)

    row.refresh_from_db()
    assert row.status == OutgoingMail.Status.SENT
    assert row.attempts == 1
    assert len(smtp_sink.messages) == 1


def test_admin_lists_outgoing_mail_and_resends(admin_client):
    row = queue_note()
    OutgoingMail.objects.filter(id=row.id).update(status=OutgoingMail.Status.FAILED, attempts=6)

    assert admin_client.get("/admin/outbox/outgoingmail/").status_code == HTTPStatus.OK
    assert admin_client.get(f"/admin/outbox/outgoingmail/{row.id}/change/").status_code == 200
    admin_client.post(
        "/admin/outbox/outgoingmail/", {"action": "resend", "_selected_action": [row.id]}
    )

    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutgoingMail.Status.QUEUED, 0)


def _a_change_that_fails() -> None:
    with transaction.atomic():
        queue_note()
        raise RuntimeError("the change failed")


def test_nothing_is_sent_when_the_change_rolls_back(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        _a_change_that_fails()

    assert callbacks == []
    assert OutgoingMail.objects.count() == 0
    assert django_mail.outbox == []


def test_plain_text_is_not_html_escaped_and_the_html_is(smtp_sink):
    row = queue_note(context={"name": "O'Brien & <Partners>"})

    row.refresh_from_db()
    assert row.subject == "A note for O'Brien & <Partners>"
    assert row.body_text.startswith("Dear O'Brien & <Partners>,")
    assert "O&#x27;Brien &amp; &lt;Partners&gt;" in row.body_html


def test_the_html_links_only_regards_own_addresses(settings):
    settings.SITE_URL = "https://regard.test"
    typed = (
        "Booking.com, refund-desk.com/claim, https://evil.test/x, www.evil.test, "
        "https://regard.test.evil.test/claim and https://regard.testing/ are only text"
    )
    row = queue_note(context={"name": typed})

    row.refresh_from_db()
    assert re.findall(r'<a href="([^"]*)">', row.body_html) == [
        "https://regard.test/enrollments/abc/"
    ]
    assert "refund-desk.com/claim" in row.body_html


def test_a_full_stop_after_an_own_link_stays_outside_it(settings):
    settings.SITE_URL = "https://regard.test"

    html = own_links("Your page: https://regard.test/b/x?a=1&b=2. See you!")

    assert html == (
        'Your page: <a href="https://regard.test/b/x?a=1&amp;b=2">'
        "https://regard.test/b/x?a=1&amp;b=2</a>. See you!"
    )
