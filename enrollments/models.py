"""Inquiries, enrollments, surveys and the outgoing-mail outbox."""

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q


class OutgoingMail(models.Model):
    """An email the system owes, written in the same transaction as the change that causes it.

    A worker claims a row by moving it from `queued` to `sending`; a row left in
    `sending` by a crashed worker goes back to `queued` when its lease runs out, so the
    email is delayed, never lost.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=50, db_index=True)
    to = models.EmailField("recipient", max_length=254)
    subject = models.CharField(max_length=255)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    attachments = models.JSONField(
        default=list, blank=True, help_text="[{filename, content_type, content}] of text files."
    )
    related_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    related_id = models.PositiveBigIntegerField(null=True, blank=True)
    related = GenericForeignKey("related_type", "related_id")
    dedupe_key = models.CharField(
        max_length=200,
        null=True,
        blank=True,
        unique=True,
        help_text="Set for mail that must never go out twice, such as a reminder.",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "outgoing email"
        verbose_name_plural = "outgoing emails"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["related_type", "related_id"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
                name="outgoing_mail_sent_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to} ({self.status})"


class Enrollment(models.Model):
    """Seats a person or an organization takes in a session, and what became of them."""

    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", "Pending payment"
        CONFIRMED = "confirmed", "Confirmed"
        WAITLISTED = "waitlisted", "Waitlisted"
        OFFERED = "offered", "Offered a seat"
        CANCELLED = "cancelled", "Cancelled"
        EXPIRED = "expired", "Expired"
        REFUNDED = "refunded", "Refunded"

    # Statuses whose seats count against capacity (held ones only until the hold lapses).
    HOLDING = (Status.PENDING_PAYMENT, Status.OFFERED)

    session = models.ForeignKey(
        "workshops.Session", on_delete=models.PROTECT, related_name="enrollments"
    )
    name = models.CharField(max_length=200)
    email = models.EmailField(max_length=254)
    organization = models.CharField(max_length=200, blank=True)
    seats = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices)
    amount_cents = models.PositiveIntegerField(help_text="For all seats, in minor units.")
    currency = models.CharField(max_length=3)
    hold_expires_at = models.DateTimeField(null=True, blank=True)
    token = models.CharField(max_length=64, unique=True, editable=False)
    reference = models.CharField(max_length=12, unique=True, editable=False)
    consent_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["session", "status"])]
        constraints = [
            models.CheckConstraint(condition=Q(seats__gte=1), name="enrollment_seats_positive"),
            models.CheckConstraint(
                condition=~Q(status__in=["pending_payment", "offered"])
                | Q(hold_expires_at__isnull=False),
                name="enrollment_hold_has_expiry",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} — {self.name} ({self.seats} seat(s), {self.status})"


class Participant(models.Model):
    """A named person attending on an enrollment's seats (the purchaser may be one of them)."""

    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.CASCADE, related_name="participants"
    )
    name = models.CharField(max_length=200)
    email = models.EmailField(max_length=254)
    attended = models.BooleanField(
        null=True, blank=True, help_text="Empty until attendance is taken."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "email"], name="participant_once_per_enrollment"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class IdempotencyKey(models.Model):
    """The first answer to a create request, replayed when a client retries with the same key."""

    key = models.CharField(max_length=255, unique=True)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.key
