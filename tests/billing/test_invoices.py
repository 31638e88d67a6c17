"""Invoices and credit notes (DESIGN.md, Organizations, proposals, invoices; invariant 10):
tax per line, numbers per series, never an edit, part payments, credit notes, reminders,
and the PDF as a purchasing department reads it."""

import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest
import time_machine
from django.utils import timezone
from pypdf import PdfReader

from billing.models import Invoice, InvoicePayment, Payment, Refund
from billing.pdf import invoice_pdf
from billing.services.invoice_payments import invoice_correct, invoice_settle_card_payment
from billing.services.invoices import (
    BilledLine,
    Buyer,
    InvoiceNotOpen,
    credit_note_issue,
    invoice_issue,
    invoice_record_payment,
    invoices_remind,
    rate_totals,
)
from billing.tax import TaxRule, line_amounts, treatment_for, vat_id_fits
from config.errors import InvalidInput
from outbox.models import OutgoingMail
from tests.factories import EnrollmentFactory, PaymentFactory

pytestmark = pytest.mark.django_db

ADA = Buyer(name="Ada Lovelace", email="ada@example.org", country="NL")
CLINIC_DE = Buyer(
    name="Jonas Weber",
    email="jonas@example.de",
    company="Praxis Weber GmbH",
    address="Hauptstraße 5",
    postal_code="10115",
    city="Berlin",
    country="DE",
    vat_id="DE136695976",
)


def issue(buyer=ADA, *lines, **extra):
    lines = lines or (BilledLine("Workshop, 3 Dec 2026", 2, 12100, TaxRule(rate=Decimal(21))),)
    return invoice_issue(buyer=buyer, lines=lines, currency="EUR", **extra)


def credit(invoice, **what):
    note = credit_note_issue(invoice_id=invoice.pk, **what)
    assert note is not None
    return note


# --- Tax, per line ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("include", "rate", "exempt", "online", "buyer", "expected"),
    [
        # prices include tax: the price is the total
        (True, "21", False, False, ADA, (10000, 2100, 12100)),
        (True, "9", False, False, ADA, (11101, 999, 12100)),
        (True, "0", False, False, ADA, (12100, 0, 12100)),
        (True, "21", True, False, ADA, (12100, 0, 12100)),  # exempt: its own net
        # prices without tax: tax on top, rounded half up per line
        (False, "21", False, False, ADA, (12100, 2541, 14641)),
        (False, "9", False, False, ADA, (12100, 1089, 13189)),
        (False, "0", False, False, ADA, (12100, 0, 12100)),
        # reverse charge: online, a business elsewhere in the EU with a well-formed VAT ID
        (True, "21", False, True, CLINIC_DE, (10000, 0, 10000)),
        (False, "21", False, True, CLINIC_DE, (12100, 0, 12100)),
        # in person it is taxed where it takes place, whoever buys
        (True, "21", False, False, CLINIC_DE, (10000, 2100, 12100)),
    ],
)
def test_a_line_is_net_plus_tax_rounded_on_the_line(
    settings, include, rate, exempt, online, buyer, expected
):
    settings.PRICES_INCLUDE_TAX = include
    rule = TaxRule(rate=Decimal(rate), exempt=exempt, online=online)
    treatment = treatment_for(rule, buyer_country=buyer.country, buyer_vat_id=buyer.vat_id)

    amounts = line_amounts(quantity=1, unit_price_cents=12100, rule=rule, treatment=treatment)

    assert (amounts.net_cents, amounts.tax_cents, amounts.total_cents) == expected
    assert amounts.net_cents + amounts.tax_cents == amounts.total_cents


def test_rounding_is_per_line_and_the_totals_add_up_per_rate(settings):
    settings.PRICES_INCLUDE_TAX = False
    invoice = issue(
        ADA,
        BilledLine("Workshop", 3, 333, TaxRule(rate=Decimal(21))),  # 999 → 209.79 → 210
        BilledLine("Workbook", 1, 1005, TaxRule(rate=Decimal(9))),  # 1005 → 90.45 → 90
        BilledLine("Supervision", 1, 5000, TaxRule(exempt=True)),
    )

    assert [(t.rate, t.net_cents, t.tax_cents) for t in rate_totals(invoice)] == [
        (Decimal("21.00"), 999, 210),
        (Decimal("9.00"), 1005, 90),
        (Decimal("0.00"), 5000, 0),
    ]
    assert (invoice.net_cents, invoice.tax_cents, invoice.total_cents) == (7004, 300, 7304)
    assert settings.TAX_EXEMPT_NOTE in invoice.notes


