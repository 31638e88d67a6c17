"""From an inquiry to a proposal, a booking, an invoice and a named roster, as people and
the practice go through it over HTTP (DESIGN.md, Organizations, proposals, invoices): a
live server, the official stripe library against localstripe, a Celery worker on Redis and
an SMTP server on loopback."""

import re
from datetime import timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest
import requests
from django.contrib.auth.models import Group, User
from django.utils import timezone

from billing.models import Invoice
from config.roles import BOOKKEEPER, COORDINATOR, sync_roles
from enrollments.models import Enrollment
from inquiries.models import Inquiry
from organizations.models import Proposal, ProposalDateOption
from tests.factories import OfferingFactory
from tests.stand_ins import wait_until
from workshops.models import Offering, Session

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
def world(live_server, localstripe, celery_worker, smtp_sink, settings):
    localstripe.deliver_webhooks_to(f"{live_server.url}/api/v1/billing/stripe/webhook/")
    settings.SITE_URL = live_server.url
    settings.DEFAULT_TAX_RATE = Decimal(21)
    sync_roles()
    return live_server


def staff(client, role):
    user, _ = User.objects.get_or_create(username=role.lower(), defaults={"is_staff": True})
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return user


def text_of(message):
    return message.get_body(preferencelist=("plain",)).get_content()


def links_in(smtp_sink, to, path):
    """The links to `path` in the emails `to` got, newest last."""
    found = []
    for message in smtp_sink.messages:
        if message["To"] == to:
            found += re.findall(rf"https?://\S+{path}\S+/", text_of(message))
    return found


def pay_at_localstripe(localstripe, intent_id):
    """What Stripe Elements does in the person's browser."""
    client = localstripe.client()
    client.v1.payment_intents.update(intent_id, params={"payment_method": "pm_card_visa"})
    assert client.v1.payment_intents.confirm(intent_id).status == "succeeded"


def send_from_the_admin(client, inquiry_ref, times, **changes):
    """The coordinator drafts a proposal from the inquiry, offers the times, sends it."""
    inquiry = Inquiry.objects.get(reference=inquiry_ref)
    client.post(
        "/admin/inquiries/inquiry/",
        {"action": "draft_proposal", "_selected_action": [inquiry.pk]},
    )
    proposal = Proposal.objects.get(inquiry=inquiry)
    Proposal.objects.filter(pk=proposal.pk).update(**changes)
    for starts_at in times:
        ProposalDateOption.objects.create(proposal=proposal, starts_at=starts_at)
    response = client.post(
        "/admin/organizations/proposal/", {"action": "send", "_selected_action": [proposal.pk]}
    )
    assert response.status_code == HTTPStatus.FOUND
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.SENT
    return proposal


def test_one_person_picks_one_of_three_times_and_pays_at_localstripe(
    world, client, localstripe, smtp_sink
):
    OfferingFactory.create(
        kind=Offering.Kind.COACHING,
        title="Personal guidance",
        price_cents=9500,
        duration_minutes=60,
    )
    asked = requests.post(
        f"{world.url}/api/v1/inquiries/",
        json={
            "kind": "personal_guidance",
            "name": "Zoë Ørsted",
            "email": "zoe@example.org",
            "message": "I'd like to talk about burnout in my team and in myself.",
            "consent": True,
        },
        timeout=30,
    ).json()
    staff(client, COORDINATOR)
    soon = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=7)
    times = [soon, soon + timedelta(days=1), soon + timedelta(days=2)]
    send_from_the_admin(client, asked["reference"], times)
    wait_until(lambda: links_in(smtp_sink, "zoe@example.org", "/proposals/"))
    [link] = links_in(smtp_sink, "zoe@example.org", "/proposals/")
    token = link.rstrip("/").rsplit("/", 1)[1]
    offer_mail = next(m for m in smtp_sink.messages if "/proposals/" in text_of(m))
    assert offer_mail["Subject"] == "Your appointment with Regard"  # never the topic

    read = requests.get(f"{world.url}/api/v1/proposals/{token}/", timeout=30).json()
    assert [option["starts_at"][:16] for option in read["date_options"]] == [
        t.isoformat()[:16] for t in times
    ]
    assert (read["total"], read["payment_methods"]) == ("95.00", ["card"])
    second = read["date_options"][1]["id"]
    accepted = requests.post(
        f"{world.url}/api/v1/proposals/{token}/accept/",
        json={"contact": {"name": "Zoë Ørsted", "email": "zoe@example.org"}, "date_option": second},
        timeout=30,
    )
    assert accepted.status_code == HTTPStatus.CREATED, accepted.text
    body = accepted.json()
    assert Enrollment.objects.get().status == Enrollment.Status.PENDING_PAYMENT

    pay_at_localstripe(localstripe, body["payment"]["payment_intent"])

    wait_until(lambda: Enrollment.objects.get().status == Enrollment.Status.CONFIRMED)
    invoice = Invoice.objects.get(number=body["invoice"]["number"])
    wait_until(lambda: Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.PAID)
    [session] = Session.objects.all()  # the chosen time only: the other two are not booked
    assert (session.starts_at, session.is_public, session.capacity) == (times[1], False, 1)
    wait_until(
        lambda: any(
            part.get_filename() == "session.ics"
            for m in smtp_sink.messages
            if m["To"] == "zoe@example.org"
            for part in m.iter_attachments()
        )
    )
    subjects = {m["Subject"] for m in smtp_sink.messages if m["To"] == "zoe@example.org"}
    assert "Your appointment with Regard" in subjects  # discreet: never what it is about
    assert not any("guidance" in s.lower() for s in subjects)
    assert Inquiry.objects.get().status == Inquiry.Status.WON


