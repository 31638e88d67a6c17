"""Paying an invoice: by card through the existing Stripe flows, and what a correction of
the buyer's details does to what was paid (DESIGN.md, Organizations, proposals, invoices)."""

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from billing.events import PaymentSucceeded
from billing.models import Invoice, InvoicePayment, Payment, Refund
from billing.services.invoices import (
    BilledLine,
    Buyer,
    InvoiceNotOpen,
    credit_note_issue,
    invoice_add_payment,
    invoice_issue,
    invoice_record_payment,
    invoice_settle_status,
    invoice_tell,
)
from billing.services.payments import Line, PaymentRequest, payment_claim_success, payment_start
from billing.services.refunds import refund_create


def invoice_pay(*, invoice_id: int) -> Payment:
    """A way to pay by card what is open on an invoice, in either `PAYMENT_FLOW`."""
    invoice = Invoice.objects.get(pk=invoice_id)
    if invoice.kind != Invoice.Kind.INVOICE or invoice.status != Invoice.Status.OPEN:
        raise InvoiceNotOpen()
    what = gettext("Invoice %(number)s") % {"number": invoice.number}
    return payment_start(
        request=PaymentRequest(
            payable=invoice,
            reference=invoice.number,
            currency=invoice.currency,
            lines=(Line(description=what, quantity=1, unit_price_cents=invoice.open_cents),),
            email=invoice.buyer_email,
            success_url=f"{settings.SITE_URL}/payments/checkout/{{CHECKOUT_SESSION_ID}}/",
            cancel_url=f"{settings.SITE_URL}/payments/checkout/cancelled/",
        )
    )


def invoice_settle_card_payment(*, payment_id: int, invoice_id: int) -> str:
    """Stripe took a card payment for an invoice: record it. Paid twice, or more than was
    open by then (a transfer came in meanwhile), the rest is given back."""
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
        payment = payment_claim_success(payment_id=payment_id)
        if payment is None:
            return "already applied"
        taken = min(payment.amount_cents, max(invoice.open_cents, 0))
        if invoice.status == Invoice.Status.OPEN and taken > 0:
            invoice_record_payment(
                invoice_id=invoice.pk,
                amount_cents=taken,
                received_on=timezone.localdate(),
                reference=payment.stripe_payment_intent_id or "",
                method=InvoicePayment.Method.CARD,
                payment=payment,
            )
        if payment.amount_cents > taken:
            refund_create(
                payable=invoice,
                amount_cents=payment.amount_cents - taken,
                reason=Refund.Reason.DUPLICATE,
            )
            return "invoice paid already: the rest refunded"
        return "invoice payment recorded"


def invoice_correct(
    *, invoice_id: int, buyer: Buyer, lines: Sequence[BilledLine], by: Any = None
) -> Invoice:
    """The buyer's details changed after issue (a company and VAT ID added): a credit note
    for the invoice and a corrected one, never an edit. What was paid carries over."""
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
        if invoice.kind != Invoice.Kind.INVOICE or invoice.status == Invoice.Status.VOID:
            raise InvoiceNotOpen()
        paid = invoice.paid_cents
        credit_note_issue(
            invoice_id=invoice.pk,
            reason=gettext("Corrected: the buyer's details changed"),
            by=by,
            notify=False,
        )
        corrected = invoice_issue(
            buyer=buyer,
            lines=lines,
            currency=invoice.currency,
            payable=invoice.payable,
            reference=invoice.payable_reference,
            po_number=invoice.po_number,
            language=invoice.language,
            by=by,
            notify=False,
        )
        if paid:
            # A VAT ID that brings reverse charge lowers the total: the rest is given back
            # first (a refund on the invoice that held it), then what is left moves over.
            carried = min(paid, corrected.total_cents)
            if paid > carried and invoice.payable is not None:
                refund_create(
                    payable=invoice.payable,
                    amount_cents=paid - carried,
                    reason=Refund.Reason.INVOICE_CORRECTED,
                    created_by=by,
                )
            card = invoice.payments.filter(amount_cents__gt=0).exclude(payment=None).first()
            for on, amount, other in (
                (invoice, -carried, corrected),
                (corrected, carried, invoice),
            ):
                invoice_add_payment(
                    on,
                    amount_cents=amount,
                    method=InvoicePayment.Method.CARRIED_OVER,
                    received_on=timezone.localdate(),
                    reference=other.number,
                    payment=card.payment if card else None,
                )
            invoice_settle_status(corrected)
        invoice_settle_status(invoice)
        corrected.refresh_from_db()
        invoice_tell(corrected, "invoice_corrected", replaces=invoice.number)
    return corrected


INVOICE = "billing.invoice"  # how billing's events name an invoice


def on_payment_succeeded(event: PaymentSucceeded) -> str | None:
    """Billing is the owner of an invoice's payments (`BillingConfig.ready()`)."""
    if event.payable_type != INVOICE:
        return None
    return invoice_settle_card_payment(payment_id=event.payment_id, invoice_id=event.payable_id)