@pytest.mark.parametrize(
    ("vat_id", "country", "fits"),
    [
        ("DE136695976", "DE", True),
        ("DE 136 695 976", "DE", True),
        ("DE136695977", "DE", False),  # a check digit off
        ("DE136695976", "NL", False),  # not that country's
        ("NL004495445B01", "NL", True),
        ("EL094259216", "GR", True),  # Greece writes EL
        ("hello", "DE", False),
    ],
)
def test_a_vat_id_is_checked_against_its_country(vat_id, country, fits):
    assert vat_id_fits(vat_id, country) is fits


def test_reverse_charge_says_so_on_the_invoice(settings):
    invoice = issue(
        CLINIC_DE, BilledLine("Online training", 1, 60500, TaxRule(Decimal(21), online=True))
    )

    assert invoice.reverse_charge
    assert invoice.tax_cents == 0
    assert settings.REVERSE_CHARGE_NOTE in invoice.notes


# --- Numbers -----------------------------------------------------------------------------


def test_numbers_follow_each_other_per_series_and_year_in_the_practice_zone(settings):
    settings.PRACTICE_TIME_ZONE = "Europe/Amsterdam"
    # 23:30 UTC on New Year's Eve is already the new year in Amsterdam.
    with time_machine.travel(datetime(2026, 12, 31, 22, 0, tzinfo=UTC), tick=False):
        first, second = issue(), issue()
        note = credit(first, reason="Cancelled")
    with time_machine.travel(datetime(2026, 12, 31, 23, 30, tzinfo=UTC), tick=False):
        new_year = issue()

    assert [first.number, second.number, note.number] == ["2026-00001", "2026-00002", "2026-C00001"]
    assert new_year.number == "2027-00001"


def test_a_number_format_without_a_year_runs_on(settings):
    settings.INVOICE_NUMBER_FORMAT = "RG-{n}"
    with time_machine.travel(datetime(2026, 6, 1, tzinfo=UTC), tick=False):
        issue()
    with time_machine.travel(datetime(2027, 6, 1, tzinfo=UTC), tick=False):
        assert issue().number == "RG-2"


def test_an_invoice_is_never_deleted():
    invoice = issue()

    with pytest.raises(PermissionError):
        invoice.delete()
    assert Invoice.objects.filter(pk=invoice.pk).exists()


def test_the_invoice_holds_a_snapshot_of_seller_and_buyer(settings):
    settings.PRACTICE_NAME = "Practice Before"
    invoice = issue(CLINIC_DE, po_number="PO-77")
    settings.PRACTICE_NAME = "Practice After"

    invoice.refresh_from_db()
    assert invoice.seller_name == "Practice Before"
    assert (invoice.buyer_company, invoice.buyer_vat_id, invoice.po_number) == (
        "Praxis Weber GmbH",
        "DE136695976",
        "PO-77",
    )


# --- Paying ------------------------------------------------------------------------------


def test_part_payments_add_up_and_then_it_is_paid(mailoutbox):
    invoice = issue()  # 242.00
    invoice_record_payment(invoice_id=invoice.pk, amount_cents=10000, received_on=date(2026, 12, 2))
    invoice.refresh_from_db()
    assert (invoice.status, invoice.open_cents) == (Invoice.Status.OPEN, 14200)

    invoice_record_payment(
        invoice_id=invoice.pk, amount_cents=14200, received_on=date(2026, 12, 9), reference="NL-77"
    )

    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_cents, invoice.open_cents) == ("paid", 24200, 0)
    assert OutgoingMail.objects.filter(kind="invoice_paid").count() == 1


def test_more_than_is_open_or_nothing_is_refused_and_stores_nothing():
    invoice = issue()

    for amount in (24201, 0, -5):
        with pytest.raises(InvalidInput) as refused:
            invoice_record_payment(
                invoice_id=invoice.pk, amount_cents=amount, received_on=timezone.localdate()
            )
        assert "amount" in (refused.value.fields or {})
    assert not InvoicePayment.objects.exists()


def test_paying_a_paid_invoice_is_a_conflict():
    invoice = issue()
    invoice_record_payment(
        invoice_id=invoice.pk, amount_cents=24200, received_on=timezone.localdate()
    )

    with pytest.raises(InvoiceNotOpen):
        invoice_record_payment(
            invoice_id=invoice.pk, amount_cents=1, received_on=timezone.localdate()
        )


