"""Reads of organizations and proposals."""

from django.db.models import Q, QuerySet, Sum

from billing.models import Invoice
from config.errors import NotFound
from inquiries.models import Inquiry
from organizations.models import Organization, Proposal


def _visible(token: str) -> QuerySet[Proposal]:
    # A draft is never visible behind its link, nor an anonymized proposal.
    return Proposal.objects.exclude(status=Proposal.Status.DRAFT).filter(
        token=token, anonymized_at=None
    )


def proposal_by_token(token: str) -> Proposal:
    """The proposal behind a secret link, to show."""
    proposal = (
        _visible(token)
        .select_related("offering", "organization", "enrollment", "invoice")
        .prefetch_related("options")
        .first()
    )
    if proposal is None:
        raise NotFound()
    return proposal


def proposal_id_by_token(token: str) -> int:
    """Only which proposal the link is for, to answer it: the answer reads it under lock."""
    proposal_id = _visible(token).values_list("pk", flat=True).first()
    if proposal_id is None:
        raise NotFound()
    return proposal_id


def invoices_of_organization(organization: Organization) -> QuerySet[Invoice]:
    """The invoices (and credit notes) of its accepted proposals' bookings."""
    bookings = Proposal.objects.filter(organization=organization).exclude(enrollment=None)
    return Invoice.objects.filter(
        payable_type__app_label="enrollments",
        payable_type__model="enrollment",
        payable_id__in=bookings.values("enrollment_id"),
    )


def open_balance_cents(organization: Organization) -> dict[str, int]:
    """What the organization still owes, by currency: its invoices' totals less what was
    credited and paid."""
    owed: dict[str, int] = {}
    for row in (
        invoices_of_organization(organization)
        .values("currency")
        .annotate(total=Sum("total_cents"), paid=Sum("paid_cents"))
    ):
        owed[row["currency"]] = int(row["total"] or 0) - int(row["paid"] or 0)
    return owed


def inquiries_of_organization(organization: Organization) -> QuerySet[Inquiry]:
    """Its inquiries: those its proposals came from, and those that name it."""
    return Inquiry.objects.filter(
        Q(proposals__organization=organization)
        | Q(organization__iexact=organization.name, anonymized_at=None)
    ).distinct()
