"""What billing reports about a payment, for the app that owns what was paid.

Billing moves money and knows a payable only by its type, id and reference. When Stripe
says what became of a payment, billing publishes one of these inside the transaction that
records it; the payable's owner subscribes in its `ready()` and ignores payables not of
its type (`payable_type` is the model's `app_label.model_name`, as in `enrollments.enrollment`).

Success and refunds made at Stripe change what the owner guards (a booking's seats), so the
owner takes its own locks first and then records the payment through billing, keeping one
lock order for every change to a booking: `payment_claim_success` and
`refunds_record_from_stripe`. When no subscriber answers, billing records them itself.
"""

from dataclasses import dataclass

from config.events import Event


@dataclass(frozen=True)
class PaymentEvent(Event):
    payment_id: int
    payable_type: str
    payable_id: int


@dataclass(frozen=True)
class PaymentSucceeded(PaymentEvent):
    """Stripe took the money. A subscriber claims it with `payment_claim_success`."""


@dataclass(frozen=True)
class PaymentFailed(PaymentEvent):
    """A card was declined; the payment stays open, so the person may try again."""

    message: str


@dataclass(frozen=True)
class PaymentClosed(PaymentEvent):
    """Stripe closed the payment (a Checkout page expired): nothing more will come of it."""


@dataclass(frozen=True)
class StripeRefund:
    stripe_refund_id: str
    amount_cents: int


@dataclass(frozen=True)
class RefundedAtStripe(PaymentEvent):
    """Stripe reports refunds of the payment, some perhaps made outside Regard (its
    dashboard). A subscriber records them with `refunds_record_from_stripe`."""

    refunds: tuple[StripeRefund, ...]
