"""DESIGN.md invariant 7: staff do only what their role allows; one who may only view
changes nothing, whatever admin action they post."""

from http import HTTPStatus

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group, Permission, User
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from billing.models import Payment, Refund, StripeEvent
from billing.services.invoices import BilledLine, Buyer, invoice_issue
from billing.tax import TaxRule
from certificates.models import Certificate
from config import events
from config.references import new_token
from enrollments.models import DiscountCode, Enrollment
from integrations.models import CalendarFeed, WebhookEndpoint
from integrations.staff_tokens import staff_token_create
from integrations.webhooks import new_secret, webhook_event
from organizations.models import Contact, Organization, Proposal, ProposalDateOption
from outbox.models import OutgoingMail, PracticeAlert
from surveys.models import OrganizationReport
from tests.factories import (
    EnrollmentFactory,
    FacilitatorFactory,
    InquiryFactory,
    ParticipantFactory,
    PaymentFactory,
    SessionFactory,
    SurveyInvitationFactory,
    TopicFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_settings")]

# Every action of every registered admin when this test was written; more may come.
ACTIONS_AT_LEAST = 38
PROJECT_APPS = (
    "outbox",
    "workshops",
    "billing",
    "enrollments",
    "inquiries",
    "organizations",
    "surveys",
    "integrations",
)


@pytest.fixture
def world():
    """A row of every model the admin lists, for every action to be posted on."""
    session = SessionFactory.create(offering__is_published=True)
    enrollment = EnrollmentFactory.create(session=session)
    ParticipantFactory.create(enrollment=enrollment)
    payment = PaymentFactory.create(enrollment=enrollment)
    Refund.objects.create(payment=payment, amount_cents=100, currency="EUR", reason="admin")
    StripeEvent.objects.create(stripe_id="evt_test_1", type="payment_intent.succeeded", payload={})
    InquiryFactory.create()
    SurveyInvitationFactory.create()
    TopicFactory.create()
    FacilitatorFactory.create()
    OutgoingMail.objects.create(
        kind="note",
        to="ada@example.org",
        subject="Hello",
        body_text="Hi",
        next_attempt_at=session.starts_at,
    )
    Group.objects.create(name="Helpers")
    TOTPDevice.objects.create(user=User.objects.create_user("lead"), name="phone")
    PracticeAlert.objects.create(kind="refund_failed", text="A refund failed.")
    organization = Organization.objects.create(name="A clinic", billing_email="c@example.org")
    Contact.objects.create(organization=organization, name="Cy", email="cy@example.org")
    proposal = Proposal.objects.create(
        reference="PRO-TEST22",
        token=new_token(),
        organization=organization,
        contact_name="Cy",
        contact_email="cy@example.org",
        offering=session.offering,
        price_cents=100,
        valid_until=session.starts_at.date(),
        terms="Terms.",
    )
    ProposalDateOption.objects.create(proposal=proposal, starts_at=session.starts_at)
    OrganizationReport.objects.create(organization=organization, token=new_token())
    CalendarFeed.objects.create(token=new_token())
    staff_token_create(
        user=User.objects.create_user("crm", is_staff=True), name="CRM", scopes=["sessions"]
    )
    WebhookEndpoint.objects.create(
        url="https://crm.example.org/hooks", events=["invoice.paid"], secret=new_secret()
    )
    with transaction.atomic():
        webhook_event("invoice.paid", {"invoice": "2026-00001"})
    DiscountCode.objects.create(code="SPRING25", percent_off=25)
    invoice_issue(
        buyer=Buyer(name="Ada", email="ada@example.org"),
        lines=[BilledLine("Workshop", 1, 18000, TaxRule())],
        currency="EUR",
    )
    Certificate.objects.create(
        code="ABCDEFGHJKMNPQRS",
        kind="attendance",
        participant_name="Ada",
        email="ada@example.org",
        offering_title="A workshop",
        dates="1 December",
        starts_on=session.starts_at.date(),
        issued_at=session.starts_at,
    )
    return enrollment, payment


@pytest.fixture
def viewer(client):
    """Staff who may view everything, and nothing else."""
    user = User.objects.create_user("viewer", password="x", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    client.force_login(user)
    return client


def every_action():
    for model, model_admin in admin.site._registry.items():
        for _, name, _ in model_admin._get_base_actions():  # type: ignore[attr-defined]
            yield model, name


def everything() -> dict[str, list[dict]]:
    """Every row of every model of the project's apps, and the staff accounts and groups."""
    tables = {}
    for app_label in (*PROJECT_APPS, "auth", "otp_totp"):
        for model in apps.get_app_config(app_label).get_models():
            tables[model._meta.label] = list(model._default_manager.order_by("pk").values())
    return tables


def test_every_registered_action_is_counted():
    assert len(list(every_action())) >= ACTIONS_AT_LEAST


def test_staff_who_may_only_view_change_nothing_by_any_action(
    viewer, world, monkeypatch, django_capture_on_commit_callbacks
):
    published: list[events.Event] = []

    def publish(event: events.Event) -> list[object]:
        published.append(event)
        return []

    monkeypatch.setattr(events, "publish", publish)
    before = everything()

    with django_capture_on_commit_callbacks() as queued:
        for model, action in every_action():
            selected = model._default_manager.order_by("pk").first()
            url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
            response = viewer.post(
                url,
                {
                    "action": action,
                    "_selected_action": [selected.pk],
                    # Every confirmation the actions ask for, already given.
                    "confirmed": "yes",
                    "post": "yes",
                    "apply": "1",
                    "amount": "1.00",
                },
            )
            assert response.status_code in {HTTPStatus.OK, HTTPStatus.FOUND}, (model, action)

    assert everything() == before
    assert published == []
    assert queued == []  # no email, no refund, no cancellation queued for after commit
    enrollment, payment = world
    assert Refund.objects.count() == 1
    enrollment.refresh_from_db()
    payment.refresh_from_db()
    assert enrollment.status == Enrollment.Status.CONFIRMED
    assert payment.status == Payment.Status.SUCCEEDED


def test_staff_who_may_only_view_see_no_action_that_changes(viewer, world):
    for model, model_admin in admin.site._registry.items():
        request = viewer.get(
            f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        ).wsgi_request
        offered = set(model_admin.get_actions(request))
        # Reading actions only: the CSVs (no inquiry messages in them) and nothing else.
        assert offered <= {"export_csv", "export_tax_totals"}, (model, offered)
