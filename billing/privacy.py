"""Billing's personal data: what Stripe's event payloads say of the payer (name, address).

Payments and refunds themselves hold our references and Stripe's ids, never a name.
"""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import QuerySet, TextField
from django.db.models.functions import Cast

from billing.models import Payment, Refund, StripeEvent
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


def _strip(events: QuerySet[StripeEvent]) -> int:
    count = 0
    for event in events.exclude(payload__has_key="stripped").only("pk", "payload"):
        StripeEvent.objects.filter(pk=event.pk).update(payload=stripped(event.payload))
        count += 1
    return count


def _mentioning(email: str) -> QuerySet[StripeEvent]:
    # Stripe writes the address as it was typed, in any field: the whole payload is searched.
    return StripeEvent.objects.annotate(payload_text=Cast("payload", TextField())).filter(
        payload_text__icontains=email
    )


class StripePayloads:
    kind = "payment events"
    fields: Fields = {StripeEvent: ("payload",)}

    def purge(self, *, now: datetime) -> int:
        cutoff = now - timedelta(days=settings.STRIPE_EVENT_PAYLOAD_DAYS)
        return _strip(StripeEvent.objects.filter(processed_at__lt=cutoff))

    def records_of(self, email: str) -> list[Any]:
        return list(_mentioning(email).exclude(payload__has_key="stripped"))

    def erase(self, *, email: str, records: PersonsRecords, now: datetime, by: Any) -> int:
        return _strip(_mentioning(email))

    def export(self, *, email: str) -> list[dict[str, Any]]:
        return [
            {
                "type": event.type,
                "received_at": event.received_at.isoformat(),
                "payload": event.payload,
            }
            for event in _mentioning(email).order_by("received_at")
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
