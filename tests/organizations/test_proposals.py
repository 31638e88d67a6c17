"""Proposals by their secret link (DESIGN.md, Organizations, proposals, invoices): read,
accepted once with kind field errors, declined, expired by the job; drafts never visible;
nothing stored on a refusal."""

import io
from datetime import timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest
import time_machine
from django.utils import timezone
from pypdf import PdfReader

from billing.models import Invoice
from enrollments.models import Enrollment
from inquiries.models import Inquiry
from organizations.models import Organization, Proposal, ProposalDateOption
from organizations.services import (
    NotReadyToSend,
    proposal_draft_from_inquiry,
    proposal_send,
    proposals_expire,
)
from outbox.models import OutgoingMail
from tests.factories import InquiryFactory, OfferingFactory
from workshops.models import Offering, Session

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_settings", "eager_tasks")]

BILLING = {
    "company": "Praxis Weber GmbH",
    "address": "Hauptstraße 5",
    "postal_code": "10115",
    "city": "Berlin",
    "country": "DE",
    "vat_id": "DE136695976",
}
CONTACT = {"name": "Jonas Weber", "email": "jonas@clinic.example"}


@pytest.fixture
def sent(settings):
    """A team-training proposal, drafted from its inquiry and sent, with two dates."""
    settings.DEFAULT_TAX_RATE = Decimal(21)

    def make(times=2, **changes):
        offering = OfferingFactory.create(
            kind=Offering.Kind.TEAM_TRAINING, price_cents=12100, format=Offering.Format.ONLINE
        )
        inquiry = InquiryFactory.create(
            kind=Inquiry.Kind.TEAM_TRAINING,
            organization="Praxis Weber",
            team_size=4,
            offering=offering,
            status=Inquiry.Status.CONTACTED,
        )
        proposal = proposal_draft_from_inquiry(inquiry=inquiry)
        Proposal.objects.filter(pk=proposal.pk).update(**changes)
        start = timezone.now() + timedelta(days=20)
        for day in range(times):
            ProposalDateOption.objects.create(
                proposal=proposal, starts_at=start + timedelta(days=day)
            )
        return proposal_send(proposal_id=proposal.pk)

    return make


def accept(api, proposal, **answer):
    body = {"contact": CONTACT, "billing": BILLING, "date_option": proposal.options.first().pk}
    body.update(answer)
    return api.post(f"/api/v1/proposals/{proposal.token}/accept/", body, format="json")


def nothing_booked():
    return not (Session.objects.exists() or Enrollment.objects.exists() or Invoice.objects.exists())


def test_a_draft_is_made_from_the_inquiry_for_its_organization(sent):
    proposal = sent()

    assert proposal.organization.name == "Praxis Weber"
    assert proposal.organization.contacts.get().email == proposal.contact_email
    assert (proposal.seats, proposal.price_cents, proposal.status) == (4, 12100, "sent")
    assert proposal.inquiry.status == Inquiry.Status.PROPOSAL_SENT
    mail = OutgoingMail.objects.get(kind="proposal_sent")
    assert f"/proposals/{proposal.token}/" in mail.body_text


def test_the_proposal_reads_with_its_options_lines_and_terms(api, sent):
    proposal = sent(discount_percent=Decimal(10))

    body = api.get(f"/api/v1/proposals/{proposal.token}/").json()

    assert body["status"] == "sent"
    assert body["organization"] == "Praxis Weber"
    assert len(body["date_options"]) == 2
    assert [line["total"] for line in body["lines"]] == ["484.00", "-48.40"]
    assert (body["net"], body["tax"], body["total"]) == ("360.00", "75.60", "435.60")
    assert body["terms"] == proposal.terms
    assert body["payment_methods"] == ["invoice", "card"]


