"""Organizations' personal data: the people the practice works with there (contacts), and
who a proposal was for (its contact), with what they wrote when declining."""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q

from config.privacy import Fields, PersonsRecords, declare_free, declare_history_free
from organizations.models import Contact, Organization, Proposal

PROPOSAL_FIELDS = ("contact_name", "contact_email", "po_number", "decline_reason", "message")


def _cutoff(now: datetime) -> datetime:
    return now - timedelta(days=settings.PERSONAL_DATA_RETENTION_DAYS)


class Organizations:
    """Contacts at organizations, and where an organization's invoices go: kept while the
    organization works with the practice, and `PERSONAL_DATA_RETENTION_DAYS` after."""

    kind = "organization contacts"
    fields: Fields = {
        Contact: ("name", "email", "phone", "role"),
        Organization: ("billing_email",),
    }

    def purge(self, *, now: datetime) -> int:
        cutoff = _cutoff(now)
        quiet = Q(organization__updated_at__lt=cutoff) & ~Q(
            organization__proposals__updated_at__gte=cutoff
        )
        contacts, _ = Contact.objects.filter(quiet, created_at__lt=cutoff).delete()
        emails = (
            Organization.objects.filter(updated_at__lt=cutoff)
            .exclude(billing_email="")
            .update(billing_email="")
        )
        return contacts + emails

    def records_of(self, email: str) -> list[Any]:
        return [
            *Contact.objects.filter(email__iexact=email),
            *Organization.objects.filter(billing_email__iexact=email),
        ]

    def contexts_of(self, records: list[Any]) -> list[Any]:
        return []

    def erase(self, *, email: str, records: PersonsRecords, now: datetime, by: Any) -> int:
        contacts, _ = Contact.objects.filter(email__iexact=email).delete()
        emails = Organization.objects.filter(billing_email__iexact=email).update(billing_email="")
        return contacts + emails

    def export(self, *, email: str) -> list[dict[str, Any]]:
        return [
            {
                "organization": contact.organization.name,
                "name": contact.name,
                "email": contact.email,
                "phone": contact.phone,
                "role": contact.role,
            }
            for contact in Contact.objects.filter(email__iexact=email).select_related(
                "organization"
            )
        ]


class Proposals:
    """Who a proposal was for: anonymized `PERSONAL_DATA_RETENTION_DAYS` after it was last
    answered or changed, and after the time it booked."""

    kind = "proposals"
    fields: Fields = {Proposal: PROPOSAL_FIELDS}

    def _anonymize(self, proposals: Any, now: datetime) -> int:
        return proposals.filter(anonymized_at=None).update(
            **dict.fromkeys(PROPOSAL_FIELDS, ""), anonymized_at=now
        )

    def purge(self, *, now: datetime) -> int:
        cutoff = _cutoff(now)
        old = Proposal.objects.filter(updated_at__lt=cutoff).exclude(
            chosen_option__starts_at__gte=cutoff
        )
        return self._anonymize(old, now)

    def records_of(self, email: str) -> list[Any]:
        return list(Proposal.objects.filter(contact_email__iexact=email, anonymized_at=None))

    def contexts_of(self, records: list[Any]) -> list[Any]:
        return records

    def erase(self, *, email: str, records: PersonsRecords, now: datetime, by: Any) -> int:
        return self._anonymize(Proposal.objects.filter(contact_email__iexact=email), now)

    def export(self, *, email: str) -> list[dict[str, Any]]:
        return [
            {
                "reference": proposal.reference,
                "status": proposal.status,
                "offering": proposal.offering.title,
                "contact_name": proposal.contact_name,
                "contact_email": proposal.contact_email,
                "po_number": proposal.po_number,
                "decline_reason": proposal.decline_reason,
                "created_at": proposal.created_at.isoformat(),
            }
            for proposal in Proposal.objects.filter(contact_email__iexact=email).select_related(
                "offering"
            )
        ]


declare_free(
    Organization,
    "name",
    "address",
    "postal_code",
    "city",
    "country",
    "vat_id",
    why="an organization's business details, as its invoices carry them",
)
declare_free(Proposal, "reference", "token", why="our reference and the proposal's link")
declare_free(Proposal, "status", "pricing", "payment", "language", why="one of our codes")
declare_free(Proposal, "location", "terms", why="the practice's own words: where, and its terms")
declare_history_free(Organization, Proposal)
