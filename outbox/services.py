"""The outbox: emails are queued as rows with the change that owes them, then sent by workers.

DESIGN.md invariant 4: a worker crash or a broker outage delays an email but never
loses it, and it goes out twice only if a worker dies between the mail server
accepting it and the row being marked sent.
"""

import base64
import logging
import re
import smtplib
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import IntegrityError, models, transaction
from django.db.models import Count, F
from django.db.models.functions import Upper
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.html import escape
from django.views.decorators.debug import sensitive_variables

from config.celery import enqueue_batch_on_commit
from config.errors import TooMany
from outbox.models import OutgoingMail, PracticeAlert

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
# Longer than the task's hard time limit: a row still `sending` after this was abandoned.
SENDING_LEASE = timedelta(minutes=10)


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    content: str  # text, or with `base64` a binary file (a PDF) written as base64
    base64: bool = False


class TooManyEmails(TooMany):
    code = "too_many_emails"
    message = (
        "We've written to this address several times today already, so we can't take this "
        "request just now. Please try again tomorrow, or simply reply to one of our emails "
        "and we'll help you."
    )


def recipients_check(addresses: Iterable[str]) -> None:
    """Refuses (429) a public request that would send someone more emails in a day than
    `MAX_EMAILS_PER_RECIPIENT_PER_DAY`, before anything is stored: a form cannot be used to
    flood an address. Emails owed for what was done are never held back by it."""
    wanted = {address.strip().upper() for address in addresses if address}
    if not wanted:
        return
    written = (
        OutgoingMail.objects.annotate(address=Upper("to"))
        .filter(address__in=wanted, created_at__gte=timezone.now() - timedelta(days=1))
        .values("address")
        .annotate(count=Count("id"))
        .filter(count__gte=settings.MAX_EMAILS_PER_RECIPIENT_PER_DAY)
    )
    if written.exists():
        raise TooManyEmails()


def retry_delay(attempts: int) -> timedelta:
    """1, 4, 16, 64 minutes, then every four hours: a mail server gets time to recover."""
    return timedelta(minutes=min(4 ** (attempts - 1), 240))


# Recipients and rendered bodies are personal data: Django's error reports leave them out.
@sensitive_variables()
def mail_queue(
    *,
    kind: str,
    to: str,
    context: Mapping[str, Any],
    related: models.Model | None = None,
    attachments: Iterable[Attachment] = (),
    dedupe_key: str | None = None,
    kick: bool = True,
    language: str = "",
) -> OutgoingMail | None:
    """Render `emails/<kind>.*` into an outbox row and send it once the transaction commits.
    With `discreet` in the context the subject is `emails/discreet.subject.txt`, the same
    for every email about one person's appointment.
    It is written in `language`, the person's (their booking's or inquiry's), else the
    practice's own (LANGUAGE_CODE); lazy values in `context` (dates, amounts) follow it.

    With a `dedupe_key` already used, or no address (erased), nothing is queued and None is
    returned. With `kick=False` the row waits for a sweep: a job queueing many emails
    queues one sweep for them all (the minute sweep picks them up should that one be lost).
    """
    if not to:
        return None  # someone whose address was erased (on request, or past retention)
    if dedupe_key is not None and OutgoingMail.objects.filter(dedupe_key=dedupe_key).exists():
        return None  # the usual case for a periodic job; the unique key settles races
    subject, body_text, body_html = _rendered(kind, context, language)
    mail = OutgoingMail(
        kind=kind,
        to=to,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        # A text file as it always was stored; a binary one says it is base64.
        attachments=[
            {key: value for key, value in vars(attachment).items() if key != "base64" or value}
            for attachment in attachments
        ],
        related_type=ContentType.objects.get_for_model(related) if related else None,
        related_id=related.pk if related else None,
        dedupe_key=dedupe_key,
        next_attempt_at=timezone.now(),
    )
    if dedupe_key is None:
        mail.save()
    else:
        try:
            with transaction.atomic():
                mail.save()
        except IntegrityError:
            return None  # this email was owed once and is already in the outbox
    if kick:
        mail_send_on_commit(mail.pk)
    return mail


def _rendered(kind: str, context: Mapping[str, Any], language: str) -> tuple[str, str, str]:
    """Subject, text and HTML of `emails/<kind>.*`, in `language` (else the practice's)."""
    full_context = {
        "site_url": settings.SITE_URL,
        "practice_name": settings.PRACTICE_NAME,
        **context,
    }
    with translation.override(language or settings.LANGUAGE_CODE):
        # About personal guidance, the subject never says what it is about (DESIGN.md).
        subject_template = "discreet" if full_context.get("discreet") else kind
        subject = " ".join(
            render_to_string(
                f"emails/{subject_template}.subject.txt", full_context, using="text"
            ).split()
        )
        body_text = (
            render_to_string(f"emails/{kind}.txt", full_context, using="text").strip() + "\n"
        )
        body_html = render_to_string(
            "emails/base.html", {**full_context, "subject": subject, "body_text": body_text}
        )
    return subject, body_text, body_html


