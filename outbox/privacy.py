"""The outbox's personal data: every email's address and body."""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet

from config.privacy import Fields, PersonsRecords, declare_free
from outbox.models import OutgoingMail

Status = OutgoingMail.Status
ERASED = {
    "to": "",
    "subject": "",
    "body_text": "",
    "body_html": "",
    "attachments": [],
    "last_error": "",
}


def _not_yet_erased(mails: QuerySet[OutgoingMail]) -> QuerySet[OutgoingMail]:
    # A row on its way to the mail server is left until it is sent (the next run).
    return mails.exclude(status=Status.SENDING).exclude(to="", body_text="")


class Emails:
    kind = "emails"
    fields: Fields = {
        OutgoingMail: ("to", "subject", "body_text", "body_html", "attachments", "last_error")
    }

    def purge(self, *, now: datetime) -> int:
        cutoff = now - timedelta(days=settings.PERSONAL_DATA_RETENTION_DAYS)
        old = _not_yet_erased(OutgoingMail.objects.filter(created_at__lt=cutoff))
        return self._erase(old)

    def records_of(self, email: str) -> list[Any]:
        return list(OutgoingMail.objects.filter(to__iexact=email))

    def erase(self, *, email: str, records: PersonsRecords, now: datetime, by: Any) -> int:
        """Emails to the person, and emails about their records to anyone (a participant's
        confirmation names who booked for them)."""
        about = Q(to__iexact=email)
        for record in records.all():
            if isinstance(record, OutgoingMail):
                continue
            about |= Q(related_type=ContentType.objects.get_for_model(record), related_id=record.pk)
        return self._erase(_not_yet_erased(OutgoingMail.objects.filter(about)))

    def _erase(self, mails: QuerySet[OutgoingMail]) -> int:
        # Owed emails to someone erased are not sent any more.
        mails.filter(status=Status.QUEUED).update(status=Status.FAILED)
        return mails.update(**ERASED)

    def export(self, *, email: str) -> list[dict[str, Any]]:
        return [
            {
                "kind": mail.kind,
                "subject": mail.subject,
                "written_at": mail.created_at.isoformat(),
                "sent_at": mail.sent_at.isoformat() if mail.sent_at else None,
                "text": mail.body_text,
            }
            for mail in OutgoingMail.objects.filter(to__iexact=email).order_by("created_at")
        ]


declare_free(OutgoingMail, "kind", why="the kind of email, such as enrollment_confirmation")
declare_free(OutgoingMail, "dedupe_key", why="built from our ids only, such as reminder-12-0-p34")
