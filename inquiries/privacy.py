"""Inquiries' personal data: who wrote, what they wrote, and the practice's notes on it."""

from datetime import datetime
from typing import Any

from config.privacy import Fields, PersonsRecords, declare_free
from inquiries.models import Inquiry, InquiryNote
from inquiries.services import inquiries_purge_expired, inquiry_erase_for_email


class Inquiries:
    kind = "inquiries"
    fields: Fields = {
        Inquiry: ("name", "email", "phone", "organization", "preferred_dates", "message"),
        InquiryNote: ("text",),
    }

    def purge(self, *, now: datetime) -> int:
        return inquiries_purge_expired(now=now)

    def records_of(self, email: str) -> list[Any]:
        return list(Inquiry.objects.filter(email__iexact=email, anonymized_at__isnull=True))

    def contexts_of(self, records: list[Any]) -> list[Any]:
        return records

    def erase(self, *, email: str, records: PersonsRecords, now: datetime, by: Any) -> int:
        return inquiry_erase_for_email(email=email, by=by)

    def export(self, *, email: str) -> list[dict[str, Any]]:
        inquiries = Inquiry.objects.filter(email__iexact=email).prefetch_related("notes")
        return [
            {
                "reference": inquiry.reference,
                "kind": inquiry.kind,
                "status": inquiry.status,
                "received_at": inquiry.created_at.isoformat(),
                "name": inquiry.name,
                "email": inquiry.email,
                "phone": inquiry.phone,
                "organization": inquiry.organization,
                "team_size": inquiry.team_size,
                "preferred_dates": inquiry.preferred_dates,
                "message": inquiry.message,
                "notes": [
                    {"written_at": note.created_at.isoformat(), "text": note.text}
                    for note in inquiry.notes.all()
                ],
            }
            for inquiry in inquiries.order_by("created_at")
        ]


declare_free(Inquiry, "reference", why="our reference, such as INQ-7KQ2M9")
declare_free(Inquiry, "language", why="a language code, such as nl")