# --- The same email to many people ----------------------------------------------------------
#
# A job that writes to thousands renders their email once and puts each person's own values
# in: the template sees a placeholder per field (merge_field), which must come out of it as
# it went in (a filter that changes it is refused), and is then replaced by the person's
# value, escaped in the HTML part as the template would have escaped it.

_MERGE_OPEN, _MERGE_CLOSE = "\u27e6", "\u27e7"  # ⟦ ⟧: in no template, changed by no escaping


def merge_field(name: str) -> str:
    """The placeholder for a value each recipient of mail_queue_merged has their own of."""
    return f"{_MERGE_OPEN}{name}{_MERGE_CLOSE}"


@dataclass(frozen=True)
class MergedMail:
    to: str
    values: Mapping[str, str]  # every merge field's value for this recipient
    related: models.Model | None = None
    dedupe_key: str | None = None


@sensitive_variables()
def mail_queue_merged(
    *,
    kind: str,
    context: Mapping[str, Any],
    mails: Sequence[MergedMail],
    language: str = "",
) -> list[OutgoingMail]:
    """`emails/<kind>.*` rendered once for all of `mails` and written in one statement,
    each with its own values for the merge fields in `context`; inside the caller's
    transaction. The rows wait for a sweep (as with `kick=False`). A `dedupe_key` already
    used raises IntegrityError, for the caller to undo its transaction and queue one at a
    time. Recipients without an address (erased) are left out."""
    rendered = _rendered(kind, context, language)
    fields = {name for mail in mails for name in mail.values}
    for part in rendered:
        for name in fields:
            part = part.replace(merge_field(name), "")
        if _MERGE_OPEN in part or _MERGE_CLOSE in part:
            raise ValueError(f"emails/{kind}: a merge field was changed by its template.")
    # One pass over each part: a value that itself looks like a placeholder stays as it is.
    # Without fields there is nothing to put in (an empty pattern would match everywhere).
    placeholder = (
        re.compile("|".join(re.escape(merge_field(name)) for name in sorted(fields)))
        if fields
        else None
    )
    subject_of, text_of, html_of = rendered
    now = timezone.now()
    rows = []
    for mail in mails:
        if not mail.to:
            continue
        by_field = {merge_field(name): value for name, value in mail.values.items()}
        subject = _merged(placeholder, subject_of, by_field, lambda value: " ".join(value.split()))
        body_text = _merged(placeholder, text_of, by_field, str)
        body_html = _merged(placeholder, html_of, by_field, escape)
        rows.append(
            OutgoingMail(
                kind=kind,
                to=mail.to,
                subject=subject,
                body_text=body_text,
                body_html=body_html,
                attachments=[],
                related_type=(
                    ContentType.objects.get_for_model(mail.related) if mail.related else None
                ),
                related_id=mail.related.pk if mail.related else None,
                dedupe_key=mail.dedupe_key,
                next_attempt_at=now,
            )
        )
    return OutgoingMail.objects.bulk_create(rows)


def _merged(
    placeholder: re.Pattern[str] | None,
    part: str,
    by_field: Mapping[str, str],
    shown: Callable[[str], str],
) -> str:
    """`part` with each field's value put in (as a template puts in a variable it lacks,
    a field this recipient has no value for is left empty)."""
    if placeholder is None:
        return part
    return placeholder.sub(lambda found: shown(by_field.get(found.group(0), "")), part)


def mail_send_on_commit(mail_id: int) -> None:
    """Send the email once the transaction commits: with the others it queued, in one task
    over one connection to the mail server."""
    enqueue_batch_on_commit("enrollments.dispatch_outbox", key="mail_ids", item=mail_id)


# Rows claimed, sent and marked sent together: a worker that dies mid-batch leaves at most
# this many sent but not marked (invariant 4), to go again once their lease lapses.
SEND_BATCH = 20


def mail_send(
    *, mail_id: int, connection: BaseEmailBackend | None = None
) -> OutgoingMail.Status | None:
    """Claim one due row and hand it to the mail server; returns its new status, or None
    when it was not due (or another worker has it)."""
    return mail_send_batch(mail_ids=[mail_id], connection=connection).get(mail_id)


