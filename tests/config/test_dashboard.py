"""The admin's front page: what needs the practice today, for the role that may read it."""

from datetime import timedelta
from http import HTTPStatus
from typing import Any

import pytest
from django.utils import timezone

from billing.models import Invoice, Refund, StripeEvent
from billing.services.invoices import BilledLine, Buyer, invoice_issue
from billing.tax import TaxRule
from config.roles import BOOKKEEPER, COORDINATOR, FACILITATOR, PRACTICE_LEAD
from enrollments.models import Enrollment
from organizations.models import Organization, Proposal
from outbox.models import OutgoingMail
from tests.factories import (
    EnrollmentFactory,
    FacilitatorFactory,
    InquiryFactory,
    PaymentFactory,
    SessionFactory,
    SurveyInvitationFactory,
)

pytestmark = pytest.mark.django_db

ALL_PANELS = {
    "next-sessions",
    "inquiries",
    "proposals",
    "overdue-invoices",
    "emails-given-up",
    "stripe-events",
    "failed-refunds",
    "low-scores",
}


def arrange_a_day() -> dict[str, Any]:
    """One thing for each panel to show, and one beside it that it must leave out."""
    now = timezone.now()
    soon = SessionFactory.create(
        capacity=3,
        starts_at=now + timedelta(days=2),
        offering__title="Holding space",
    )
    EnrollmentFactory.create(session=soon, seats=3, status=Enrollment.Status.CONFIRMED)
    EnrollmentFactory.create(session=soon, seats=2, status=Enrollment.Status.WAITLISTED)
    SessionFactory.create(starts_at=now - timedelta(days=2), offering__title="Long past")
    urgent = InquiryFactory.create(urgent=True, created_at=now - timedelta(hours=1))
    waiting = InquiryFactory.create(created_at=now - timedelta(days=3))
    answered = InquiryFactory.create(status="contacted")
    clinic = Organization.objects.create(name="Kliniek Noord")
    out = Proposal.objects.create(
        reference="PRO-DASH01",
        token="t" * 43,
        status=Proposal.Status.SENT,
        organization=clinic,
        contact_name="Cy",
        contact_email="cy@example.org",
        offering=soon.offering,
        price_cents=100,
        valid_until=(now + timedelta(days=10)).date(),
        terms="Terms.",
    )
    overdue = invoice_issue(
        buyer=Buyer(name="Cy", email="cy@example.org", company="Kliniek Noord"),
        lines=[BilledLine("Team training", 1, 90000, TaxRule())],
        currency="EUR",
        notify=False,
        now=now - timedelta(days=45),
    )
    invoice_issue(  # due in a month: not overdue
        buyer=Buyer(name="Ada", email="ada@example.org"),
        lines=[BilledLine("Workshop", 1, 18000, TaxRule())],
        currency="EUR",
        notify=False,
    )
    gave_up = OutgoingMail.objects.create(
        kind="enrollment_confirmation",
        to="ada@example.org",
        subject="Your booking",
        body_text="Hi",
        status=OutgoingMail.Status.FAILED,
        attempts=6,
        next_attempt_at=now,
    )
    StripeEvent.objects.create(stripe_id="evt_new", type="charge.refunded", payload={})
    late = StripeEvent.objects.create(
        stripe_id="evt_late", type="payment_intent.succeeded", payload={}
    )
    StripeEvent.objects.filter(pk=late.pk).update(received_at=now - timedelta(hours=2))
    refund = Refund.objects.create(
        payment=PaymentFactory.create(),
        amount_cents=4500,
        currency="EUR",
        reason=Refund.Reason.CANCELLATION,
        status=Refund.Status.FAILED,
        last_error="card_declined: the card was closed",
    )
    low = SurveyInvitationFactory.create(flagged=True, submitted_at=now - timedelta(days=1))
    SurveyInvitationFactory.create(flagged=True, submitted_at=now - timedelta(days=60))
    return {
        "soon": soon,
        "urgent": urgent,
        "waiting": waiting,
        "answered": answered,
        "proposal": out,
        "overdue": overdue,
        "gave_up": gave_up,
        "late": late,
        "refund": refund,
        "low": low,
    }


def panels(page) -> dict[str, Any]:
    return {shown.panel.key: shown for shown in page.context["dashboard"]}


