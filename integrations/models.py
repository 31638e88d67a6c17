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