def mail_send_batch(
    *, mail_ids: Iterable[int], connection: BaseEmailBackend | None = None
) -> dict[int, OutgoingMail.Status]:
    """Claim those of these rows that are due in one statement, hand each to the mail
    server over `connection` (kept open; else one of its own), and mark the ones it took
    sent in one statement. Returns each claimed row's new status; rows another worker is
    sending, or that are not due, are passed over."""
    now = timezone.now()
    with transaction.atomic():
        mails = list(
            OutgoingMail.objects.select_for_update(skip_locked=True)
            .filter(
                id__in=list(mail_ids), status=OutgoingMail.Status.QUEUED, next_attempt_at__lte=now
            )
            .order_by("next_attempt_at", "id")
        )
        OutgoingMail.objects.filter(
            id__in=[mail.id for mail in mails], status=OutgoingMail.Status.QUEUED
        ).update(status=OutgoingMail.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    own = connection or get_connection()
    outcomes: dict[int, OutgoingMail.Status] = {}
    try:
        for mail in mails:
            mail.attempts += 1
            try:
                _send_over(own, _message(mail))
            except (smtplib.SMTPException, OSError) as error:
                outcomes[mail.id] = _record_failure(mail, error)
            else:
                outcomes[mail.id] = OutgoingMail.Status.SENT
    finally:
        if connection is None:
            _close_quietly(own)
    sent = [mail_id for mail_id, status in outcomes.items() if status == OutgoingMail.Status.SENT]
    OutgoingMail.objects.filter(id__in=sent, status=OutgoingMail.Status.SENDING).update(
        status=OutgoingMail.Status.SENT, sent_at=timezone.now(), last_error=""
    )
    return outcomes


def _message(mail: OutgoingMail) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=mail.subject,
        body=mail.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[mail.to],
    )
    if mail.body_html:
        message.attach_alternative(mail.body_html, "text/html")
    for attachment in mail.attachments:
        content = attachment["content"]
        if attachment.get("base64"):
            content = base64.b64decode(content)
        message.attach(attachment["filename"], content, attachment["content_type"])
    return message


def _send_over(connection: BaseEmailBackend, message: EmailMultiAlternatives) -> None:
    try:
        # Opened here: send_messages() would open one itself and close it again afterwards.
        reused = not connection.open()
        try:
            connection.send_messages([message])
        except (smtplib.SMTPException, OSError) as error:
            if not (reused and _hung_up(error)):
                raise
            # The server dropped the connection kept from an earlier row (an idle timeout,
            # a limit of messages per connection). That is no failure of this row: it goes
            # once more over a fresh connection, as it would have without the reuse.
            _close_quietly(connection)
            connection.open()
            connection.send_messages([message])
    except (smtplib.SMTPException, OSError):
        _close_quietly(connection)  # after any failure the next row starts afresh
        raise


def _hung_up(error: Exception) -> bool:
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code == 421  # "closing the channel"; smtplib has closed it
    return isinstance(error, smtplib.SMTPServerDisconnected | ConnectionError)


def _close_quietly(connection: BaseEmailBackend) -> None:
    try:
        connection.close()
    except (smtplib.SMTPException, OSError) as error:
        logger.info("outbox: closing the mail connection failed: %s", error)


def _is_transient(error: Exception) -> bool:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code < 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code < 500
    return True  # connection refused, timeouts, disconnects: the server may come back


def _record_failure(mail: OutgoingMail, error: Exception) -> OutgoingMail.Status:
    gives_up = not _is_transient(error) or mail.attempts >= MAX_ATTEMPTS
    status = OutgoingMail.Status.FAILED if gives_up else OutgoingMail.Status.QUEUED
    with transaction.atomic():
        OutgoingMail.objects.filter(id=mail.id, status=OutgoingMail.Status.SENDING).update(
            status=status,
            last_error=f"{type(error).__name__}: {error}"[:2000],
            next_attempt_at=timezone.now() + retry_delay(mail.attempts),
        )
        if gives_up and mail.kind not in ALERT_EMAILS:
            alert_practice(
                kind="email_gave_up",
                text=(
                    f"An email ({mail.kind}, number {mail.pk}) could not be delivered after "
                    f"{mail.attempts} attempt(s). It waits in the outbox as failed, with a "
                    "resend action."
                ),
                related=mail,
                once=True,
            )
    log = logger.error if gives_up else logger.warning
    log("outbox: mail %s (%s) attempt %s failed: %s", mail.id, mail.kind, mail.attempts, error)
    return status


