"""Inquiries: someone asking for personal guidance or a team training, and its pipeline.

The tables keep the names they had in enrollments, where these models were born: they were
moved in place (DESIGN.md).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.references import new_reference


def new_inquiry_reference() -> str:
    """`INQ-` and six random characters: about a billion, so a collision is rare, not impossible."""
    return new_reference("INQ")


class Inquiry(models.Model):
    """Someone asking for personal guidance or a team training: often their first contact.

    Statuses move forward through the pipeline only, and every change is recorded as an
    `InquiryStatusChange` by `inquiry_change_status`. Once anonymized, the contact fields
    and the message are empty; kind, dates, status and its history stay for statistics.
    """

    class Kind(models.TextChoices):
        # What a person chooses on the contact form, and reads in our reply: translated.
        PERSONAL_GUIDANCE = "personal_guidance", _("Personal guidance")
        TEAM_TRAINING = "team_training", _("Team training")
        GENERAL = "general", _("General question")

    class Status(models.TextChoices):
        NEW = "new", "New"
        CONTACTED = "contacted", "Contacted"
        PROPOSAL_SENT = "proposal_sent", "Proposal sent"
        WON = "won", "Won"
        LOST = "lost", "Lost"
        CLOSED = "closed", "Closed"

    class Source(models.TextChoices):
        FORM = "form", "Inquiry form"
        SURVEY = "survey", "Follow-up survey"

    reference = models.CharField(max_length=10, unique=True, editable=False)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    status_changed_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.FORM)
    urgent = models.BooleanField(
        default=False, help_text="The message contains words that may mean the person is in crisis."
    )
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(max_length=254, blank=True, db_index=True)
    phone = models.CharField(max_length=40, blank=True)
    organization = models.CharField(max_length=200, blank=True)
    team_size = models.PositiveIntegerField(null=True, blank=True)
    offering = models.ForeignKey(
        "workshops.Offering",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inquiries",
    )
    preferred_dates = models.CharField(max_length=500, blank=True)
    message = models.TextField(max_length=5000, blank=True)
    language = models.CharField(
        max_length=8,
        choices=settings.LANGUAGES,
        default="en",
        help_text="The language the person wrote in, and our emails to them are written in.",
    )
    consent_at = models.DateTimeField(
        "consent given at",
        null=True,
        blank=True,
        help_text="When the person agreed that we keep and use these details to reply.",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_inquiries",
        limit_choices_to={"is_staff": True},
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    anonymized_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "enrollments_inquiry"
        verbose_name_plural = "inquiries"
        permissions = [("view_inquiry_message", "Can read what people wrote, and the notes")]
        # Someone who may be in crisis is never at the bottom of the list.
        ordering = ["-urgent", "-created_at", "-id"]
        indexes = [models.Index(fields=["status", "status_changed_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(team_size__isnull=True) | Q(team_size__gte=2, team_size__lte=1000),
                name="inquiry_team_size_in_range",
            ),
            models.CheckConstraint(
                condition=~Q(kind="team_training")
                | Q(anonymized_at__isnull=False)
                | (~Q(organization="") & Q(team_size__isnull=False)),
                name="inquiry_team_training_names_team",
            ),
            models.CheckConstraint(
                condition=Q(source="survey") | Q(consent_at__isnull=False),
                name="inquiry_form_has_consent",
            ),
        ]

    def __str__(self) -> str:
        # Only the reference: this string shows up in logs, admin messages and history.
        return self.reference

    FINISHED = (Status.WON, Status.LOST, Status.CLOSED)
    _PIPELINE = (Status.NEW, Status.CONTACTED, Status.PROPOSAL_SENT, Status.WON, Status.CLOSED)

    @classmethod
    def allows_move(cls, from_status: str, to_status: str) -> bool:
        """Forward through the pipeline, any step may be skipped; anything can be closed.

        Won and lost are both one step after proposal_sent, so neither follows the other.
        """
        if to_status == from_status or from_status == cls.Status.CLOSED:
            return False
        if to_status == cls.Status.CLOSED:
            return True
        rank: dict[str, int] = {status: position for position, status in enumerate(cls._PIPELINE)}
        rank[cls.Status.LOST] = rank[cls.Status.WON]
        return rank[to_status] > rank[from_status]

    @property
    def is_anonymized(self) -> bool:
        return self.anonymized_at is not None


class InquiryNote(models.Model):
    """An internal note of the practice's; never shown to the person, never edited."""

    inquiry = models.ForeignKey(Inquiry, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(max_length=5000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "enrollments_inquirynote"
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Note on {self.inquiry_id} at {self.created_at:%Y-%m-%d %H:%M}"


class InquiryStatusChange(models.Model):
    """One step of an inquiry's history; `from_status` is empty for the step that created it."""

    inquiry = models.ForeignKey(Inquiry, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(
        "from", max_length=20, choices=Inquiry.Status.choices, blank=True
    )
    to_status = models.CharField("to", max_length=20, choices=Inquiry.Status.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "enrollments_inquirystatuschange"
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_status=F("to_status")), name="inquiry_status_change_changes"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_status or '—'} → {self.to_status}"