def test_a_card_payment_pays_it_and_a_second_one_is_given_back(settings):
    invoice = issue()
    first = PaymentFactory.create(
        enrollment=None,
        payable=invoice,
        payable_reference=invoice.number,
        amount_cents=24200,
        status=Payment.Status.PENDING,
    )
    second = PaymentFactory.create(
        enrollment=None,
        payable=invoice,
        payable_reference=invoice.number,
        amount_cents=24200,
        status=Payment.Status.PENDING,
    )

    assert invoice_settle_card_payment(payment_id=first.pk, invoice_id=invoice.pk) == (
        "invoice payment recorded"
    )
    assert invoice_settle_card_payment(payment_id=first.pk, invoice_id=invoice.pk) == (
        "already applied"
    )
    assert "refunded" in invoice_settle_card_payment(payment_id=second.pk, invoice_id=invoice.pk)

    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_cents) == ("paid", 24200)
    assert Refund.objects.get().payment == second


# --- Credit notes ------------------------------------------------------------------------


def test_a_credit_note_in_full_voids_an_unpaid_invoice():
    invoice = issue()

    note = credit(invoice, reason="The session was cancelled")

    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.VOID
    assert (note.kind, note.refers_to, note.total_cents) == ("credit_note", invoice, -24200)
    assert sum(line.total_cents for line in note.lines.all()) == -24200
    assert credit_note_issue(invoice_id=invoice.pk, reason="again") is None  # nothing left


def test_a_part_credit_keeps_net_plus_tax_at_the_lines_rate():
    invoice = issue()

    note = credit(invoice, reason="One seat less", total_cents=12100)

    [line] = note.lines.all()
    assert (line.net_cents, line.tax_cents, line.total_cents) == (-10000, -2100, -12100)
    invoice.refresh_from_db()
    assert invoice.open_cents == 12100


def test_a_refund_of_a_receipt_is_a_credit_note(stripe_settings):
    booking = EnrollmentFactory.create(amount_cents=24200)
    payment = PaymentFactory.create(enrollment=booking, amount_cents=24200)
    invoice = issue(payable=booking, reference=booking.reference)
    invoice_record_payment(
        invoice_id=invoice.pk,
        amount_cents=24200,
        received_on=timezone.localdate(),
        method=InvoicePayment.Method.CARD,
        payment=payment,
    )
    from billing.services.refunds import refund_create

    refund_create(payable=booking, amount_cents=12100, reason=Refund.Reason.ADMIN)

    note = Invoice.objects.get(kind=Invoice.Kind.CREDIT_NOTE)
    assert (note.refers_to, note.total_cents) == (invoice, -12100)


def test_a_vat_id_added_later_is_a_credit_note_and_a_corrected_invoice(stripe_settings):
    booking = EnrollmentFactory.create(amount_cents=60500)
    payment = PaymentFactory.create(enrollment=booking, amount_cents=60500)
    line = BilledLine("Online training", 1, 60500, TaxRule(Decimal(21), online=True))
    first = issue(ADA, line, payable=booking, reference=booking.reference)
    invoice_record_payment(
        invoice_id=first.pk,
        amount_cents=60500,
        received_on=timezone.localdate(),
        method=InvoicePayment.Method.CARD,
        payment=payment,
    )

    corrected = invoice_correct(invoice_id=first.pk, buyer=CLINIC_DE, lines=[line])

    first.refresh_from_db()
    note = first.credit_notes.get()
    assert note.total_cents == -60500
    assert (corrected.buyer_vat_id, corrected.reverse_charge, corrected.total_cents) == (
        "DE136695976",
        True,
        50000,
    )
    assert (corrected.status, corrected.paid_cents) == ("paid", 50000)
    # Reverse charge takes the VAT off: what was paid for it is given back.
    assert Refund.objects.get().amount_cents == 10500
    assert OutgoingMail.objects.filter(kind="invoice_corrected", to=CLINIC_DE.email).exists()


# --- Reminders ---------------------------------------------------------------------------


def test_reminders_go_on_the_due_date_and_two_weeks_later_once_each(settings):
    with time_machine.travel(datetime(2026, 11, 1, 10, tzinfo=UTC), tick=False):
        invoice = issue()
        paid = issue()
        invoice_record_payment(
            invoice_id=paid.pk, amount_cents=24200, received_on=timezone.localdate()
        )
    due = invoice.due_at

    with time_machine.travel(due - timedelta(days=1), tick=False):
        assert invoices_remind() == {"invoice_due": 0, "invoice_overdue": 0}
    with time_machine.travel(due + timedelta(hours=1), tick=False):
        assert invoices_remind() == {"invoice_due": 1, "invoice_overdue": 0}
        assert invoices_remind() == {"invoice_due": 0, "invoice_overdue": 0}
    with time_machine.travel(
        due + timedelta(days=settings.INVOICE_REMINDER_DAYS_AFTER), tick=False
    ):
        assert invoices_remind() == {"invoice_due": 0, "invoice_overdue": 1}

    assert (
        OutgoingMail.objects.filter(
            to=ADA.email, kind__in=["invoice_due", "invoice_overdue"]
        ).count()
        == 2
    )


