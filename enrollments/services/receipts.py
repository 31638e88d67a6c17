"""Receipts: every paid booking gets an invoice with the buyer's details (DESIGN.md), and
a business buyer may add its company and VAT ID afterwards (a corrected invoice)."""

from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext

from billing.models import Invoice, InvoicePayment, Payment
from billing.selectors import invoices_of
from billing.services.invoice_payments import invoice_correct
from billing.services.invoices import (
    BilledLine,
    Buyer,
    invoice_issue,
    invoice_record_payment,
)
from billing.tax import TaxRule, charged_cents
from enrollments.models import DiscountRedemption, Enrollment
from workshops.models import Offering, Session, known_zone


def offering_tax_rule(offering: Offering, *, rate: Decimal | None = None) -> TaxRule:
    """The offering's tax rule (or `rate` instead of its own), as billing is handed it with
    every line: its rate, else the practice's default; exempt or not; online or not."""
    if rate is None:
        rate = offering.tax_rate if offering.tax_rate is not None else settings.DEFAULT_TAX_RATE
    return TaxRule(
        rate=rate, exempt=offering.tax_exempt, online=offering.format == Offering.Format.ONLINE
    )


def tax_rule_of(session: Session) -> TaxRule:
    return offering_tax_rule(session.offering)


def booking_amount(session: Session, seats: int) -> int:
    """What `seats` in the session cost, as charged (tax included)."""
    return charged_cents(
        quantity=seats, unit_price_cents=session.price_cents, rule=tax_rule_of(session)
    )


def booking_lines(enrollment: Enrollment) -> list[BilledLine]:
    """The booking's seats as one line at the session's price (as the catalog lists it),
    and its discount code's as another, taken off at the same tax rule."""
    session = enrollment.session
    when = timezone.localtime(session.starts_at, known_zone(session.timezone)).strftime("%d %b %Y")
    lines = [
        BilledLine(
            description=f"{session.display_title}, {when}",
            quantity=enrollment.seats,
            unit_price_cents=session.price_cents,
            tax=tax_rule_of(session),
        )
    ]
    redemption = (
        DiscountRedemption.objects.filter(enrollment=enrollment).select_related("code").first()
    )
    if redemption is not None and redemption.off_cents:
        with translation.override(enrollment.language):
            described = gettext("Discount code %(code)s") % {"code": redemption.code.code}
        lines.append(
            BilledLine(
                description=described,
                quantity=1,
                unit_price_cents=-redemption.off_cents,
                tax=tax_rule_of(session),
            )
        )
    return lines


def booking_buyer(enrollment: Enrollment, **business: str) -> Buyer:
    return Buyer(
        name=enrollment.name,
        email=enrollment.email,
        company=business.get("company", enrollment.organization),
        **{key: value for key, value in business.items() if key != "company"},
    )


def receipt_issue(*, enrollment: Enrollment, payment: Payment, now: datetime) -> Invoice:
    """Inside the confirming transaction, after the session's lock: the booking's invoice,
    paid by the card payment that confirmed it (its confirmation email links it)."""
    invoice = invoice_issue(
        buyer=booking_buyer(enrollment),
        lines=booking_lines(enrollment),
        currency=enrollment.currency,
        payable=enrollment,
        reference=enrollment.reference,
        language=enrollment.language,
        notify=False,
        now=now,
    )
    invoice_record_payment(
        invoice_id=invoice.pk,
        amount_cents=min(payment.amount_cents, invoice.total_cents),
        received_on=timezone.localdate(now),
        reference=payment.stripe_payment_intent_id or payment.stripe_checkout_session_id or "",
        method=InvoicePayment.Method.CARD,
        payment=payment,
        notify=False,
    )
    invoice.refresh_from_db()
    return invoice


def receipt_link(invoice: Invoice) -> dict[str, str]:
    """What the confirmation says of the receipt: its number and its page."""
    return {"number": invoice.number, "url": f"{settings.SITE_URL}/invoices/{invoice.token}/"}


def receipt_of(enrollment: Enrollment) -> Invoice | None:
    """The booking's current invoice (a corrected one replaces the first), if it has one."""
    return (
        invoices_of(enrollment)
        .filter(kind=Invoice.Kind.INVOICE)
        .exclude(status=Invoice.Status.VOID)
        .order_by("-issued_at", "-pk")
        .first()
    )


def receipt_add_business(
    *,
    enrollment: Enrollment,
    company: str,
    address: str,
    postal_code: str,
    city: str,
    country: str,
    vat_id: str = "",
) -> Invoice:
    """A business buyer adds its details after the receipt exists: a credit note for the
    receipt and a corrected invoice, never an edit."""
    invoice = (
        invoices_of(enrollment)
        .filter(kind=Invoice.Kind.INVOICE)
        .exclude(status=Invoice.Status.VOID)
        .latest("issued_at")
    )
    return invoice_correct(
        invoice_id=invoice.pk,
        buyer=booking_buyer(
            enrollment,
            company=company,
            address=address,
            postal_code=postal_code,
            city=city,
            country=country,
            vat_id=vat_id,
        ),
        lines=booking_lines(enrollment),
    )
