"""How other systems hear from and read Regard (DESIGN.md, Integrations): calendar feeds."""

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q


class CalendarFeed(models.Model):
    """A secret `.ics` address a calendar subscribes to: the practice's sessions, or the
    sessions of one facilitator's offerings."""

    facilitator = models.ForeignKey(
        "workshops.Facilitator",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="calendar_feeds",
        help_text="Empty: every session of the practice.",
    )
    token = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_read_at = models.DateTimeField(null=True, blank=True, editable=False)

    # "practice", or "facilitator-<id>": whose feed it is, for the one-live-feed rule.
    owner = models.CharField(max_length=40, editable=False)

    class Meta:
        ordering = ["facilitator__name", "-created_at", "id"]
        constraints = [
            # One live feed each, the practice's and each facilitator's: a new one replaces it.
            models.UniqueConstraint(
                fields=["owner"],
                condition=Q(revoked_at__isnull=True),
                name="calendar_feed_one_live_each",
            ),
        ]

    def __str__(self) -> str:
        whose = self.facilitator.name if self.facilitator else "the practice"
        return f"calendar feed of {whose}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.owner = f"facilitator-{self.facilitator_id}" if self.facilitator_id else "practice"
        super().save(*args, **kwargs)


class StaffToken(models.Model):
    """A key another system uses to read the staff API (`Authorization: Bearer <token>`),
    acting as a staff account, with that account's permissions and only the scopes given.

    The token is shown once, when it is made; only its SHA-256 is kept (a 256-bit random
    secret needs no slow hash), with its first characters to tell tokens apart."""

    class Scope(models.TextChoices):
        SESSIONS = "sessions", "Sessions (private ones too)"
        ROSTERS = "rosters", "Sessions' rosters: who comes"
        ENROLLMENTS = "enrollments", "Bookings"
        INQUIRIES = "inquiries", "Inquiries (their messages only if the account may read them)"

    name = models.CharField(max_length=100, help_text="What uses it, such as “the CRM”.")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="staff_tokens",
        help_text="The staff account it acts as: it may read only what that account may.",
    )
    scopes = models.JSONField(default=list)
    prefix = models.CharField(max_length=12, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class WebhookEndpoint(models.Model):
    """Another system's address, told of what happens here (Standard Webhooks)."""

    class Event(models.TextChoices):
        ENROLLMENT_CONFIRMED = "enrollment.confirmed"
        ENROLLMENT_CANCELLED = "enrollment.cancelled"
        ENROLLMENT_ROSTER_CHANGED = "enrollment.roster_changed"
        INQUIRY_RECEIVED = "inquiry.received", "inquiry.received (never the message)"
        PROPOSAL_ACCEPTED = "proposal.accepted"
        INVOICE_ISSUED = "invoice.issued"
        INVOICE_PAID = "invoice.paid"
        SURVEY_SUBMITTED = "survey.submitted", "survey.submitted (never the answers)"
        CERTIFICATE_ISSUED = "certificate.issued"

    url = models.URLField(
        "URL", max_length=500, help_text="https, on an address the internet can reach."
    )
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list)
    secret = models.CharField(max_length=100, editable=False)
    active = models.BooleanField(default=True)
    disabled_at = models.DateTimeField(null=True, blank=True, editable=False)
    disabled_reason = models.CharField(max_length=200, blank=True, editable=False)
    # The first failure of the failures in a row (cleared by a success): five days of them
    # disable the endpoint.
    failing_since = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["url", "id"]

    def __str__(self) -> str:
        return self.description or self.url


class WebhookMessage(models.Model):
    """One event, as every endpoint receives it: the same id, timestamp and body."""

    msg_id = models.CharField(max_length=40, unique=True, editable=False)
    type = models.CharField(max_length=40, choices=WebhookEndpoint.Event.choices)
    body = models.TextField(editable=False)  # the JSON signed and sent, byte for byte
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.type} {self.msg_id}"


class WebhookDelivery(models.Model):
    """A message owed to one endpoint: sent, retried on the schedule, or given up."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Gave up"

    message = models.ForeignKey(WebhookMessage, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    # A worker sending it holds it until then; one that crashed lets it go by itself.
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["message", "endpoint"], name="webhook_delivery_once_per_endpoint"
            )
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.message.type} to {self.endpoint_id} ({self.status})"


class WebhookAttempt(models.Model):
    """One try of a delivery, for the log: when, the answer, how long it took."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="tries")
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=200, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"attempt at {self.at:%Y-%m-%d %H:%M:%S}: {self.status_code or self.error}"
