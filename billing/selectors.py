"""Reads of payments and refunds, by what they pay for."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, QuerySet, Sum

from billing.models import Payment, Refund


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
