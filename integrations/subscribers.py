"""Domain events, each told to the webhook endpoints that asked for it (DESIGN.md): the
subscribers, called inside the change's transaction, write what they owe and nothing else;
what a body says is looked up only when an endpoint listens.

Each body carries ids and references only: never a name, an address, an inquiry's message
or a survey's answers."""

from billing.events import InvoiceIssued, InvoicePaid
from billing.models import Invoice
from certificates.events import CertificateIssued
from certificates.models import Certificate
from config import events
from enrollments.events import BookingCancelled, BookingConfirmed, RosterChanged
from enrollments.models import Enrollment
from inquiries.events import InquiryReceived
from inquiries.models import Inquiry
from integrations.models import WebhookEndpoint
from integrations.webhooks import webhook_event
from organizations.events import ProposalAccepted
from organizations.models import Proposal
from surveys.events import SurveySubmitted
from surveys.models import SurveyInvitation

Event = WebhookEndpoint.Event


def _booking(enrollment_id: int) -> dict[str, object]:
    enrollment = Enrollment.objects.only("reference", "session_id", "seats", "status").get(
        pk=enrollment_id
    )
    return {
        "enrollment": enrollment.reference,
        "session": enrollment.session_id,
        "seats": enrollment.seats,
        "status": enrollment.status,
    }


def booking_confirmed(event: BookingConfirmed) -> None:
    webhook_event(Event.ENROLLMENT_CONFIRMED, lambda: _booking(event.enrollment_id))


def booking_cancelled(event: BookingCancelled) -> None:
    webhook_event(Event.ENROLLMENT_CANCELLED, lambda: _booking(event.enrollment_id))


def roster_changed(event: RosterChanged) -> None:
    webhook_event(
        Event.ENROLLMENT_ROSTER_CHANGED,
        lambda: {
            **_booking(event.enrollment_id),
            "participants_added": list(event.added),
            "participants_removed": len(event.removed),  # how many; never their addresses
        },
    )


def inquiry_received(event: InquiryReceived) -> None:
    def data() -> dict[str, object]:
        inquiry = Inquiry.objects.only("reference", "kind", "offering_id").get(pk=event.inquiry_id)
        return {"inquiry": inquiry.reference, "kind": inquiry.kind, "offering": inquiry.offering_id}

    webhook_event(Event.INQUIRY_RECEIVED, data)


def proposal_accepted(event: ProposalAccepted) -> None:
    def data() -> dict[str, object]:
        proposal = Proposal.objects.only("reference").get(pk=event.proposal_id)
        return {"proposal": proposal.reference, **_booking(event.enrollment_id)}

    webhook_event(Event.PROPOSAL_ACCEPTED, data)


def _invoice(invoice_id: int) -> dict[str, object]:
    invoice = Invoice.objects.only("number", "kind", "total_cents", "currency").get(pk=invoice_id)
    return {
        "invoice": invoice.number,
        "kind": invoice.kind,
        "total_cents": invoice.total_cents,
        "currency": invoice.currency,
    }


def invoice_issued(event: InvoiceIssued) -> None:
    webhook_event(Event.INVOICE_ISSUED, lambda: _invoice(event.invoice_id))


def invoice_paid(event: InvoicePaid) -> None:
    webhook_event(Event.INVOICE_PAID, lambda: _invoice(event.invoice_id))


def survey_submitted(event: SurveySubmitted) -> None:
    def data() -> dict[str, object]:
        invitation = SurveyInvitation.objects.only("session_id").get(pk=event.invitation_id)
        return {"invitation": event.invitation_id, "session": invitation.session_id}

    webhook_event(Event.SURVEY_SUBMITTED, data)


def certificate_issued(event: CertificateIssued) -> None:
    def data() -> dict[str, object]:
        certificate = Certificate.objects.only("code", "kind").get(pk=event.certificate_id)
        return {"certificate": certificate.shown_code, "kind": certificate.kind}

    webhook_event(Event.CERTIFICATE_ISSUED, data)


def subscribe_all() -> None:
    events.subscribe(BookingConfirmed, booking_confirmed)
    events.subscribe(BookingCancelled, booking_cancelled)
    events.subscribe(RosterChanged, roster_changed)
    events.subscribe(InquiryReceived, inquiry_received)
    events.subscribe(ProposalAccepted, proposal_accepted)
    events.subscribe(InvoiceIssued, invoice_issued)
    events.subscribe(InvoicePaid, invoice_paid)
    events.subscribe(SurveySubmitted, survey_submitted)
    events.subscribe(CertificateIssued, certificate_issued)