def test_a_draft_is_never_visible(api, sent):
    proposal = sent()
    Proposal.objects.filter(pk=proposal.pk).update(status=Proposal.Status.DRAFT)

    assert api.get(f"/api/v1/proposals/{proposal.token}/").status_code == HTTPStatus.NOT_FOUND
    assert api.get(f"/proposals/{proposal.token}/").status_code == HTTPStatus.NOT_FOUND


def test_accepting_books_a_private_session_and_issues_the_invoice(api, sent):
    proposal = sent()

    response = accept(api, proposal, po_number="PO-1")

    assert response.status_code == HTTPStatus.CREATED, response.json()
    booking = Enrollment.objects.get(token=response.json()["enrollment"]["token"])
    session = booking.session
    assert (session.is_public, session.capacity, session.organization) == (False, 4, "Praxis Weber")
    assert session.ends_at - session.starts_at == timedelta(
        minutes=session.offering.duration_minutes
    )
    assert booking.status == Enrollment.Status.CONFIRMED
    invoice = Invoice.objects.get(number=response.json()["invoice"]["number"])
    # Online, bought by a German business with a well-formed VAT ID: reverse charged.
    assert (invoice.reverse_charge, invoice.tax_cents, invoice.total_cents) == (True, 0, 40000)
    assert invoice.po_number == "PO-1"
    assert proposal.terms in invoice.notes
    organization = Organization.objects.get()
    assert (organization.city, organization.vat_id) == ("Berlin", "DE136695976")
    proposal.refresh_from_db()
    assert proposal.inquiry.status == Inquiry.Status.WON


def test_accepting_twice_is_409_and_books_once(api, sent):
    proposal = sent()
    accept(api, proposal)

    again = accept(api, proposal)

    assert again.status_code == HTTPStatus.CONFLICT
    assert again.json()["code"] == "proposal_not_open"
    assert Enrollment.objects.count() == 1


def test_accepting_after_expiry_is_409_and_stores_nothing(api, sent):
    proposal = sent()

    with time_machine.travel(timezone.now() + timedelta(days=31), tick=False):
        response = accept(api, proposal)
        assert proposals_expire() == 1

    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json()["code"] == "proposal_expired"
    assert nothing_booked()
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.EXPIRED
    assert proposal.inquiry.status == Inquiry.Status.LOST


def test_accepting_a_withdrawn_proposal_is_409(api, sent):
    proposal = sent()
    Proposal.objects.filter(pk=proposal.pk).update(status=Proposal.Status.WITHDRAWN)

    response = accept(api, proposal)

    assert (response.status_code, response.json()["code"]) == (409, "proposal_not_open")
    assert nothing_booked()


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        ({"billing": {**BILLING, "vat_id": "DE136695977"}}, "billing.vat_id", "Germany"),
        ({"billing": {**BILLING, "vat_id": "NL004495445B01"}}, "billing.vat_id", "Germany"),
        ({"billing": {**BILLING, "country": "XX"}}, "billing.country", "two-letter code"),
        ({"billing": {**BILLING, "country": "Deutschland"}}, "billing.country", "two-letter"),
        ({"billing": {**BILLING, "company": ""}}, "billing.company", "organization's name"),
        ({"po_number": "P" * 51}, "po_number", "50 characters"),
        ({"contact": {"name": "Jonas", "email": "not-an-address"}}, "contact.email", "email"),
        ({"date_option": 999999}, "date_option", "times offered"),
        ({"payment": "cash"}, "payment", "invoice or by card"),
        ({"billing": None}, "billing", ""),
    ],
)
def test_bad_answers_are_refused_with_a_kind_field_error_and_store_nothing(
    api, sent, change, field, says
):
    proposal = sent()

    response = accept(api, proposal, **change)

    assert response.status_code == HTTPStatus.BAD_REQUEST, response.json()
    errors = response.json()["fields"]
    assert field in errors, errors
    assert says in " ".join(errors[field])
    assert nothing_booked()
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.SENT