def organization_accepts(world, client, smtp_sink, payment):
    team = OfferingFactory.create(
        kind=Offering.Kind.TEAM_TRAINING,
        title="Holding space together",
        price_cents=12100,
        format=Offering.Format.IN_PERSON,
    )
    asked = requests.post(
        f"{world.url}/api/v1/inquiries/",
        json={
            "kind": "team_training",
            "name": "Jonas Weber",
            "email": "jonas@clinic.example",
            "organization": "Praxis Weber",
            "team_size": 3,
            "offering": team.slug,
            "message": "Our team would like a day on difficult conversations.",
            "consent": True,
        },
        timeout=30,
    ).json()
    staff(client, COORDINATOR)
    starts = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=21)
    proposal = send_from_the_admin(client, asked["reference"], [starts])
    wait_until(lambda: links_in(smtp_sink, "jonas@clinic.example", "/proposals/"))
    accepted = requests.post(
        f"{world.url}/api/v1/proposals/{proposal.token}/accept/",
        json={
            "contact": {"name": "Jonas Weber", "email": "jonas@clinic.example"},
            "billing": {
                "company": "Praxis Weber GmbH",
                "address": "Hauptstraße 5",
                "postal_code": "10115",
                "city": "Berlin",
                "country": "DE",
                "vat_id": "DE136695976",
            },
            "po_number": "PO-2026-0042",
            "payment": payment,
        },
        timeout=30,
    )
    assert accepted.status_code == HTTPStatus.CREATED, accepted.text
    return accepted.json()


def name_three(world, booking_token):
    named = requests.put(
        f"{world.url}/api/v1/enrollments/{booking_token}/participants/",
        json={
            "participants": [
                {"name": "Ana Silva", "email": "ana@clinic.example"},
                {"name": "Bo Jensen", "email": "bo@clinic.example"},
                {"name": "Chidi Okafor", "email": "chidi@clinic.example"},
            ]
        },
        timeout=30,
    )
    assert named.status_code == HTTPStatus.OK, named.text


def each_got_a_calendar_file(smtp_sink, addresses):
    def got(address):
        return any(
            part.get_filename() == "session.ics"
            for m in smtp_sink.messages
            if m["To"] == address
            for part in m.iter_attachments()
        )

    wait_until(lambda: all(got(address) for address in addresses))


def test_an_organization_accepts_by_invoice_names_three_and_pays_by_card(
    world, client, localstripe, smtp_sink
):
    accepted = organization_accepts(world, client, smtp_sink, "invoice")

    booking = Enrollment.objects.get(token=accepted["enrollment"]["token"])
    invoice = Invoice.objects.get(number=accepted["invoice"]["number"])
    assert (booking.status, booking.seats) == (Enrollment.Status.CONFIRMED, 3)
    assert (invoice.status, invoice.po_number, invoice.buyer_vat_id) == (
        "open",
        "PO-2026-0042",
        "DE136695976",
    )
    # In person in Amsterdam: taxed where it takes place, whoever buys.
    assert (invoice.net_cents, invoice.tax_cents, invoice.total_cents) == (30000, 6300, 36300)
    wait_until(lambda: links_in(smtp_sink, "jonas@clinic.example", "/invoices/"))
    assert Inquiry.objects.get().status == Inquiry.Status.WON

    name_three(world, booking.token)
    each_got_a_calendar_file(
        smtp_sink, ["ana@clinic.example", "bo@clinic.example", "chidi@clinic.example"]
    )

    paying = requests.post(f"{world.url}/api/v1/invoices/{invoice.token}/pay/", timeout=30)
    assert paying.status_code == HTTPStatus.OK, paying.text
    pay_at_localstripe(localstripe, paying.json()["payment_intent"])

    wait_until(lambda: Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.PAID)
    again = requests.post(f"{world.url}/api/v1/invoices/{invoice.token}/pay/", timeout=30)
    assert again.status_code == HTTPStatus.CONFLICT
    assert again.json()["code"] == "invoice_not_open"
    wait_until(lambda: any("is paid" in m["Subject"] for m in smtp_sink.messages))


def test_an_organization_pays_by_bank_transfer_and_a_cancellation_is_credited(
    world, client, smtp_sink
):
    accepted = organization_accepts(world, client, smtp_sink, "invoice")
    invoice = Invoice.objects.get(number=accepted["invoice"]["number"])
    staff(client, BOOKKEEPER)

    for amount in ("200.00", "163.00"):  # a part payment, then the rest
        client.post(
            "/admin/billing/invoice/",
            {
                "action": "record_bank_transfer",
                "_selected_action": [invoice.pk],
                "apply": "1",
                "amount": amount,
                "received_on": timezone.localdate().isoformat(),
                "reference": "NL91 transfer",
            },
        )
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_cents) == (Invoice.Status.PAID, 36300)

    # A second team books, by invoice, and then cancels before paying: a credit note.
    second = organization_accepts(world, client, smtp_sink, "invoice")
    cancelled = requests.post(
        f"{world.url}/api/v1/enrollments/{second['enrollment']['token']}/cancel/", timeout=30
    )
    assert cancelled.status_code == HTTPStatus.OK, cancelled.text
    unpaid = Invoice.objects.get(number=second["invoice"]["number"])
    note = unpaid.credit_notes.get()
    unpaid.refresh_from_db()
    assert (note.total_cents, unpaid.status) == (-36300, Invoice.Status.VOID)
