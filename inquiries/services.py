"""Inquiries: taking them in, moving them through the pipeline, and forgetting them.

What people write stays out of logs and error reports (DESIGN.md invariant 6): only the
reference is logged, and the functions that hold the text hide their local variables
from Django's error reports with `sensitive_variables`.
"""

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import lazy
from django.views.decorators.debug import sensitive_variables

from config import events
from config.errors import Conflict, InvalidInput
from inquiries import crisis
from inquiries.events import InquiryReceived
from inquiries.models import Inquiry, InquiryNote, InquiryStatusChange, new_inquiry_reference
from outbox.models import OutgoingMail
from outbox.services import mail_queue, recipients_check
from workshops.models import Offering

logger = logging.getLogger(__name__)

# A fresh reference collides with about one in a billion; five in a row means a bug.
REFERENCE_ATTEMPTS = 5


@sensitive_variables()
def inquiry_receive(*, website: str = "", **inquiry: Any) -> Inquiry:
    """An inquiry from the form (the API's or the contact page's): stored by
    `inquiry_submit`, unless the honeypot `website` was filled in. Then it is answered
    exactly as a real one would be, support included, so software learns nothing and a
    person whose browser filled the field in still gets help; nothing is stored."""
    if not website:
        return inquiry_submit(**inquiry)
    logger.info("inquiry: honeypot filled; answered as received, nothing stored")
    return Inquiry(
        reference=new_inquiry_reference(),
        urgent=crisis.mentions_crisis(inquiry["message"]),
        language=inquiry.get("language") or settings.LANGUAGE_CODE,
    )


@sensitive_variables()
def inquiry_submit(
    *,
    kind: str,
    name: str,
    email: str,
    message: str,
    phone: str = "",
    organization: str = "",
    team_size: int | None = None,
    offering: Offering | None = None,
    preferred_dates: str = "",
    source: str = Inquiry.Source.FORM,
    language: str = "",
) -> Inquiry:
    """Store an inquiry the person consented to send, and queue both emails it owes: the
    person's in their `language`, the practice's in its own."""
    if source == Inquiry.Source.FORM:  # one offered after a survey owes its email anyway
        recipients_check([email])
    with transaction.atomic():
        now = timezone.now()
        inquiry = Inquiry(
            kind=kind,
            name=name,
            email=email,
            phone=phone,
            organization=organization,
            team_size=team_size,
            offering=offering,
            preferred_dates=preferred_dates,
            message=message,
            urgent=crisis.mentions_crisis(message),
            source=source,
            language=language or settings.LANGUAGE_CODE,
            consent_at=now,
            created_at=now,
            status_changed_at=now,
        )
        _insert_with_fresh_reference(inquiry)
        InquiryStatusChange.objects.create(inquiry=inquiry, to_status=inquiry.status, at=now)
        _queue_emails(inquiry)
        events.publish(InquiryReceived(inquiry_id=inquiry.pk))
    logger.info(
        "inquiry %s received (%s%s)",
        inquiry.reference,
        inquiry.kind,
        ", urgent" if inquiry.urgent else "",
    )
    return inquiry


def _insert_with_fresh_reference(inquiry: Inquiry) -> None:
    for _ in range(REFERENCE_ATTEMPTS):
        inquiry.reference = new_inquiry_reference()
        try:
            with transaction.atomic():  # a savepoint: a collision must not end the transaction
                inquiry.save(force_insert=True)
            return
        except IntegrityError:
            if not Inquiry.objects.filter(reference=inquiry.reference).exists():
                raise  # some other constraint; not ours to retry
            inquiry.pk = None
    raise RuntimeError(f"no free inquiry reference after {REFERENCE_ATTEMPTS} attempts")


def _queue_emails(inquiry: Inquiry) -> None:
    # Neither email repeats the message: mail passes through servers we don't control.
    context = {
        "inquiry": inquiry,
        "kind": lazy(inquiry.get_kind_display, str)(),  # in the email's language
        # Chosen as the email is written, in its language: 113 and 112 for Dutch.
        "crisis_support_text": lazy(crisis.support_text, str)(),
        "admin_url": settings.SITE_URL
        + reverse("admin:inquiries_inquiry_change", args=[inquiry.pk]),
    }
    mail_queue(
        kind="inquiry_acknowledgement",
        to=inquiry.email,
        context=context,
        related=inquiry,
        dedupe_key=f"inquiry-{inquiry.pk}-acknowledgement",
        language=inquiry.language,
    )
    mail_queue(
        kind="inquiry_notification",
        to=settings.PRACTICE_NOTIFY_EMAIL,
        context=context,
        related=inquiry,
        dedupe_key=f"inquiry-{inquiry.pk}-notification",
    )


