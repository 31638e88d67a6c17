"""The certificates' personal data: who a certificate was issued to. Kept on purpose for
`CERTIFICATE_RETENTION_YEARS` after it was issued (accreditors audit them), then deleted:
its verification page then answers as for an unknown code."""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings

from certificates.models import Certificate
from config.privacy import Fields, PersonsRecords, declare_free


class Certificates:
    kind = "certificates"
    fields: Fields = {Certificate: ("participant_name", "email", "registration_number")}

    def purge(self, *, now: datetime) -> int:
        cutoff = now - timedelta(days=365 * settings.CERTIFICATE_RETENTION_YEARS)
        # The newest first: one that replaced another is pointed to by it (SET_NULL).
        deleted, _ = Certificate.objects.filter(issued_at__lt=cutoff).delete()
        return deleted

    def records_of(self, email: str) -> list[Any]:
        return list(Certificate.objects.filter(email__iexact=email))

    def contexts_of(self, records: list[Any]) -> list[Any]:
        return records  # the email that carried each

    def erase(self, *, email: str, records: PersonsRecords, now: datetime, by: Any) -> int:
        return 0  # kept on purpose (certificates.apps): the erasure report says why

    def export(self, *, email: str) -> list[dict[str, Any]]:
        return [
            {
                "code": certificate.shown_code,
                "status": certificate.status,
                "kind": certificate.kind,
                "name": certificate.participant_name,
                "email": certificate.email,
                "registration_number": certificate.registration_number,
                "offering": certificate.offering_title,
                "dates": certificate.dates,
                "hours": str(certificate.hours) if certificate.hours is not None else None,
                "issued_at": certificate.issued_at.isoformat(),
            }
            for certificate in Certificate.objects.filter(email__iexact=email).order_by("pk")
        ]


declare_free(
    Certificate,
    "code", "kind", "status", "offering_title", "dates", "facilitators", "accreditor",
    "statement", "language", "revoked_reason",
    why="what was attended and how it is verified; the practice's and facilitators' words",
)  # fmt: skip