def texts(shown) -> list[str]:
    return [line.text for line in shown.reading.lines]


def test_the_front_page_shows_what_needs_the_practice_today(client, as_role):
    day = arrange_a_day()
    as_role(PRACTICE_LEAD)  # every permission, by the role

    page = client.get("/admin/")

    assert page.status_code == HTTPStatus.OK
    shown = panels(page)
    assert set(shown) == ALL_PANELS
    session_line = shown["next-sessions"].reading.lines[0]  # the soonest first
    assert session_line.text.endswith("Holding space — 3 taken, 0 left, 2 waiting")
    assert session_line.flag == "full"
    assert session_line.url == f"/admin/workshops/session/{day['soon'].pk}/change/"
    inquiries = shown["inquiries"].reading.lines
    assert [line.flag for line in inquiries] == ["urgent", ""]  # the urgent one first
    assert inquiries[0].text.startswith(day["urgent"].reference)
    assert inquiries[1].text.startswith(day["waiting"].reference)
    assert day["waiting"].name not in page.content.decode()  # references, never names
    assert texts(shown["proposals"])[0].startswith("PRO-DASH01 · Kliniek Noord · valid until")
    [overdue] = texts(shown["overdue-invoices"])
    assert overdue.startswith(f"{day['overdue'].number} · Kliniek Noord · 900.00 EUR · due")
    assert texts(shown["emails-given-up"])[0].startswith(
        f"enrollment_confirmation (number {day['gave_up'].pk})"
    )
    assert texts(shown["stripe-events"]) == ["payment_intent.succeeded · received 2\xa0hours ago"]
    assert texts(shown["failed-refunds"]) == [
        "45.00 EUR · Cancelled by the participant · card_declined: the card was closed"
    ]
    assert len(shown["low-scores"].reading.lines) == 1  # last month's only
    body = page.content.decode()
    assert 'href="/admin/inquiries/inquiry/?status__exact=new"' in body
    assert f'href="/admin/billing/refund/{day["refund"].pk}/change/"' in body


def test_a_quiet_day_says_so_in_each_panel(client, as_role):
    as_role(COORDINATOR)

    body = client.get("/admin/").content.decode()

    assert "Every inquiry has had an answer." in body
    assert "No proposal is waiting for an answer." in body
    assert "Every email has gone out or is on its way." in body


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        (
            COORDINATOR,
            {"next-sessions", "inquiries", "proposals", "overdue-invoices", "emails-given-up"}
            | {"failed-refunds", "low-scores"},
        ),
        (
            BOOKKEEPER,
            {"next-sessions", "proposals", "overdue-invoices", "stripe-events", "failed-refunds"},
        ),
        (FACILITATOR, {"next-sessions"}),
    ],
)
def test_each_role_sees_the_panels_it_may_read(client, as_role, role, sees):
    arrange_a_day()
    as_role(role)

    assert set(panels(client.get("/admin/"))) == sees


def test_a_facilitator_sees_only_the_sessions_they_lead(client, as_role):
    day = arrange_a_day()
    user = as_role(FACILITATOR)
    theirs = SessionFactory.create(
        starts_at=timezone.now() + timedelta(days=5), offering__title="Their own"
    )
    theirs.offering.facilitators.add(FacilitatorFactory.create(user=user))

    shown = panels(client.get("/admin/"))["next-sessions"]

    assert [line.text.split(" · ")[1] for line in shown.reading.lines] == [
        "Their own — 0 taken, 12 left"
    ]
    assert day["soon"].offering.title not in client.get("/admin/").content.decode()


def test_a_long_list_shows_its_first_and_says_how_many_more(client, as_role):
    for _ in range(11):
        InquiryFactory.create()
    as_role(COORDINATOR)

    shown = panels(client.get("/admin/"))["inquiries"]

    assert (len(shown.reading.lines), shown.reading.count, shown.more) == (8, 11, 3)
    assert "3 more — see them all" in client.get("/admin/").content.decode()


def test_an_invoice_paid_is_no_longer_overdue(client, as_role):
    day = arrange_a_day()
    Invoice.objects.filter(pk=day["overdue"].pk).update(status=Invoice.Status.PAID)
    as_role(BOOKKEEPER)

    assert panels(client.get("/admin/"))["overdue-invoices"].reading.count == 0
