"""Invoices and credit notes: issued with gapless numbers, never edited, paid in parts.

Whoever bills describes it in full (buyer, lines with their tax rule, what is billed);
billing computes the tax per line, copies seller and buyer in, and allocates the number
last in the issuing transaction, after every other lock the caller took (a session's), so
that one series' row is held for the least time and in one lock order (DESIGN.md).
"""

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import F, Model
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from billing.events import InvoiceIssued, InvoicePaid
from billing.models import Invoice, InvoiceLine, InvoicePayment, InvoiceSeries, Payment, Refund
from billing.tax import TaxRule, line_amounts, treatment_for
from config import events
from config.errors import Conflict, InvalidInput
from config.money import amount_for_people
from config.references import new_token
from outbox.services import mail_queue

logger = logging.getLogger(__name__)


class InvoiceNotOpen(Conflict):
    code = "invoice_not_open"
    message = _("This invoice has nothing left to pay. Thank you!")


@dataclass(frozen=True)
class Buyer:
    """Who an invoice is for, as they gave it (an organization, or a person)."""

    name: str
    email: str
    company: str = ""
    address: str = ""
    postal_code: str = ""
    city: str = ""
    country: str = ""
    vat_id: str = ""


@dataclass(frozen=True)
class BilledLine:
    """One line to bill, as its owner describes it; the price as the catalog lists it."""

    description: str
    quantity: int
    unit_price_cents: int
    tax: TaxRule


@dataclass(frozen=True)
class RateTotal:
    rate: Decimal
    net_cents: int
    tax_cents: int
    total_cents: int


def _series(kind: str, issued_at: datetime) -> tuple[str, str]:
    """The series key and number format: per kind, and per year when the format names it,
    the year read in the practice's time zone."""
    number_format = (
        settings.INVOICE_NUMBER_FORMAT
        if kind == Invoice.Kind.INVOICE
        else settings.CREDIT_NOTE_NUMBER_FORMAT
    )
    year = issued_at.astimezone(ZoneInfo(settings.PRACTICE_TIME_ZONE)).year
    key = f"{kind}:{year}" if "{year" in number_format else kind
    return key, number_format