def mail_release_abandoned() -> int:
    """Put rows whose worker died mid-send back in the queue; returns how many."""
    return OutgoingMail.objects.filter(
        status=OutgoingMail.Status.SENDING, claimed_at__lt=timezone.now() - SENDING_LEASE
    ).update(status=OutgoingMail.Status.QUEUED, next_attempt_at=timezone.now())


def mail_due_ids(*, limit: int = 500) -> list[int]:
    return list(
        OutgoingMail.objects.filter(
            status=OutgoingMail.Status.QUEUED, next_attempt_at__lte=timezone.now()
        )
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:limit]
    )


@dataclass(frozen=True)
class MailSwept:
    tried: int
    unfinished: bool  # the time was up with rows still due


def mail_send_due(*, budget_seconds: float) -> MailSwept:
    """Send every due row over one connection to the mail server, within `budget_seconds`.

    It always tries one row first, so every sweep moves on.
    """
    deadline = time.monotonic() + budget_seconds
    tried = 0
    connection = get_connection()
    try:
        while due := mail_due_ids():
            for start in range(0, len(due), SEND_BATCH):
                if tried and time.monotonic() > deadline:
                    return MailSwept(tried=tried, unfinished=True)
                batch = due[start : start + SEND_BATCH]
                mail_send_batch(mail_ids=batch, connection=connection)
                tried += len(batch)
    finally:
        _close_quietly(connection)
    return MailSwept(tried=tried, unfinished=False)


def mail_send_each(*, mail_ids: Iterable[int]) -> None:
    """Send these rows (the emails one change queued) over one connection, each only if it
    is still due: one that was sent meanwhile, or never committed, is passed over."""
    ids = list(mail_ids)
    connection = get_connection()
    try:
        for start in range(0, len(ids), SEND_BATCH):
            mail_send_batch(mail_ids=ids[start : start + SEND_BATCH], connection=connection)
    finally:
        _close_quietly(connection)


def mail_requeue(*, mail: OutgoingMail) -> None:
    """Send a failed or already sent email again (the admin's resend)."""
    with transaction.atomic():
        OutgoingMail.objects.filter(id=mail.id).exclude(status=OutgoingMail.Status.SENDING).update(
            status=OutgoingMail.Status.QUEUED,
            attempts=0,
            next_attempt_at=timezone.now(),
            last_error="",
            sent_at=None,
        )
        mail_send_on_commit(mail.pk)


# --- Practice alerts ------------------------------------------------------------------------
#
# What the practice is told of, at once or in a daily digest. `PRACTICE_ALERTS` says how:
# `immediate` (an email each), `digest` (one email a day, `outbox.send_practice_digest`)
# or `off` (nothing is told). Every app tells the practice through `alert_practice`, inside
# the transaction of what it reports; a kind is only a name, so later work adds kinds
# without touching this.

IMMEDIATE, DIGEST, OFF = "immediate", "digest", "off"
# Emails that tell the practice: never themselves the subject of an alert (no loop).
ALERT_EMAILS = frozenset({"practice_alert", "practice_digest"})


def alert_practice(
    *, kind: str, text: str, related: models.Model | None = None, once: bool = False
) -> PracticeAlert | None:
    """Tell the practice `text` (references, never names). With `once`, nothing more is
    said of `related` for this kind if it was said before."""
    if settings.PRACTICE_ALERTS == OFF:
        return None
    related_type = ContentType.objects.get_for_model(related) if related is not None else None
    related_id = related.pk if related is not None else None
    if (
        once
        and PracticeAlert.objects.filter(
            kind=kind, related_type=related_type, related_id=related_id
        ).exists()
    ):
        return None
    alert = PracticeAlert.objects.create(
        kind=kind, text=text, related_type=related_type, related_id=related_id
    )
    if settings.PRACTICE_ALERTS == IMMEDIATE:
        mail_queue(
            kind="practice_alert",
            to=settings.PRACTICE_NOTIFY_EMAIL,
            context={"alert": alert},
            related=alert,
        )
        PracticeAlert.objects.filter(pk=alert.pk).update(told_at=timezone.now())
    return alert


def practice_digest_send() -> int:
    """One email with every alert not yet told; returns how many it tells."""
    with transaction.atomic():
        waiting = list(
            PracticeAlert.objects.select_for_update()
            .filter(told_at__isnull=True)
            .order_by("created_at", "id")
        )
        if not waiting:
            return 0
        mail_queue(
            kind="practice_digest",
            to=settings.PRACTICE_NOTIFY_EMAIL,
            context={"alerts": waiting},
        )
        PracticeAlert.objects.filter(pk__in=[alert.pk for alert in waiting]).update(
            told_at=timezone.now()
        )
    return len(waiting)
