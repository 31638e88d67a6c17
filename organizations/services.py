"""Proposals, from a draft in the admin to an accepted offer: the private session, its
booking and its invoice (DESIGN.md, Organizations, proposals, invoices).

An organization's proposal is accepted with billing details and paid by invoice (or card);
one person's offers one to three times, of which they pick one and pay by card. Accepting
takes the private session's lock (through enrollments), then issues the invoice, whose
number is allocated last.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from billing.events import InvoicePaid
from billing.models import Invoice, InvoiceLine, Payment, Refund
from billing.services.invoice_payments import invoice_pay
from billing.services.invoices import (
    BilledLine,
    Buyer,
    credit_note_issue,
    invoice_issue,
    priced_lines,
)
from billing.services.payments import payments_close_open
from billing.services.refunds import refund_create
from billing.stripe_client import PaymentUnavailable
from config import events
from config.errors import Conflict, InvalidInput
from config.money import amount_for_people
from config.references import new_reference, new_token
from enrollments.events import BookingCancelled, BookingExpired
from enrollments.models import Enrollment
from enrollments.services.holds import private_booking_confirm_paid, private_booking_create
from enrollments.services.receipts import offering_tax_rule
from enrollments.services.roster import ParticipantInput
from inquiries.models import Inquiry
from inquiries.services import inquiry_change_status
from organizations.events import ProposalAccepted
from organizations.models import Contact, Organization, Proposal, ProposalDateOption
from outbox.services import alert_practice, mail_queue
from workshops.models import Offering, known_zone
from workshops.services import private_session_create

logger = logging.getLogger(__name__)

Status = Proposal.Status
# One person picks from one to three times (DESIGN.md); an organization from a few more.
MOST_OPTIONS = {False: 3, True: 6}


class ProposalNotOpen(Conflict):
    code = "proposal_not_open"
    message = _(
        "This proposal can't be answered here any more: it has already been answered, or "
        "the practice withdrew it. If that surprises you, simply reply to our email."
    )


class ProposalExpired(Conflict):
    code = "proposal_expired"
    message = _(
        "This proposal has expired. Please write to us and we'll gladly look at the dates "
        "with you again."
    )


class NotReadyToSend(InvalidInput):
    message = _("This proposal isn't ready to send yet.")


@dataclass(frozen=True)
class Acceptance:
    proposal: Proposal
    enrollment: Enrollment
    invoice: Invoice | None
    payment: Payment | None = None


def new_proposal_reference() -> str:
    while True:
        reference = new_reference("PRO")
        if not Proposal.objects.filter(reference=reference).exists():
            return reference


def new_proposal_token() -> str:
    """A secret link (DESIGN.md invariant 6)."""
    return new_token()


def _today(now: datetime) -> date:
    return now.astimezone(ZoneInfo(settings.PRACTICE_TIME_ZONE)).date()


# --- Drafting and sending ----------------------------------------------------------------


def organization_for(*, name: str) -> Organization:
    """The organization of that name (any case), or a new one."""
    found = Organization.objects.filter(name__iexact=name.strip(), anonymized_at=None).first()
    return found or Organization.objects.create(name=name.strip())


def proposal_draft_from_inquiry(
    *, inquiry: Inquiry, by: Any = None, now: datetime | None = None
) -> Proposal:
    """A draft to finish in the admin: for the inquiry's organization (team training) or
    for the person (personal guidance), at the offering's price, with the usual terms."""
    now = now or timezone.now()
    if inquiry.is_anonymized or inquiry.kind == Inquiry.Kind.GENERAL:
        raise InvalidInput(
            _("A proposal is drafted from a team-training or personal-guidance inquiry.")
        )
    team = inquiry.kind == Inquiry.Kind.TEAM_TRAINING
    kind = Offering.Kind.TEAM_TRAINING if team else Offering.Kind.COACHING
    offering = (
        inquiry.offering
        or Offering.objects.filter(kind=kind).order_by("-is_published", "pk").first()
    )
    if offering is None:
        raise InvalidInput(_("Add an offering for this kind of work to the catalog first."))
    with transaction.atomic():
        organization = None
        if team:
            organization = organization_for(name=inquiry.organization)
            Contact.objects.get_or_create(
                organization=organization,
                email=inquiry.email,
                defaults={"name": inquiry.name, "phone": inquiry.phone},
            )
        proposal = Proposal.objects.create(
            reference=new_proposal_reference(),
            token=new_proposal_token(),
            organization=organization,
            inquiry=inquiry,
            contact_name=inquiry.name,
            contact_email=inquiry.email,
            offering=offering,
            seats=inquiry.team_size or 1 if team else 1,
            price_cents=offering.price_cents,
            location=offering.get_format_display()
            if offering.format == Offering.Format.ONLINE
            else "",
            valid_until=_today(now) + timedelta(days=settings.PROPOSAL_VALID_DAYS),
            terms=settings.PROPOSAL_TERMS,
            language=inquiry.language,
            created_by=by if getattr(by, "pk", None) else None,
        )
    return proposal


