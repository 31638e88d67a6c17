"""Reads of payments, refunds and invoices, by what they pay for or bill."""

from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db.models import Case, Model, QuerySet, Sum, When
from django.db.models.expressions import OrderBy

from billing.models import Invoice, Payment, Refund
from config.errors import NotFound


def payable_type(payment: Payment) -> str:
    """`app_label.model_name` of what the payment pays, as billing's events name it."""
    kind = ContentType.objects.get_for_id(payment.payable_type_id)
    return f"{kind.app_label}.{kind.model}"


def payments_of(payable: Model) -> QuerySet[Payment]:
    return Payment.objects.filter(
        payable_type=ContentType.objects.get_for_model(payable), payable_id=payable.pk
    )


def refunds_of(payable: Model) -> QuerySet[Refund]:
    return Refund.objects.filter(
        payment__payable_type=ContentType.objects.get_for_model(payable),
        payment__payable_id=payable.pk,
    )


def paid_cents(payable: Model) -> int:
    succeeded = payments_of(payable).filter(status=Payment.Status.SUCCEEDED)
    return int(succeeded.aggregate(total=Sum("amount_cents"))["total"] or 0)


def refunded_cents(payable: Model) -> int:
    given_back = refunds_of(payable).exclude(status=Refund.Status.FAILED)
    return int(given_back.aggregate(total=Sum("amount_cents"))["total"] or 0)


def refundable_cents(payable: Model) -> int:
    return paid_cents(payable) - refunded_cents(payable)


def invoices_of(payable: Model) -> QuerySet[Invoice]:
    """The invoices and credit notes issued for what was billed (a booking)."""
    return Invoice.objects.filter(
        payable_type=ContentType.objects.get_for_model(payable), payable_id=payable.pk
    )


def overdue_first(*, now: datetime) -> tuple[OrderBy | str, ...]:
    """An ordering: open invoices past their due date first (the oldest due first), then
    the rest, newest first."""
    overdue = Case(
        When(kind=Invoice.Kind.INVOICE, status=Invoice.Status.OPEN, due_at__lt=now, then=0),
        default=1,
    )
    return (overdue.asc(), "due_at", "-issued_at", "-pk")


def invoice_by_token(token: str) -> Invoice:
    """The invoice behind a secret link; an unknown or anonymized one is not found."""
    invoice = (
        Invoice.objects.select_related("refers_to")
        .prefetch_related("lines", "credit_notes")
        .filter(token=token, anonymized_at=None)
        .first()
    )
    if invoice is None:
        raise NotFound()
    return invoice


def invoice_paying_at_checkout(session_id: str, *, since: datetime) -> Invoice | None:
    """The invoice whose payment is the Checkout Session `session_id`, started since then."""
    payment = Payment.objects.filter(
        stripe_checkout_session_id=session_id,
        created_at__gte=since,
        payable_type=ContentType.objects.get_for_model(Invoice),
    ).first()
    return Invoice.objects.filter(pk=payment.payable_id).first() if payment else None