# --- What the buyer reads ----------------------------------------------------------------


def pdf_text(invoice):
    reader = PdfReader(io.BytesIO(invoice_pdf(invoice)))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_the_pdf_says_who_what_and_how_much_and_prints_every_name(settings):
    settings.PRACTICE_VAT_ID = "NL004495445B01"
    buyer = Buyer(
        name="Zoë Łukasiewicz-Ørsted",
        email="zoe@example.org",
        company="Ψυχή Κλινική",
        address="Ulica Świętego 3",
        postal_code="00-001",
        city="Warszawa",
        country="PL",
    )
    invoice = issue(
        buyer,
        BilledLine("Team training, 3 Dec 2026", 12, 12100, TaxRule(Decimal(21))),
        BilledLine("Supervision", 1, 5000, TaxRule(exempt=True)),
        po_number="PO-2026-118",
    )

    text = pdf_text(invoice)

    for expected in (
        "Invoice",
        invoice.number,
        "Zoë Łukasiewicz-Ørsted",
        "Ψυχή Κλινική",
        "PO-2026-118",
        "VAT ID NL004495445B01",
        "Team training, 3 Dec 2026",
        "1200.00 EUR",
        "252.00 EUR",
        "1502.00 EUR",
        settings.TAX_EXEMPT_NOTE[:30],
    ):
        assert expected in text, expected


def test_a_credit_note_pdf_names_the_invoice_it_corrects():
    invoice = issue()
    note = credit(invoice, reason="Cancelled by the practice")

    text = pdf_text(note)

    assert "Credit note" in text
    assert invoice.number in text
    assert "-242.00 EUR" in text


def test_the_pdf_is_written_in_the_invoices_language():
    invoice = issue(language="nl")

    assert "Factuur" in pdf_text(invoice)


def test_the_invoice_api_and_its_pay_link(api):
    invoice = issue(CLINIC_DE, po_number="PO-9")

    body = api.get(f"/api/v1/invoices/{invoice.token}/").json()

    assert body["number"] == invoice.number
    assert (body["kind"], body["status"]) == ("invoice", "open")
    assert body["buyer"]["vat_id"] == "DE136695976"
    assert body["lines"][0] == {
        "description": "Workshop, 3 Dec 2026",
        "quantity": 2,
        "unit_price": "121.00",
        "tax_rate": "21.00",
        "tax_note": "",
        "net": "200.00",
        "tax": "42.00",
        "total": "242.00",
    }
    assert (body["net"], body["tax"], body["total"], body["paid"]) == (
        "200.00",
        "42.00",
        "242.00",
        "0.00",
    )
    assert body["pdf_url"].endswith(f"/invoices/{invoice.token}.pdf")
    assert body["pay_url"].endswith(f"/api/v1/invoices/{invoice.token}/pay/")
    assert api.get("/api/v1/invoices/not-a-token/").status_code == HTTPStatus.NOT_FOUND


def test_paying_a_paid_invoice_through_the_api_is_409(api):
    invoice = issue()
    invoice_record_payment(
        invoice_id=invoice.pk, amount_cents=24200, received_on=timezone.localdate()
    )

    response = api.post(f"/api/v1/invoices/{invoice.token}/pay/")

    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json()["code"] == "invoice_not_open"
    assert not Payment.objects.exists()


def test_the_invoice_page_and_its_pdf(client):
    invoice = issue()

    page = client.get(f"/invoices/{invoice.token}/")
    pdf = client.get(f"/invoices/{invoice.token}.pdf")

    assert page.status_code == HTTPStatus.OK
    assert invoice.number in page.content.decode()
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Cache-Control"] == "no-store, private"
    assert client.get("/invoices/unknown.pdf").status_code == HTTPStatus.NOT_FOUND


def test_the_invoice_email_links_it_and_never_lists_what_was_bought():
    issue(po_number="PO-1")

    mail = OutgoingMail.objects.get(kind="invoice_issued")
    invoice = Invoice.objects.get()
    assert invoice.number in mail.subject
    assert f"/invoices/{invoice.token}/" in mail.body_text
    assert "Workshop" not in mail.subject + mail.body_text