def proposal_send(*, proposal_id: int, by: Any = None, now: datetime | None = None) -> Proposal:
    """Send a draft (or send it again): its link by email, and the inquiry moves on."""
    now = now or timezone.now()
    with transaction.atomic():
        proposal = Proposal.objects.select_for_update().get(pk=proposal_id)
        if proposal.status not in (Status.DRAFT, Status.SENT):
            raise ProposalNotOpen()
        options = list(proposal.options.all())
        problems = []
        if not options:
            problems.append(gettext("Offer at least one time."))
        if len(options) > MOST_OPTIONS[proposal.for_organization]:
            problems.append(
                gettext("Offer at most %(most)s times.")
                % {"most": MOST_OPTIONS[proposal.for_organization]}
            )
        if any(option.starts_at <= now for option in options):
            problems.append(gettext("Every time offered has to be in the future."))
        if proposal.valid_until < _today(now):
            problems.append(gettext("Its 'valid until' date has passed."))
        if problems:
            raise NotReadyToSend(fields={"options": problems})
        proposal.status = Status.SENT
        proposal.sent_at = now
        proposal.save(update_fields=["status", "sent_at", "updated_at"])
        mail_queue(
            kind="proposal_sent",
            to=proposal.contact_email,
            context=proposal_context(proposal),
            related=proposal,
            language=proposal.language,
        )
        if proposal.inquiry is not None and Inquiry.allows_move(
            proposal.inquiry.status, Inquiry.Status.PROPOSAL_SENT
        ):
            inquiry_change_status(
                inquiry=proposal.inquiry, to_status=Inquiry.Status.PROPOSAL_SENT, by=by
            )
    return proposal


def proposal_context(proposal: Proposal) -> dict[str, Any]:
    """What the emails about a proposal say; about one person's, never what it is about."""
    return {
        "proposal": proposal,
        "name": proposal.contact_name,
        "title": proposal.offering.shown_title,
        "valid_until": proposal.valid_until,
        "proposal_url": f"{settings.SITE_URL}/proposals/{proposal.token}/",
        "pdf_url": f"{settings.SITE_URL}/proposals/{proposal.token}.pdf",
        "for_organization": proposal.for_organization,
        "discreet": not proposal.for_organization,
    }


# --- What it costs -----------------------------------------------------------------------


def proposal_lines(proposal: Proposal, *, starts_at: datetime | None = None) -> list[BilledLine]:
    """What the proposal bills: the training (per seat, or a flat fee), and its discount as
    a line of its own at the same tax rule."""
    rule = offering_tax_rule(proposal.offering, rate=proposal.tax_rate)
    title = proposal.offering.title
    if starts_at is not None:
        zone = known_zone(settings.PRACTICE_TIME_ZONE)
        title = f"{title}, {timezone.localtime(starts_at, zone):%d %b %Y}"
    if proposal.pricing == Proposal.Pricing.FLAT:
        lines = [
            BilledLine(f"{title} ({proposal.seats} participants)", 1, proposal.price_cents, rule)
        ]
        listed = proposal.price_cents
    else:
        lines = [BilledLine(title, proposal.seats, proposal.price_cents, rule)]
        listed = proposal.seats * proposal.price_cents
    if proposal.discount_percent:
        off = int(
            (Decimal(listed) * proposal.discount_percent / 100).quantize(Decimal(1), ROUND_HALF_UP)
        )
        percent = f"{proposal.discount_percent:f}".rstrip("0").rstrip(".")
        lines.append(BilledLine(f"Discount {percent}%", 1, -off, rule))
    return lines


