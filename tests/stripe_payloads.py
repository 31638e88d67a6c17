"""Stripe objects and signed webhook deliveries for tests, shaped like Stripe's own
published examples (fields, nesting, ids as strings), trimmed to what Regard reads."""

import hashlib
import hmac
import json
import secrets
import time
from typing import Any

WEBHOOK_SECRET = "whsec_test_regard"


def _id(prefix: str) -> str:
    return f"{prefix}_test_{secrets.token_hex(8)}"


def payment_intent(
    *,
    amount: int,
    currency: str = "eur",
    status: str = "requires_payment_method",
    reference: str = "ENR-TEST01",
    intent_id: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    intent_id = intent_id or _id("pi")
    return {
        "id": intent_id,
        "object": "payment_intent",
        "amount": amount,
        "amount_received": amount if status == "succeeded" else 0,
        "currency": currency,
        "status": status,
        "client_secret": f"{intent_id}_secret_{secrets.token_hex(8)}",
        "metadata": {"enrollment_reference": reference},
        "payment_method_types": ["card"],
        "latest_charge": None,
        "last_payment_error": None,
        "livemode": False,
        "created": int(time.time()),
        **extra,
    }


def checkout_session(
    *,
    amount: int,
    currency: str = "eur",
    reference: str = "ENR-TEST01",
    status: str = "open",
    payment_status: str = "unpaid",
    session_id: str | None = None,
    payment_intent_id: str | None = None,
) -> dict[str, Any]:
    session_id = session_id or f"cs_test_{secrets.token_hex(12)}"
    return {
        "id": session_id,
        "object": "checkout.session",
        "amount_total": amount,
        "currency": currency,
        "client_reference_id": reference,
        "metadata": {"enrollment_reference": reference},
        "mode": "payment",
        "payment_intent": payment_intent_id,
        "payment_status": payment_status,
        "status": status,
        "url": f"https://checkout.stripe.com/c/pay/{session_id}",
        "expires_at": int(time.time()) + 1800,
        "livemode": False,
        "created": int(time.time()),
    }


def refund(
    *,
    amount: int,
    payment_intent_id: str,
    status: str = "succeeded",
    metadata: dict[str, str] | None = None,
    refund_id: str | None = None,
) -> dict[str, Any]:
    return {
        "id": refund_id or _id("re"),
        "object": "refund",
        "amount": amount,
        "currency": "eur",
        "payment_intent": payment_intent_id,
        "status": status,
        "metadata": metadata or {},
        "created": int(time.time()),
    }


def charge(*, amount: int, payment_intent_id: str, refunds: list[dict[str, Any]]) -> dict[str, Any]:
    refunded = sum(r["amount"] for r in refunds)
    return {
        "id": _id("ch"),
        "object": "charge",
        "amount": amount,
        "amount_refunded": refunded,
        "currency": "eur",
        "payment_intent": payment_intent_id,
        "refunded": refunded == amount,
        "refunds": {"object": "list", "data": refunds, "has_more": False},
        "status": "succeeded",
    }


def event(event_type: str, obj: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
    return {
        "id": event_id or _id("evt"),
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": int(time.time()),
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }


def payment_succeeded(payment: Any) -> dict[str, Any]:
    """Stripe's `payment_intent.succeeded` for one of our Payment rows."""
    return event(
        "payment_intent.succeeded",
        payment_intent(
            amount=payment.amount_cents,
            status="succeeded",
            intent_id=payment.stripe_payment_intent_id,
            reference=payment.payable_reference,
        ),
    )


def charge_refunded(payment: Any, refunds: list[dict[str, Any]]) -> dict[str, Any]:
    """Stripe's `charge.refunded` for the charge of one of our Payment rows."""
    return event(
        "charge.refunded",
        charge(
            amount=payment.amount_cents,
            payment_intent_id=str(payment.stripe_payment_intent_id),
            refunds=refunds,
        ),
    )


def signature(payload: bytes, *, secret: str = WEBHOOK_SECRET, at: int | None = None) -> str:
    timestamp = int(time.time()) if at is None else at
    signed = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
    return f"t={timestamp},v1={signed.hexdigest()}"


def delivery(body: dict[str, Any], **signing: Any) -> tuple[bytes, str]:
    payload = json.dumps(body).encode()
    return payload, signature(payload, **signing)


def form(request: Any) -> dict[str, str]:
    """The form-encoded parameters the stripe library sent, flattened (`metadata[key]`)."""
    from urllib.parse import parse_qsl

    return dict(parse_qsl(request.body or ""))