def number_allocate(*, kind: str, issued_at: datetime) -> str:
    """The next number of the series, inside the caller's transaction: the row stays locked
    until it commits (or rolls back, and then the number is given again)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("An invoice number is allocated inside the issuing transaction.")
    key, number_format = _series(kind, issued_at)
    number = _next_in_series(key)
    if number is None:  # the series' first number: its row is made, then counted on
        InvoiceSeries.objects.get_or_create(key=key)
        number = _next_in_series(key)
    year = issued_at.astimezone(ZoneInfo(settings.PRACTICE_TIME_ZONE)).year
    return number_format.format(year=year, n=number)


def _next_in_series(key: str) -> int | None:
    # One statement, counted and read under the row's lock (UPDATE ... RETURNING, which the
    # ORM does not offer): the lock is held until commit from here, so nothing is spared.
    table, counter, series = (
        connection.ops.quote_name(name)
        for name in (InvoiceSeries._meta.db_table, "last_number", "key")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {counter} = {counter} + 1 WHERE {series} = %s "  # noqa: S608
            f"RETURNING {counter}",
            [key],
        )
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def _notes(lines: Sequence[InvoiceLine], terms: str) -> str:
    seen = list(dict.fromkeys(line.tax_note for line in lines if line.tax_note))
    return "\n".join([*seen, *([terms] if terms else [])])


def priced_lines(*, buyer: Buyer, lines: Sequence[BilledLine]) -> list[InvoiceLine]:
    """The lines as they would be invoiced to this buyer (unsaved): each line's rate, its
    note and its net, tax and total; for a proposal to show before anything is issued."""
    priced = []
    for position, line in enumerate(lines, start=1):
        treatment = treatment_for(line.tax, buyer_country=buyer.country, buyer_vat_id=buyer.vat_id)
        amounts = line_amounts(
            quantity=line.quantity,
            unit_price_cents=line.unit_price_cents,
            rule=line.tax,
            treatment=treatment,
        )
        priced.append(
            InvoiceLine(
                position=position,
                description=line.description[:300],
                quantity=line.quantity,
                unit_price_cents=line.unit_price_cents,
                tax_rate=treatment.rate,
                tax_note=treatment.note,
                net_cents=amounts.net_cents,
                tax_cents=amounts.tax_cents,
                total_cents=amounts.total_cents,
            )
        )
    return priced


def invoice_issue(
    *,
    buyer: Buyer,
    lines: Sequence[BilledLine],
    currency: str,
    payable: Model | None = None,
    reference: str = "",
    po_number: str = "",
    terms: str = "",
    language: str = "",
    by: Any = None,
    notify: bool = True,
    now: datetime | None = None,
) -> Invoice:
    """Issue an invoice for `lines`, billed to `buyer`; inside the caller's transaction when
    there is one (after its locks), else in one of its own. The buyer is emailed its link."""
    if not lines:
        raise ValueError("An invoice has at least one line.")
    now = now or timezone.now()
    # Within the caller's transaction no savepoint of its own: nothing recovers from a
    # failure here but by undoing the whole change.
    with transaction.atomic(savepoint=False):
        built = priced_lines(buyer=buyer, lines=lines)
        invoice = _issue(
            kind=Invoice.Kind.INVOICE,
            buyer=buyer,
            lines=built,
            currency=currency,
            payable=payable,
            reference=reference,
            po_number=po_number,
            notes=_notes(built, terms),
            reverse_charge=any(line.tax_note == settings.REVERSE_CHARGE_NOTE for line in built),
            language=language,
            by=by,
            now=now,
        )
        if notify:
            invoice_tell(invoice, "invoice_issued")
    return invoice


def _issue(
    *,
    kind: str,
    buyer: Buyer,
    lines: list[InvoiceLine],
    currency: str,
    payable: Model | None,
    reference: str,
    po_number: str,
    notes: str,
    reverse_charge: bool,
    language: str,
    by: Any,
    now: datetime,
    refers_to: Invoice | None = None,
    reason: str = "",
) -> Invoice:
    net = sum(line.net_cents for line in lines)
    tax = sum(line.tax_cents for line in lines)
    invoice = Invoice(
        kind=kind,
        token=new_token(),
        status=Invoice.Status.OPEN if net + tax > 0 else Invoice.Status.PAID,
        payable_type=ContentType.objects.get_for_model(payable) if payable else None,
        payable_id=payable.pk if payable else None,
        payable_reference=reference,
        refers_to=refers_to,
        reason=reason,
        language=language or settings.LANGUAGE_CODE,
        issued_at=now,
        due_at=now + timedelta(days=settings.INVOICE_DUE_DAYS) if net + tax > 0 else now,
        seller_name=settings.PRACTICE_NAME,
        seller_address=settings.PRACTICE_ADDRESS,
        seller_country=settings.PRACTICE_COUNTRY,
        seller_vat_id=settings.PRACTICE_VAT_ID,
        buyer_name=buyer.name,
        buyer_email=buyer.email,
        buyer_company=buyer.company,
        buyer_address=buyer.address,
        buyer_postal_code=buyer.postal_code,
        buyer_city=buyer.city,
        buyer_country=buyer.country.upper(),
        buyer_vat_id=buyer.vat_id,
        po_number=po_number,
        currency=currency,
        net_cents=net,
        tax_cents=tax,
        total_cents=net + tax,
        reverse_charge=reverse_charge,
        notes=notes,
        created_by=by,
    )
    # Last, after every other lock of the transaction: the series row is held until commit.
    invoice.number = number_allocate(kind=kind, issued_at=now)
    invoice.save()
    for line in lines:
        line.invoice = invoice
    InvoiceLine.objects.bulk_create(lines)
    events.publish(
        InvoiceIssued(
            invoice_id=invoice.pk,
            kind=kind,
            payable_type=_label(invoice),
            payable_id=invoice.payable_id,
        )
    )
    logger.info("invoice %s issued (%s)", invoice.number, kind)
    return invoice


def _label(invoice: Invoice) -> str:
    if invoice.payable_type_id is None:
        return ""
    kind = ContentType.objects.get_for_id(invoice.payable_type_id)
    return f"{kind.app_label}.{kind.model}"


def invoice_tell(invoice: Invoice, kind: str, **extra: object) -> bool:
    """Email the buyer about the invoice; invoice_* emails go once each (True if queued)."""
    return None is not mail_queue(
        kind=kind,
        to=invoice.buyer_email,
        context={**invoice_context(invoice), **extra},
        related=invoice,
        language=invoice.language,
        dedupe_key=f"{kind}:{invoice.pk}" if kind.startswith("invoice_") else None,
    )


def invoice_context(invoice: Invoice) -> dict[str, object]:
    """What the emails about an invoice say: its number, amounts and links, never its lines."""
    return {
        "invoice": invoice,
        "number": invoice.number,
        "buyer_name": invoice.buyer_name,
        "is_credit_note": invoice.kind == Invoice.Kind.CREDIT_NOTE,
        "total": amount_for_people(abs(invoice.total_cents), invoice.currency),
        "open": amount_for_people(max(invoice.open_cents, 0), invoice.currency),
        "due_on": _day(invoice.due_at),
        "invoice_url": f"{settings.SITE_URL}/invoices/{invoice.token}/",
        "pdf_url": f"{settings.SITE_URL}/invoices/{invoice.token}.pdf",
        "po_number": invoice.po_number,
    }


def _day(moment: datetime) -> str:
    """The date in the practice's time zone, written in the language of whoever reads it."""
    day = moment.astimezone(ZoneInfo(settings.PRACTICE_TIME_ZONE)).date()
    return lazy(lambda: date_format(day, "DATE_FORMAT"), str)()


