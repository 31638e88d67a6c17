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
        INVOICE_CORRECTED = "invoice_corrected", "Invoice corrected (less to pay)"

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


class InvoiceSeries(models.Model):
    """The last number given in one series (invoices or credit notes, per year): its row is
    locked by the issuing transaction, so numbers are gapless and never given twice; a
    transaction that rolls back gives its number back (a database sequence would not)."""

    key = models.CharField(max_length=40, unique=True)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "invoice series"

    def __str__(self) -> str:
        return f"{self.key}: {self.last_number}"


class Invoice(models.Model):
    """An invoice or a credit note: the legal record, never edited or deleted (DESIGN.md
    invariant 10). Seller and buyer are copied in when it is issued; a correction is a credit
    note that refers to it. Only what became of it changes: what was paid, and its status.

    Amounts are in minor units; a credit note's are negative, so sums per period are right.
    """

    class Kind(models.TextChoices):
        INVOICE = "invoice", "Invoice"
        CREDIT_NOTE = "credit_note", "Credit note"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        PAID = "paid", "Paid"
        VOID = "void", "Void (credited in full)"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    number = models.CharField(max_length=40, unique=True, editable=False)
    token = models.CharField(max_length=64, unique=True, editable=False)
    status = models.CharField(max_length=10, choices=Status.choices)
    # What it bills for, named by its owner (a booking); billing keeps its type, id, reference.
    payable_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    payable_id = models.PositiveBigIntegerField(null=True, blank=True)
    payable = GenericForeignKey("payable_type", "payable_id")
    payable_reference = models.CharField(max_length=40, blank=True, db_index=True)
    refers_to = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="credit_notes",
        help_text="The invoice a credit note corrects.",
    )
    reason = models.CharField(max_length=200, blank=True, help_text="Why a credit note was issued.")
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, default="en")
    issued_at = models.DateTimeField()
    due_at = models.DateTimeField()
    seller_name = models.CharField(max_length=200)
    seller_address = models.TextField()
    seller_country = models.CharField(max_length=2)
    seller_vat_id = models.CharField(max_length=20, blank=True)
    buyer_name = models.CharField(max_length=200)
    buyer_email = models.EmailField(max_length=254)
    buyer_company = models.CharField(max_length=200, blank=True)
    buyer_address = models.CharField(max_length=300, blank=True)
    buyer_postal_code = models.CharField(max_length=20, blank=True)
    buyer_city = models.CharField(max_length=100, blank=True)
    buyer_country = models.CharField(max_length=2, blank=True)
    buyer_vat_id = models.CharField(max_length=20, blank=True)
    po_number = models.CharField("PO number", max_length=50, blank=True)
    currency = models.CharField(max_length=3)
    net_cents = models.IntegerField()
    tax_cents = models.IntegerField()
    total_cents = models.IntegerField()
    paid_cents = models.IntegerField(default=0)
    reverse_charge = models.BooleanField(default=False)
    notes = models.TextField(blank=True, help_text="The legal notes and terms it was issued with.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    anonymized_at = models.DateTimeField(null=True, blank=True)
    # Who the buyer is never goes into history (DESIGN.md invariant 8); what changes is money.
    history = HistoricalRecords(
        excluded_fields=[
            "token",
            "buyer_name",
            "buyer_email",
            "buyer_company",
            "buyer_address",
            "buyer_postal_code",
            "buyer_city",
            "buyer_vat_id",
            "po_number",
            "notes",
            "reason",
        ]
    )

    class Meta:
        ordering = ["-issued_at", "-id"]
        indexes = [
            models.Index(fields=["status", "due_at"]),
            models.Index(fields=["payable_type", "payable_id"]),
            models.Index(fields=["issued_at"]),
        ]
        permissions = [
            ("issue_invoice", "Can issue invoices and credit notes"),
            ("mark_invoice_paid", "Can record a bank transfer against an invoice"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(total_cents=models.F("net_cents") + models.F("tax_cents")),
                name="invoice_net_plus_tax_is_total",
            ),
            models.CheckConstraint(
                condition=Q(kind="invoice", refers_to__isnull=True)
                | Q(kind="credit_note", refers_to__isnull=False),
                name="invoice_credit_note_refers_to_invoice",
            ),
        ]

    def __str__(self) -> str:
        # The number only: this string goes into admin log entries and history.
        return f"{self.get_kind_display()} {self.number}"

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise PermissionError("An invoice is never deleted; a credit note corrects it.")

    @property
    def open_cents(self) -> int:
        """What is still to pay: the total, less what credit notes took off and what came in."""
        return self.total_cents + self.credited_cents - self.paid_cents

    @property
    def credited_cents(self) -> int:
        if self.kind != self.Kind.INVOICE or self.pk is None:
            return 0
        return sum(note.total_cents for note in self.credit_notes.all())


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveSmallIntegerField()
    description = models.CharField(max_length=300)
    quantity = models.PositiveIntegerField()
    unit_price_cents = models.IntegerField(help_text="As priced: tax included or not.")
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2)
    tax_note = models.CharField(max_length=300, blank=True)
    net_cents = models.IntegerField()
    tax_cents = models.IntegerField()
    total_cents = models.IntegerField()

    class Meta:
        ordering = ["invoice", "position"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="invoice_line_once"),
            models.CheckConstraint(
                condition=Q(total_cents=models.F("net_cents") + models.F("tax_cents")),
                name="invoice_line_net_plus_tax_is_total",
            ),
        ]

    def __str__(self) -> str:
        return f"line {self.position} of invoice {self.invoice_id}"


class InvoicePayment(models.Model):
    """Money received against an invoice: a bank transfer the practice recorded, or a card
    payment through Stripe. Part payments add up."""

    class Method(models.TextChoices):
        BANK_TRANSFER = "bank_transfer", "Bank transfer"
        CARD = "card", "Card (Stripe)"
        CARRIED_OVER = "carried_over", "Carried over to or from a corrected invoice"
        REFUND = "refund", "Given back (a refund)"

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    method = models.CharField(max_length=20, choices=Method.choices)
    amount_cents = models.IntegerField()
    received_on = models.DateField()
    reference = models.CharField(
        max_length=100, blank=True, help_text="The bank's reference, or Stripe's payment."
    )
    # The card payment it came from; carried over to a corrected invoice, it keeps it.
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="invoice_payments"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["received_on", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount_cents=0), name="invoice_payment_not_zero"),
        ]

    def __str__(self) -> str:
        return f"payment {self.pk} of invoice {self.invoice_id}"
