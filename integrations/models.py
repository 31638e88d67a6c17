"""How other systems hear from and read Regard (DESIGN.md, Integrations): calendar feeds."""

from typing import Any

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