def rate_totals(invoice: Invoice) -> list[RateTotal]:
    """Net, tax and total per tax rate, as the invoice shows them (highest rate first)."""
    sums: dict[Decimal, list[int]] = defaultdict(lambda: [0, 0, 0])
    for line in invoice.lines.all():
        row = sums[line.tax_rate]
        row[0] += line.net_cents
        row[1] += line.tax_cents
        row[2] += line.total_cents
    return [
        RateTotal(rate=rate, net_cents=net, tax_cents=tax, total_cents=total)
        for rate, (net, tax, total) in sorted(sums.items(), reverse=True)
    ]


# --- Credit notes ------------------------------------------------------------------------


def credit_note_issue(
    *,
    invoice_id: int,
    reason: str,
    total_cents: int | None = None,
    by: Any = None,
    notify: bool = True,
    now: datetime | None = None,
) -> Invoice | None:
    """Credit an invoice: all of what is not yet credited, or `total_cents` of it (a part
    refund), at the rates of its lines. None when nothing is left to credit."""
    now = now or timezone.now()
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
        if invoice.kind != Invoice.Kind.INVOICE:
            raise ValueError("Only an invoice is credited.")
        creditable = invoice.total_cents + invoice.credited_cents
        amount = creditable if total_cents is None else min(total_cents, creditable)
        if amount <= 0:
            return None
        lines = _credit_lines(invoice, amount)
        note = _issue(
            kind=Invoice.Kind.CREDIT_NOTE,
            buyer=buyer_of(invoice),
            lines=lines,
            currency=invoice.currency,
            payable=invoice.payable,
            reference=invoice.payable_reference,
            po_number=invoice.po_number,
            notes=_notes(lines, ""),
            reverse_charge=invoice.reverse_charge,
            language=invoice.language,
            by=by,
            now=now,
            refers_to=invoice,
            reason=reason[:200],
        )
        invoice_settle_status(invoice)
        if notify:
            invoice_tell(note, "credit_note_issued", credits=invoice.number)
    return note


def _credit_lines(invoice: Invoice, amount: int) -> list[InvoiceLine]:
    """Lines that take `amount` off the invoice, shared over its lines by their totals
    (the remainder on the last), each at its own rate so that net + tax = total."""
    originals = [line for line in invoice.lines.all() if line.total_cents > 0]
    whole = sum(line.total_cents for line in originals)
    lines: list[InvoiceLine] = []
    left = amount
    for index, original in enumerate(originals):
        share = left if index == len(originals) - 1 else amount * original.total_cents // whole
        left -= share
        if share == 0:
            continue
        if share == original.total_cents:
            net, tax = original.net_cents, original.tax_cents
        else:
            net = round(share * 100 / (100 + original.tax_rate)) if original.tax_rate else share
            tax = share - net
        lines.append(
            InvoiceLine(
                position=len(lines) + 1,
                description=gettext("Credited: %(what)s") % {"what": original.description},
                quantity=1,
                unit_price_cents=-share,
                tax_rate=original.tax_rate,
                tax_note=original.tax_note,
                net_cents=-int(net),
                tax_cents=-int(tax),
                total_cents=-share,
            )
        )
    return lines


def buyer_of(invoice: Invoice) -> Buyer:
    return Buyer(
        name=invoice.buyer_name,
        email=invoice.buyer_email,
        company=invoice.buyer_company,
        address=invoice.buyer_address,
        postal_code=invoice.buyer_postal_code,
        city=invoice.buyer_city,
        country=invoice.buyer_country,
        vat_id=invoice.buyer_vat_id,
    )


# --- Money received ----------------------------------------------------------------------


