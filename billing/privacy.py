"""Billing's personal data: what Stripe's event payloads say of the payer (name, address),
and the buyer on invoices and credit notes, kept as long as the law asks of bookkeeping.

Payments and refunds themselves hold our references and Stripe's ids, never a name.
"""

import json
import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q, TextField
from django.db.models.functions import Cast

from billing.models import (
    Invoice,
    InvoiceLine,
    InvoicePayment,
    InvoiceSeries,
    Payment,
    Refund,
    StripeEvent,
)
from config.privacy import Fields, PersonsRecords, declare_free, declare_history_free


def stripped(payload: dict[str, Any]) -> dict[str, Any]:
    """The event as its type and ids only, with when it was stripped."""
    obj = (payload.get("data") or {}).get("object") or {}
    return {
        "id": payload.get("id"),
        "type": payload.get("type"),
        "data": {"object": {"id": obj.get("id"), "object": obj.get("object")}},
        "stripped": True,
    }


def _strip(events: Iterable[StripeEvent]) -> int:
    count = 0
    for event in events:
        if event.payload.get("stripped"):
            continue
        StripeEvent.objects.filter(pk=event.pk).update(payload=stripped(event.payload))
        count += 1
    return count


def _mentioning(email: str) -> list[StripeEvent]:
    """Events that name this address, as a whole value: `an@example.org` is not in
    `joan@example.org`. Stripe writes it as it was typed, in any field of the payload."""
    near = StripeEvent.objects.annotate(payload_text=Cast("payload", TextField())).filter(
        payload_text__icontains=email
    )
    exactly = re.compile(rf"(?<![\w.+-]){re.escape(email)}(?![\w.-])", re.IGNORECASE)
    return [event for event in near if exactly.search(json.dumps(event.payload))]


class StripePayloads:
    kind = "payment events"
    fields: Fields = {StripeEvent: ("payload",)}

    def purge(self, *, now: datetime) -> int:
        # Applied ones after the days set; one never applied is as old as its delivery.
        cutoff = now - timedelta(days=settings.STRIPE_EVENT_PAYLOAD_DAYS)
        old = StripeEvent.objects.filter(Q(processed_at__lt=cutoff) | Q(received_at__lt=cutoff))
        return _strip(old.exclude(payload__has_key="stripped").only("pk", "payload"))

    def records_of(self, email: str) -> list[Any]:
        return [event for event in _mentioning(email) if not event.payload.get("stripped")]

    def contexts_of(self, records: list[Any]) -> list[Any]:
        return []

    def erase(self, *, email: str, records: PersonsRecords, now: datetime, by: Any) -> int:
        return _strip(_mentioning(email))

    def export(self, *, email: str) -> list[dict[str, Any]]:
        return [
            {
                "type": event.type,
                "received_at": event.received_at.isoformat(),
                "payload": event.payload,
            }
            for event in sorted(_mentioning(email), key=lambda event: event.received_at)
        ]


BUYER_FIELDS = (
    "buyer_name",
    "buyer_email",
    "buyer_company",
    "buyer_address",
    "buyer_postal_code",
    "buyer_city",
    "buyer_vat_id",
    "po_number",
)


class Invoices:
    """Invoices and credit notes outlive personal data: `INVOICE_RETENTION_YEARS` after
    issue their buyer is emptied; before that erasure leaves them (the report says why,
    `keep_on_purpose`), and the person's export holds them."""

    kind = "invoices"
    fields: Fields = {Invoice: BUYER_FIELDS}

    def purge(self, *, now: datetime) -> int:
        cutoff = now.replace(year=now.year - settings.INVOICE_RETENTION_YEARS)
        old = Invoice.objects.filter(issued_at__lt=cutoff, anonymized_at=None)
        return old.update(**dict.fromkeys(BUYER_FIELDS, ""), anonymized_at=now)

    def records_of(self, email: str) -> list[Any]:
        return list(Invoice.objects.filter(buyer_email__iexact=email))

    def contexts_of(self, records: list[Any]) -> list[Any]:
        return []

    def erase(self, *, email: str, records: PersonsRecords, now: datetime, by: Any) -> int:
        return 0  # the legal record: kept on purpose until its retention ends

    def export(self, *, email: str) -> list[dict[str, Any]]:
        return [
            {
                "number": invoice.number,
                "kind": invoice.kind,
                "issued_at": invoice.issued_at.isoformat(),
                "buyer": {
                    name.removeprefix("buyer_"): getattr(invoice, name) for name in BUYER_FIELDS
                },
                "total": invoice.total_cents,
                "currency": invoice.currency,
            }
            for invoice in Invoice.objects.filter(buyer_email__iexact=email).order_by("issued_at")
        ]


declare_free(StripeEvent, "stripe_id", "type", why="Stripe's event id and type")
declare_free(StripeEvent, "result", why="what applying the event did, in our words")
declare_free(
    Payment,
    "payable_reference",
    "stripe_payment_intent_id",
    "stripe_checkout_session_id",
    "checkout_url",
    "client_secret",
    why="our reference and Stripe's ids for the payment",
)
declare_free(Payment, "currency", why="an ISO 4217 code")
declare_free(Payment, "last_error", why="Stripe's word on a declined card, never whose")
declare_free(Refund, "currency", why="an ISO 4217 code")
declare_free(Refund, "stripe_refund_id", why="Stripe's id for the refund")
declare_free(Refund, "last_error", why="Stripe's word on a refund that failed")
declare_history_free(Payment, Refund)
declare_free(Invoice, "number", "token", "payable_reference", why="our numbers and references")
declare_free(Invoice, "kind", "status", "language", "currency", why="one of our codes")
declare_free(
    Invoice,
    "seller_name",
    "seller_address",
    "seller_country",
    "seller_vat_id",
    why="the practice itself, as the invoice names it",
)
declare_free(Invoice, "buyer_country", why="an ISO 3166 code, no one's by itself")
declare_free(Invoice, "reason", "notes", why="our words: the legal notes and terms, why credited")
declare_free(InvoiceLine, "description", "tax_note", why="what was sold, in the catalog's words")
declare_free(InvoicePayment, "method", why="one of our codes")
declare_free(InvoicePayment, "reference", why="a bank's or Stripe's reference for the payment")
declare_free(InvoiceSeries, "key", why="the name of a number series")
declare_history_free(Invoice, InvoicePayment)
