"""The bookkeeper's invoices in the admin: overdue first, transfers recorded in parts,
credit notes, and the exports for the books (DESIGN.md, Organizations, proposals, invoices)."""

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest
import time_machine
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, User

from billing.models import Invoice, InvoicePayment
from billing.services.invoices import BilledLine, Buyer, invoice_issue
from billing.tax import TaxRule
from config.roles import BOOKKEEPER, FACILITATOR, sync_roles

pytestmark = pytest.mark.django_db

URL = "/admin/billing/invoice/"


@pytest.fixture
def bookkeeper(client):
    sync_roles()
    user = User.objects.create_user("books", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=BOOKKEEPER))
    client.force_login(user)
    return user


def issue(name="Ada", rate="21", cents=24200, **extra):
    return invoice_issue(
        buyer=Buyer(name=name, email=f"{name.lower()}@example.org", company=f"{name} Clinic"),
        lines=[BilledLine("Team training", 1, cents, TaxRule(rate=Decimal(rate)))],
        currency="EUR",
        **extra,
    )


def post_action(client, action, invoice, **fields):
    return client.post(
        URL, {"action": action, "_selected_action": [invoice.pk], "apply": "1", **fields}
    )


def test_overdue_invoices_come_first(client, bookkeeper):
    with time_machine.travel(datetime(2026, 9, 1, tzinfo=UTC), tick=False):
        overdue = issue("Old")
    recent = issue("New")

    page = client.get(URL).content.decode()

    assert page.index(overdue.number) < page.index(recent.number)
    assert "(overdue)" in page


def test_a_bank_transfer_is_recorded_in_parts_with_who_and_when(client, bookkeeper):
    invoice = issue()

    form = client.post(URL, {"action": "record_bank_transfer", "_selected_action": [invoice.pk]})
    assert form.status_code == HTTPStatus.OK
    assert "242.00" in form.content.decode()
    post_action(
        client,
        "record_bank_transfer",
        invoice,
        amount="100.00",
        received_on="2026-12-01",
        reference="NL12 transfer",
    )
    post_action(client, "record_bank_transfer", invoice, amount="142.00", received_on="2026-12-05")

    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_cents) == (Invoice.Status.PAID, 24200)
    payments = list(invoice.payments.values_list("amount_cents", "reference", "recorded_by"))
    assert payments == [(10000, "NL12 transfer", bookkeeper.pk), (14200, "", bookkeeper.pk)]
    assert (
        LogEntry.objects.filter(change_message__startswith="Recorded a bank transfer").count() == 2
    )


def test_a_transfer_of_more_than_is_open_is_refused_and_stores_nothing(client, bookkeeper):
    invoice = issue()

    response = post_action(
        client, "record_bank_transfer", invoice, amount="500.00", received_on="2026-12-01"
    )

    assert "more than is open" in response.content.decode()
    assert not InvoicePayment.objects.exists()


def test_a_credit_note_from_the_admin(client, bookkeeper):
    invoice = issue()

    post_action(client, "issue_credit_note", invoice, amount="", reason="Training moved to 2027")

    note = Invoice.objects.get(kind=Invoice.Kind.CREDIT_NOTE)
    assert (note.refers_to, note.total_cents, note.reason) == (
        invoice,
        -24200,
        "Training moved to 2027",
    )
    assert note.created_by == bookkeeper


def test_the_exports_for_the_books(client, bookkeeper):
    first = issue("Ada", rate="21", cents=12100)
    issue("Bo", rate="9", cents=10900)
    exempt = issue("Cy", rate="0", cents=5000)
    selected = [i.pk for i in Invoice.objects.all()]

    listing = client.post(URL, {"action": "export_csv", "_selected_action": selected})
    totals = client.post(URL, {"action": "export_tax_totals", "_selected_action": selected})

    rows = list(csv.DictReader(io.StringIO(b"".join(listing.streaming_content).decode())))
    assert [row["number"] for row in rows] == [first.number, *[r["number"] for r in rows[1:]]]
    assert (rows[0]["buyer_company"], rows[0]["total"]) == ("Ada Clinic", "121.00")
    per_rate = list(csv.DictReader(io.StringIO(b"".join(totals.streaming_content).decode())))
    assert [(r["tax_rate"], r["net"], r["tax"], r["total"]) for r in per_rate] == [
        ("21.00", "100.00", "21.00", "121.00"),
        ("9.00", "100.00", "9.00", "109.00"),
        ("0.00", "50.00", "0.00", "50.00"),
    ]
    assert exempt.number in {row["number"] for row in rows}
    assert LogEntry.objects.filter(change_message="Exported as CSV.").count() == 3


def test_an_invoice_cannot_be_changed_or_deleted_in_the_admin(client, bookkeeper):
    invoice = issue()

    client.post(f"{URL}{invoice.pk}/change/", {"buyer_name": "Someone else"})
    delete = client.post(f"{URL}{invoice.pk}/delete/", {"post": "yes"})

    invoice.refresh_from_db()
    assert invoice.buyer_name == "Ada"
    assert delete.status_code == HTTPStatus.FORBIDDEN


def test_a_facilitator_sees_no_invoices(client):
    sync_roles()
    user = User.objects.create_user("fac", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=FACILITATOR))
    client.force_login(user)
    issue()

    assert client.get(URL).status_code == HTTPStatus.FORBIDDEN
    assert client.post(URL, {"action": "export_csv"}).status_code == HTTPStatus.FORBIDDEN


def test_paying_by_card_is_offered_while_open(client):
    invoice = issue()

    page = client.get(f"/invoices/{invoice.token}/").content.decode()

    assert f"/invoices/{invoice.token}/pay/" in page
    assert timedelta(days=30) == invoice.due_at - invoice.issued_at
