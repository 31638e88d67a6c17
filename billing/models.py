"""Payments and refunds as Stripe saw them, and every Stripe event we were sent."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords


class Payment(models.Model):
    """One attempt to collect what a *payable* asks for through Stripe.

    The payable is whatever is being paid (a booking now, an invoice later), named by its
    owner when it asks for the payment: billing keeps its type, id and reference and knows
    nothing else of it (DESIGN.md, the dependency rule).
    """

    class Flow(models.TextChoices):
        CHECKOUT = "checkout", "Checkout (hosted page)"
        PAYMENT_INTENT = "payment_intent", "PaymentIntent (Elements)"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    payable_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    payable_id = models.PositiveBigIntegerField()
    payable = GenericForeignKey("payable_type", "payable_id")
    payable_reference = models.CharField(
        max_length=40, db_index=True, help_text="The reference of what is paid, such as ENR-7KQ2M9."
    )
    attempt = models.PositiveSmallIntegerField()
    flow = models.CharField(max_length=20, choices=Flow.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    amount_cents = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    stripe_payment_intent_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    stripe_checkout_session_id = models.CharField(
        max_length=255, null=True, blank=True, unique=True
    )
    checkout_url = models.URLField(max_length=2000, blank=True)
    client_secret = models.CharField(max_length=255, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)
    # The audit trail; the secrets that let a browser pay are left out of it.
    history = HistoricalRecords(excluded_fields=["client_secret", "checkout_url"])

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Its index also serves every lookup of a payable's payments.
            models.UniqueConstraint(
                fields=["payable_type", "payable_id", "attempt"],
                name="payment_attempt_once_per_payable",
            )
        ]

    def __str__(self) -> str:
        return f"payment {self.attempt} of {self.payable_reference} ({self.status})"


class Refund(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    class Reason(models.TextChoices):
        CANCELLATION = "cancellation", "Cancelled by the participant"
        LATE_PAYMENT = "late_payment", "Paid after the hold, no seat left"
        DUPLICATE = "duplicate", "Paid twice"
        ADMIN = "admin", "Refunded by the practice"
        SESSION_CANCELLED = "session_cancelled", "Session cancelled by the practice"
        STRIPE_DASHBOARD = "stripe_dashboard", "Refunded in Stripe's dashboard"

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount_cents = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(max_length=30, choices=Reason.choices)
    stripe_refund_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="refund_amount_positive")
        ]

    def __str__(self) -> str:
        return f"refund {self.pk} of payment {self.payment_id} ({self.status})"


class StripeEvent(models.Model):
    """A verified webhook delivery. Its Stripe id is unique, so it is applied at most once."""

    stripe_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100, db_index=True)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    result = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["processed_at", "received_at"])]

    def __str__(self) -> str:
        return f"{self.type} {self.stripe_id}"