def proposal_priced(proposal: Proposal, buyer: Buyer | None = None) -> list[InvoiceLine]:
    """The lines as they would be invoiced (to `buyer`, else the organization as known)."""
    if buyer is None:
        organization = proposal.organization
        buyer = Buyer(
            name=proposal.contact_name,
            email=proposal.contact_email,
            country=organization.country if organization else "",
            vat_id=organization.vat_id if organization else "",
        )
    return priced_lines(buyer=buyer, lines=proposal_lines(proposal))


# --- Answering ---------------------------------------------------------------------------


def _open_for_answer(proposal: Proposal, now: datetime) -> None:
    if proposal.status == Status.EXPIRED or (
        proposal.status == Status.SENT and proposal.valid_until < _today(now)
    ):
        raise ProposalExpired()
    if proposal.status != Status.SENT:
        raise ProposalNotOpen()


def proposal_accept(
    *,
    proposal_id: int,
    contact: ParticipantInput,
    billing: dict[str, str] | None = None,
    po_number: str = "",
    date_option: int | None = None,
    payment: str = Proposal.Payment.INVOICE,
    now: datetime | None = None,
) -> Acceptance:
    """Accept: the private session and its booking (confirmed, its invoice open; or held
    for payment by card), the invoice, and the inquiry won. Then, outside the transaction,
    a way to pay by card when that was chosen."""
    now = now or timezone.now()
    with transaction.atomic():
        proposal = (
            Proposal.objects.select_for_update(of=("self",))
            .select_related("offering", "organization")
            .get(pk=proposal_id)
        )
        _open_for_answer(proposal, now)
        option = _chosen(proposal, date_option, now)
        if not proposal.for_organization:
            payment = Proposal.Payment.CARD  # one person pays by card (DESIGN.md)
        if proposal.for_organization and not billing:
            raise InvalidInput(
                fields={"billing": [gettext("Please give the billing details for the invoice.")]}
            )
        buyer = _buyer(proposal, contact, billing or {})
        lines = proposal_lines(proposal, starts_at=option.starts_at)
        total = sum(line.total_cents for line in priced_lines(buyer=buyer, lines=lines))
        organization = proposal.organization
        if organization is not None and billing:
            _keep_billing_details(organization, billing, contact)
        session = private_session_create(
            offering=proposal.offering,
            starts_at=option.starts_at,
            capacity=proposal.seats,
            price_cents=total // proposal.seats,
            organization=organization.name if organization else proposal.reference,
            location=proposal.location,
        )
        by_card = payment == Proposal.Payment.CARD and total > 0
        enrollment = private_booking_create(
            session_id=session.pk,
            name=contact.name,
            email=contact.email,
            organization=organization.name if organization else "",
            seats=proposal.seats,
            amount_cents=total,
            language=proposal.language,
            hold_for_payment=by_card,
            # One person attends themselves; an organization names its people later.
            participants=() if organization else (contact,),
            now=now,
        )
        proposal.status = Status.ACCEPTED
        proposal.answered_at = now
        proposal.chosen_option = option
        proposal.payment = payment
        proposal.po_number = po_number
        proposal.contact_name, proposal.contact_email = contact.name, contact.email
        proposal.enrollment = enrollment
        proposal.save()
        if proposal.inquiry is not None and Inquiry.allows_move(
            proposal.inquiry.status, Inquiry.Status.WON
        ):
            inquiry_change_status(inquiry=proposal.inquiry, to_status=Inquiry.Status.WON, by=None)
        events.publish(ProposalAccepted(proposal_id=proposal.pk, enrollment_id=enrollment.pk))
        invoice = None
        if total > 0:
            # Last of all: the number is allocated after the session's lock, and its series
            # stays locked only for the invoice's own rows and email until commit.
            invoice = invoice_issue(
                buyer=buyer,
                lines=lines,
                currency=proposal.offering.currency,
                payable=enrollment,
                reference=enrollment.reference,
                po_number=po_number,
                terms=proposal.terms,
                language=proposal.language,
                notify=not by_card,  # paid at once: the receipt follows the payment
                now=now,
            )
            Proposal.objects.filter(pk=proposal.pk).update(invoice=invoice)
            proposal.invoice = invoice
    logger.info("proposal %s accepted (%s)", proposal.reference, payment)
    paying = None
    if by_card and invoice is not None:
        try:
            paying = invoice_pay(invoice_id=invoice.pk)
        except PaymentUnavailable:
            # Accepted all the same: the invoice's page offers paying again while it is held.
            logger.warning("proposal %s: paying by card could not start", proposal.reference)
    return Acceptance(proposal=proposal, enrollment=enrollment, invoice=invoice, payment=paying)


