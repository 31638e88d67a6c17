"""The coordinator's side: drafting a proposal from an inquiry, sending it, and an
organization's page with its whole pipeline and what it still owes."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from config.roles import COORDINATOR, FACILITATOR, sync_roles
from enrollments.services.roster import ParticipantInput
from inquiries.models import Inquiry
from organizations.models import Organization, Proposal, ProposalDateOption
from organizations.services import proposal_accept, proposal_send
from outbox.models import OutgoingMail
from tests.factories import InquiryFactory, OfferingFactory
from workshops.models import Offering

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_settings")]


@pytest.fixture
def coordinator(client):
    sync_roles()
    user = User.objects.create_user("coordinator", is_staff=True)
    user.groups.add(Group.objects.get(name=COORDINATOR))
    client.force_login(user)
    return user


def team_inquiry():
    offering = OfferingFactory.create(kind=Offering.Kind.TEAM_TRAINING, price_cents=12100)
    return InquiryFactory.create(
        kind=Inquiry.Kind.TEAM_TRAINING, organization="Praxis Weber", team_size=3, offering=offering
    )


def test_a_proposal_is_drafted_from_an_inquiry_and_not_sent_without_times(client, coordinator):
    inquiry = team_inquiry()

    drafted = client.post(
        "/admin/inquiries/inquiry/", {"action": "draft_proposal", "_selected_action": [inquiry.pk]}
    )
    proposal = Proposal.objects.get()
    assert drafted["Location"] == f"/admin/organizations/proposal/{proposal.pk}/change/"
    sent = client.post(
        "/admin/organizations/proposal/",
        {"action": "send", "_selected_action": [proposal.pk]},
        follow=True,
    )

    assert "was not sent: Offer at least one time." in sent.content.decode()
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.DRAFT
    assert not OutgoingMail.objects.filter(kind="proposal_sent").exists()
    assert client.get(f"/admin/organizations/proposal/{proposal.pk}/change/").status_code == 200


def test_a_general_question_has_no_proposal(client, coordinator):
    inquiry = InquiryFactory.create(kind=Inquiry.Kind.GENERAL)

    page = client.post(
        "/admin/inquiries/inquiry/",
        {"action": "draft_proposal", "_selected_action": [inquiry.pk]},
        follow=True,
    )

    assert "team-training or personal-guidance" in page.content.decode()
    assert not Proposal.objects.exists()


def test_the_organization_page_shows_its_pipeline_and_open_balance(client, coordinator):
    inquiry = team_inquiry()
    client.post(
        "/admin/inquiries/inquiry/", {"action": "draft_proposal", "_selected_action": [inquiry.pk]}
    )
    proposal = Proposal.objects.get()
    ProposalDateOption.objects.create(
        proposal=proposal, starts_at=timezone.now() + timedelta(days=9)
    )
    proposal_send(proposal_id=proposal.pk)
    accepted = proposal_accept(
        proposal_id=proposal.pk,
        contact=ParticipantInput(name="Jonas", email="jonas@clinic.example"),
        billing={
            "company": "Praxis Weber GmbH",
            "address": "Hauptstraße 5",
            "postal_code": "10115",
            "city": "Berlin",
            "country": "DE",
            "vat_id": "",
        },
    )
    organization = Organization.objects.get()
    assert accepted.invoice is not None

    page = client.get(f"/admin/organizations/organization/{organization.pk}/change/")

    text = page.content.decode()
    for expected in (
        inquiry.reference,
        proposal.reference,
        accepted.enrollment.reference,
        accepted.invoice.number,
        "363.00 EUR",  # open
    ):
        assert expected in text, expected


def test_the_admin_refuses_a_vat_id_that_does_not_fit_its_country(client, coordinator):
    response = client.post(
        "/admin/organizations/organization/add/",
        {
            "name": "Clinique Claire",
            "country": "FR",
            "vat_id": "DE136695976",
            "contacts-TOTAL_FORMS": "0",
            "contacts-INITIAL_FORMS": "0",
            "proposals-TOTAL_FORMS": "0",
            "proposals-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == HTTPStatus.OK
    assert "doesn&#x27;t fit the country" in response.content.decode()
    assert not Organization.objects.exists()


def test_a_facilitator_sees_no_organizations(client):
    sync_roles()
    user = User.objects.create_user("fac", is_staff=True)
    user.groups.add(Group.objects.get(name=FACILITATOR))
    client.force_login(user)

    for path in ("/admin/organizations/organization/", "/admin/organizations/proposal/"):
        assert client.get(path).status_code == HTTPStatus.FORBIDDEN
