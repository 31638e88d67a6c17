"""The outbox: every email Regard owes, as a row written with the change that owes it."""

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper


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
        # The table it had in enrollments, where it was born (moved in place, DESIGN.md).
        db_table = "enrollments_outgoingmail"
        verbose_name = "outgoing email"
        verbose_name_plural = "outgoing emails"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["related_type", "related_id"]),
            # How many emails an address was written today (recipients_check), any case.
            models.Index(Upper("to"), "created_at", name="outgoing_mail_to_today"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
                name="outgoing_mail_sent_has_time",
            ),
        ]

    def __str__(self) -> str:
        # Never the address: this string goes into admin log entries.
        return f"{self.kind} {self.pk} ({self.status})"


class PracticeAlert(models.Model):
    """Something the practice should know of (a refund that failed, an email that gave up),
    told at once or in the day's digest (`PRACTICE_ALERTS`). Its text names references,
    never people: it travels by email."""

    kind = models.CharField(max_length=50, db_index=True)
    text = models.TextField()
    related_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    related_id = models.PositiveBigIntegerField(null=True, blank=True)
    related = GenericForeignKey("related_type", "related_id")
    created_at = models.DateTimeField(auto_now_add=True)
    told_at = models.DateTimeField(
        null=True, blank=True, help_text="When the practice was told: at once, or in a digest."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["told_at", "created_at"]),
            models.Index(fields=["related_type", "related_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.pk}"