def _chosen(proposal: Proposal, date_option: int | None, now: datetime) -> ProposalDateOption:
    options = list(proposal.options.all())
    if date_option is None and len(options) == 1:
        date_option = options[0].pk
    option = next((o for o in options if o.pk == date_option), None)
    if option is None:
        raise InvalidInput(
            fields={"date_option": [gettext("Please choose one of the times offered.")]}
        )
    if option.starts_at <= now:
        raise InvalidInput(
            fields={"date_option": [gettext("That time has passed; please choose another one.")]}
        )
    return option


def _buyer(proposal: Proposal, contact: ParticipantInput, billing: dict[str, str]) -> Buyer:
    organization = proposal.organization
    return Buyer(
        name=contact.name,
        email=(
            organization.billing_email
            if organization and organization.billing_email
            else contact.email
        ),
        company=billing.get("company", ""),
        address=billing.get("address", ""),
        postal_code=billing.get("postal_code", ""),
        city=billing.get("city", ""),
        country=billing.get("country", ""),
        vat_id=billing.get("vat_id", ""),
    )


def _keep_billing_details(
    organization: Organization, billing: dict[str, str], contact: ParticipantInput
) -> None:
    given = {
        field: billing.get(field, "")
        for field in ("address", "postal_code", "city", "country", "vat_id")
    }
    if any(getattr(organization, field) != value for field, value in given.items()):
        # Only a change is written (and locks the organization's row until commit).
        for field, value in given.items():
            setattr(organization, field, value)
        organization.save()
    if not Contact.objects.filter(organization=organization, email=contact.email).exists():
        Contact.objects.create(organization=organization, email=contact.email, name=contact.name)


def proposal_decline(
    *, proposal_id: int, reason: str = "", now: datetime | None = None
) -> Proposal:
    """Declined by its holder: the practice hears, the inquiry is lost; nothing is booked."""
    now = now or timezone.now()
    with transaction.atomic():
        proposal = Proposal.objects.select_for_update().get(pk=proposal_id)
        _open_for_answer(proposal, now)
        proposal.status = Status.DECLINED
        proposal.answered_at = now
        proposal.decline_reason = reason.strip()[:2000]
        proposal.save(update_fields=["status", "answered_at", "decline_reason", "updated_at"])
        _lost(proposal)
        alert_practice(
            kind="proposal_declined",
            text=f"Proposal {proposal.reference} was declined; its reason is in the admin.",
            related=proposal,
        )
    return proposal


def proposal_withdraw(*, proposal_id: int, by: Any = None) -> Proposal:
    """The practice takes back a proposal not yet answered; its link then says so."""
    with transaction.atomic():
        proposal = Proposal.objects.select_for_update().get(pk=proposal_id)
        if proposal.status not in (Status.DRAFT, Status.SENT):
            raise ProposalNotOpen()
        proposal.status = Status.WITHDRAWN
        proposal.save(update_fields=["status", "updated_at"])
    return proposal


