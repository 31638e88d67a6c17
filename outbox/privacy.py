"""The outbox's personal data: every email's address and body."""

import html
import re
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet

from config.privacy import Fields, PersonsRecords, declare_free
from outbox.models import OutgoingMail, PracticeAlert

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
    return mails.exclude(to="", body_text="")


def _without(text: str, words: list[str]) -> str:
    """`text` with each of `words` (a name, an address) taken out, as written or escaped."""
    for word in words:
        for form in {word, html.escape(word)}:
            text = re.sub(re.escape(form), "[erased]", text, flags=re.IGNORECASE)
    return text


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

    def contexts_of(self, records: list[Any]) -> list[Any]:
        return []

    def erase(self, *, email: str, records: PersonsRecords, now: datetime, by: Any) -> int:
        """Emails to the person are emptied. Emails to someone else about the person's
        records (a confirmation naming who booked, or who attends) keep all but the
        person's name and address."""
        to_them = Q(to__iexact=email)
        emptied = self._erase(_not_yet_erased(OutgoingMail.objects.filter(to_them)))
        # Those a record erased before took with it (an inquiry's emails) are erased too.
        found = {mail.pk for mail in records.by_kind.get(self.kind, [])}
        emptied += len(
            found - set(OutgoingMail.objects.filter(pk__in=found).values_list("pk", flat=True))
        )
        about = Q(pk__in=[])
        for record in records.contexts:
            about |= Q(related_type=ContentType.objects.get_for_model(record), related_id=record.pk)
        words = sorted({email, *records.names}, key=len, reverse=True)  # longest first
        redacted = 0
        for mail in OutgoingMail.objects.filter(about).exclude(to_them):
            changed = {
                name: _without(getattr(mail, name), words)
                for name in ("subject", "body_text", "body_html")
            }
            if any(changed[name] != getattr(mail, name) for name in changed):
                OutgoingMail.objects.filter(pk=mail.pk).update(**changed)
                redacted += 1
        return emptied + redacted

    def _erase(self, mails: QuerySet[OutgoingMail]) -> int:
        # Owed emails to someone erased are not sent any more. One being handed to the
        # mail server right now goes out with what it had, and is emptied all the same.
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
declare_free(
    PracticeAlert,
    "kind",
    "text",
    why="written by Regard for the practice, with references only, never a name",
)