def inquiry_change_status(*, inquiry: Inquiry, to_status: str, by: User | None) -> Inquiry:
    """Move an inquiry to `to_status` and record the step; the same status again is a no-op."""
    with transaction.atomic():
        locked = Inquiry.objects.select_for_update().get(pk=inquiry.pk)
        if locked.status == to_status:
            return locked
        if not Inquiry.allows_move(locked.status, to_status):
            raise Conflict(
                f"An inquiry that is {locked.get_status_display().lower()} can't move to "
                f"{Inquiry.Status(to_status).label.lower()}.",
                code="status_not_allowed",
            )
        now = timezone.now()
        InquiryStatusChange.objects.create(
            inquiry=locked, from_status=locked.status, to_status=to_status, by=by, at=now
        )
        locked.status = to_status
        locked.status_changed_at = now
        locked.save(update_fields=["status", "status_changed_at", "updated_at"])
    inquiry.status, inquiry.status_changed_at = locked.status, locked.status_changed_at
    return locked


@sensitive_variables()
def inquiry_add_note(*, inquiry: Inquiry, author: User, text: str) -> InquiryNote:
    """Add an internal note by `author`; an anonymized inquiry takes no new notes."""
    with transaction.atomic():
        locked = Inquiry.objects.select_for_update().get(pk=inquiry.pk)
        if locked.is_anonymized:
            raise Conflict(
                "This inquiry's personal details were erased, so it takes no new notes.",
                code="inquiry_anonymized",
            )
        if not text.strip():
            raise InvalidInput(fields={"text": ["Please write something in the note."]})
        Inquiry.objects.filter(pk=locked.pk).update(updated_at=timezone.now())  # its last change
        return InquiryNote.objects.create(inquiry=locked, author=author, text=text.strip())


def inquiry_erase_for_email(*, email: str, by: User | None) -> int:
    """Erase everything one person told us, on their request; returns how many inquiries.

    Inquiries still open are closed, since no one can answer them any more.
    """
    with transaction.atomic():
        inquiries = Inquiry.objects.select_for_update().filter(
            email__iexact=email.strip(), anonymized_at__isnull=True
        )
        ids = list(inquiries.values_list("id", flat=True))
        _close_and_anonymize(ids, by=by, now=timezone.now())
    if ids:  # once it holds: a dry run of erasure rolls back and says nothing
        transaction.on_commit(
            lambda: logger.info("inquiry: erased %s inquiries on request", len(ids))
        )
    return len(ids)


def inquiries_purge_expired(*, now: datetime | None = None) -> int:
    """Anonymize inquiries untouched for PERSONAL_DATA_RETENTION_DAYS, whatever their status
    (one nobody answered too); returns how many."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.PERSONAL_DATA_RETENTION_DAYS)
    with transaction.atomic():
        expired = Inquiry.objects.select_for_update().filter(
            updated_at__lt=cutoff, anonymized_at__isnull=True
        )
        ids = list(expired.values_list("id", flat=True))
        _close_and_anonymize(ids, by=None, now=now)
    if ids:
        logger.info("inquiry: anonymized %s inquiries past their retention period", len(ids))
    return len(ids)


def _close_and_anonymize(ids: list[int], *, by: User | None, now: datetime) -> None:
    # Inquiries still open are closed first, since no one can answer them any more.
    for inquiry in Inquiry.objects.filter(id__in=ids).exclude(status__in=Inquiry.FINISHED):
        inquiry_change_status(inquiry=inquiry, to_status=Inquiry.Status.CLOSED, by=by)
    _anonymize(Inquiry.objects.filter(id__in=ids), now=now)


def _anonymize(inquiries: QuerySet[Inquiry], *, now: datetime) -> None:
    """Empty every field that tells who someone is or what they said, with what copies it.

    The organization goes too: for a person it is often their employer. Notes go because
    they are about the person; the outbox rows because they hold the name and address.
    Kind, team size, offering, dates, status and its history stay for statistics.
    """
    ids = list(inquiries.values_list("id", flat=True))
    if not ids:
        return
    InquiryNote.objects.filter(inquiry_id__in=ids).delete()
    OutgoingMail.objects.filter(
        related_type=ContentType.objects.get_for_model(Inquiry), related_id__in=ids
    ).delete()
    Inquiry.objects.filter(id__in=ids).update(
        name="",
        email="",
        phone="",
        organization="",
        preferred_dates="",
        message="",
        anonymized_at=now,
        updated_at=now,
    )
