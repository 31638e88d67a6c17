"""What billing reports about a payment, for the app that owns what was paid.

Billing moves money and knows a payable only by its type, id and reference. When Stripe
says what became of a payment, billing publishes one of these inside the transaction that
records it; the payable's owner subscribes in its `ready()` and ignores payables not of
its type (`payable_type` is the model's `app_label.model_name`, as in `enrollments.enrollment`).

An owner that answers takes its own locks first (a booking: its session's) and then records
the outcome through billing, with the function named on each event, and returns what it did;
so every change to what it guards takes its locks in one order. When no owner answers,
billing records the outcome itself (`billing.services.payments.report`).
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
    """Stripe took the money. Recorded with `payment_claim_success`."""


@dataclass(frozen=True)
class PaymentFailed(PaymentEvent):
    """A card was declined; the payment stays open, so the person may try again. Recorded
    with `payment_record_failure`."""

    message: str


@dataclass(frozen=True)
class PaymentClosed(PaymentEvent):
    """Stripe closed the payment (a Checkout page expired): nothing more will come of it.
    Recorded with `payment_record_closed`."""


@dataclass(frozen=True)
class StripeRefund:
    """A refund as Stripe lists it: ours (it carries our row's id) or made in its dashboard."""

    stripe_refund_id: str
    amount_cents: int
    status: str = "succeeded"  # Stripe's word: succeeded, pending, failed, canceled
    our_refund_id: int | None = None

    @property
    def failed(self) -> bool:
        return self.status in {"failed", "canceled"}


@dataclass(frozen=True)
class RefundedAtStripe(PaymentEvent):
    """Stripe reports refunds of the payment, some perhaps made outside Regard (its
    dashboard). Recorded with `refunds_record_from_stripe`."""

    refunds: tuple[StripeRefund, ...]


@dataclass(frozen=True)
class RefundFailed(PaymentEvent):
    """Stripe could not give the money back: the practice is told, and the payable's owner
    tells the person it is looked into (never leaving them told "refunded")."""

    refund_id: int
    amount_cents: int


@dataclass(frozen=True)
class InvoiceIssued(Event):
    """An invoice or credit note was issued (its PDF is rendered on request, after commit)."""

    invoice_id: int
    kind: str
    payable_type: str
    payable_id: int | None


@dataclass(frozen=True)
class InvoicePaid(Event):
    """Everything an invoice asked for has come in (by card, by transfer, or in parts)."""

    invoice_id: int
    payable_type: str
    payable_id: int | None