def test_a_time_that_has_passed_cannot_be_chosen(api, sent):
    proposal = sent()
    option = proposal.options.first()

    with time_machine.travel(option.starts_at + timedelta(hours=1), tick=False):
        Proposal.objects.filter(pk=proposal.pk).update(
            valid_until=timezone.localdate() + timedelta(days=5)
        )
        response = accept(api, proposal, date_option=option.pk)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "passed" in " ".join(response.json()["fields"]["date_option"])
    assert nothing_booked()


def test_declining_tells_the_practice_and_loses_the_inquiry(api, sent):
    proposal = sent()

    response = api.post(
        f"/api/v1/proposals/{proposal.token}/decline/",
        {"reason": "Our budget moved to next year."},
        format="json",
    )

    assert response.status_code == HTTPStatus.OK
    assert response.json()["status"] == "declined"
    proposal.refresh_from_db()
    assert proposal.decline_reason == "Our budget moved to next year."
    assert proposal.inquiry.status == Inquiry.Status.LOST
    assert accept(api, proposal).status_code == HTTPStatus.CONFLICT


def test_one_person_is_offered_at_most_three_times(sent, settings):
    offering = OfferingFactory.create(kind=Offering.Kind.COACHING, price_cents=9500)
    inquiry = InquiryFactory.create(kind=Inquiry.Kind.PERSONAL_GUIDANCE, offering=offering)
    proposal = proposal_draft_from_inquiry(inquiry=inquiry)
    for day in range(4):
        ProposalDateOption.objects.create(
            proposal=proposal, starts_at=timezone.now() + timedelta(days=3 + day)
        )

    with pytest.raises(NotReadyToSend) as refused:
        proposal_send(proposal_id=proposal.pk)

    assert "at most 3" in str(refused.value.fields)
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.DRAFT
    assert (proposal.organization, proposal.seats) == (None, 1)


def test_the_page_accepts_with_the_same_checks(client, sent):
    proposal = sent()
    option = proposal.options.first()
    form = {
        "contact_name": CONTACT["name"],
        "contact_email": CONTACT["email"],
        **BILLING,
        "vat_id": "DE1",
        "date_option": str(option.pk),
        "payment": "invoice",
    }

    refused = client.post(f"/proposals/{proposal.token}/accept/", form)
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert "doesn&#x27;t look like one from Germany" in refused.content.decode()
    assert nothing_booked()

    accepted = client.post(f"/proposals/{proposal.token}/accept/", {**form, "vat_id": ""})

    assert accepted.status_code == HTTPStatus.FOUND
    booking = Enrollment.objects.get()
    assert accepted["Location"].startswith(f"/enrollments/{booking.token}/")
    page = client.get(f"/proposals/{proposal.token}/").content.decode()
    assert "this proposal is accepted" in page


def test_the_proposal_pdf_is_for_the_purchasing_department(client, sent):
    proposal = sent(discount_percent=Decimal(10))

    response = client.get(f"/proposals/{proposal.token}.pdf")

    assert response["Content-Type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    for expected in (
        proposal.reference,
        "Praxis Weber",
        "Discount 10%",
        "435.60 EUR",
        proposal.terms[:40],
    ):
        assert expected in text, expected
    assert client.get(f"/proposals/{proposal.token[:-1]}x.pdf").status_code == HTTPStatus.NOT_FOUND


def test_accepting_by_card_while_stripe_is_away_keeps_the_acceptance(api, client, sent):
    proposal = sent()  # Stripe is not reachable here: nothing stubs it

    response = accept(api, proposal, payment="card")

    assert response.status_code == HTTPStatus.CREATED
    assert response.json()["payment"] is None
    booking = Enrollment.objects.get()
    invoice = Invoice.objects.get()
    assert (booking.status, invoice.status) == (Enrollment.Status.PENDING_PAYMENT, "open")
    assert not OutgoingMail.objects.filter(kind="invoice_issued").exists()  # paid at once
    page = client.get(f"/invoices/{invoice.token}/").content.decode()
    assert f"/invoices/{invoice.token}/pay/" in page