def _lost(proposal: Proposal) -> None:
    if proposal.inquiry is not None and Inquiry.allows_move(
        proposal.inquiry.status, Inquiry.Status.LOST
    ):
        inquiry_change_status(inquiry=proposal.inquiry, to_status=Inquiry.Status.LOST, by=None)


def proposals_expire(*, now: datetime | None = None) -> int:
    """Sent proposals past their 'valid until' date expire; their inquiries are lost unless
    another proposal of theirs is still open."""
    now = now or timezone.now()
    expired = 0
    for proposal_id in Proposal.objects.filter(
        status=Status.SENT, valid_until__lt=_today(now)
    ).values_list("pk", flat=True):
        with transaction.atomic():
            proposal = Proposal.objects.select_for_update().get(pk=proposal_id)
            if proposal.status != Status.SENT or proposal.valid_until >= _today(now):
                continue
            proposal.status = Status.EXPIRED
            proposal.save(update_fields=["status", "updated_at"])
            others_open = (
                proposal.inquiry is not None
                and proposal.inquiry.proposals.exclude(pk=proposal.pk)
                .filter(status__in=[Status.DRAFT, Status.SENT, Status.ACCEPTED])
                .exists()
            )
            if not others_open:
                _lost(proposal)
            expired += 1
    return expired


# --- What became of the booking (subscribers, `OrganizationsConfig.ready()`) -------------


def proposal_settle_paid_invoice(*, invoice_id: int) -> str:
    """A proposal's invoice paid by card: its held booking is confirmed (its confirmation
    links the invoice); if the seats can no longer be given, the money goes back."""
    proposal = Proposal.objects.filter(invoice_id=invoice_id, payment=Proposal.Payment.CARD).first()
    if proposal is None or proposal.enrollment_id is None:
        return "not a proposal paid by card"
    if private_booking_confirm_paid(enrollment_id=proposal.enrollment_id):
        return "booking confirmed"
    invoice = Invoice.objects.get(pk=invoice_id)
    refund_create(
        payable=invoice, amount_cents=invoice.paid_cents, reason=Refund.Reason.LATE_PAYMENT
    )
    return "paid too late: refunded"


def on_invoice_paid(event: InvoicePaid) -> str | None:
    return proposal_settle_paid_invoice(invoice_id=event.invoice_id)


def on_booking_expired(event: BookingExpired) -> str | None:
    """A proposal's booking held for a card payment lapsed unpaid: its invoice is credited
    and the proposal may be answered again while it is valid."""
    proposal = Proposal.objects.filter(enrollment_id=event.enrollment_id).first()
    if proposal is None:
        return None
    if proposal.invoice_id is not None:
        invoice = Invoice.objects.get(pk=proposal.invoice_id)
        payments_close_open(payable=invoice)  # paying later would find nothing to pay
        credit_note_issue(
            invoice_id=proposal.invoice_id,
            reason=gettext("Not paid in time: the time held was released"),
            notify=False,
        )
    Proposal.objects.filter(pk=proposal.pk).update(
        status=Status.SENT, enrollment=None, invoice=None, chosen_option=None
    )
    return "proposal open again"


def on_booking_cancelled(event: BookingCancelled) -> str | None:
    """A proposal's booking was cancelled: what is still open on its invoice is credited;
    money already received is for the practice to settle by the proposal's terms."""
    proposal = (
        Proposal.objects.filter(enrollment_id=event.enrollment_id).select_related("invoice").first()
    )
    if proposal is None or proposal.invoice is None:
        return None
    invoice = proposal.invoice
    if invoice.paid_cents == 0:
        credit_note_issue(invoice_id=invoice.pk, reason=gettext("Cancelled"))
        return "invoice credited"
    alert_practice(
        kind="proposal_booking_cancelled",
        text=(
            f"Booking {proposal.enrollment.reference if proposal.enrollment else ''} of proposal "
            f"{proposal.reference} was cancelled after invoice {invoice.number} was paid "
            f"({amount_for_people(invoice.paid_cents, invoice.currency)} {invoice.currency}). "
            "Please settle it by the proposal's terms: a credit note and a refund from the admin."
        ),
        related=proposal,
    )
    return "practice told"