def invoice_settle_status(invoice: Invoice) -> bool:
    """Set the status from what was credited and paid; True if it has just become paid."""
    invoice.refresh_from_db(fields=["paid_cents", "status"])
    owed = invoice.total_cents + invoice.credited_cents
    if owed <= 0 and invoice.paid_cents <= 0:
        status = Invoice.Status.VOID
    elif invoice.paid_cents >= owed:
        status = Invoice.Status.PAID
    else:
        status = Invoice.Status.OPEN
    became_paid = status == Invoice.Status.PAID and invoice.status != Invoice.Status.PAID
    if status != invoice.status:
        Invoice.objects.filter(pk=invoice.pk).update(status=status)
        invoice.status = status
    if became_paid:
        events.publish(
            InvoicePaid(
                invoice_id=invoice.pk, payable_type=_label(invoice), payable_id=invoice.payable_id
            )
        )
    return became_paid


def invoice_add_payment(invoice: Invoice, **payment: object) -> InvoicePayment:
    received = InvoicePayment.objects.create(invoice=invoice, **payment)
    Invoice.objects.filter(pk=invoice.pk).update(paid_cents=F("paid_cents") + received.amount_cents)
    return received


def invoice_record_payment(
    *,
    invoice_id: int,
    amount_cents: int,
    received_on: date,
    reference: str = "",
    method: str = InvoicePayment.Method.BANK_TRANSFER,
    payment: Payment | None = None,
    by: Any = None,
    notify: bool = True,
) -> InvoicePayment:
    """Money came in against an invoice (a transfer the practice saw, or a card payment).
    More than is open is refused: the practice gives back what was paid twice."""
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
        if invoice.kind != Invoice.Kind.INVOICE or invoice.status != Invoice.Status.OPEN:
            raise InvoiceNotOpen()
        if amount_cents <= 0:
            raise InvalidInput(fields={"amount": [gettext("Please enter an amount above zero.")]})
        if amount_cents > invoice.open_cents:
            raise InvalidInput(
                fields={
                    "amount": [
                        gettext("That is more than is open on this invoice (%(open)s).")
                        % {"open": amount_for_people(invoice.open_cents, invoice.currency)}
                    ]
                }
            )
        received = invoice_add_payment(
            invoice,
            amount_cents=amount_cents,
            method=method,
            received_on=received_on,
            reference=reference[:100],
            payment=payment,
            recorded_by=by,
        )
        if invoice_settle_status(invoice) and notify:
            invoice.refresh_from_db()
            invoice_tell(invoice, "invoice_paid")
    logger.info("invoice %s: %s received", invoice.number, amount_cents)
    return received


def credit_for_refund(*, refund: Refund) -> Invoice | None:
    """Every refund of an invoiced payment is a credit note on the invoice that now holds
    it, for its amount, and the money given back shows on it (inside the refund's
    transaction). None for a payment no invoice holds (paid twice, or too late for a seat)."""
    received = (
        InvoicePayment.objects.filter(payment_id=refund.payment_id, amount_cents__gt=0)
        .order_by("-pk")
        .first()
    )
    if received is None:
        return None
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=received.invoice_id)
        note = credit_note_issue(
            invoice_id=invoice.pk,
            reason=gettext("Refunded: %(why)s") % {"why": refund.get_reason_display()},
            total_cents=refund.amount_cents,
        )
        invoice_add_payment(
            invoice,
            amount_cents=-refund.amount_cents,
            method=InvoicePayment.Method.REFUND,
            received_on=timezone.localdate(),
            reference=refund.stripe_refund_id or f"refund {refund.pk}",
            payment_id=refund.payment_id,
        )
        invoice_settle_status(invoice)
    return note


def invoices_remind(*, now: datetime | None = None) -> dict[str, int]:
    """A kind reminder on an open invoice's due date, and another
    `INVOICE_REMINDER_DAYS_AFTER` days later; each once (their dedupe keys)."""
    now = now or timezone.now()
    zone = ZoneInfo(settings.PRACTICE_TIME_ZONE)
    today = now.astimezone(zone).date()
    open_ones = Invoice.objects.filter(
        kind=Invoice.Kind.INVOICE, status=Invoice.Status.OPEN, anonymized_at=None
    ).filter(due_at__lt=now + timedelta(days=1))
    sent = {"invoice_due": 0, "invoice_overdue": 0}
    for invoice in open_ones.iterator():
        late = (today - invoice.due_at.astimezone(zone).date()).days
        kind = (
            "invoice_overdue"
            if late >= settings.INVOICE_REMINDER_DAYS_AFTER
            else "invoice_due"
            if late >= 0
            else ""
        )
        if kind and invoice.open_cents > 0:
            with transaction.atomic():
                if invoice_tell(invoice, kind):
                    sent[kind] += 1
    return sent
