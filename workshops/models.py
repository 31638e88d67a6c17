"""The catalog: what the practice offers, who leads it, and when it takes place."""

import zoneinfo
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from config.text import active_language


def known_zone(name: str) -> zoneinfo.ZoneInfo:
    """The zone of that name, or UTC for one that does not exist (one being corrected in
    the admin, say): never a failure."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” is not an IANA time zone, such as Europe/Amsterdam.")


currency_validator = RegexValidator(r"^[A-Z]{3}$", "Use a three-letter ISO 4217 code, such as EUR.")


class Topic(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Facilitator(models.Model):
    name = models.CharField(max_length=200)
    credentials = models.CharField(
        max_length=200, blank=True, help_text="For example: PhD, licensed clinical psychologist."
    )
    bio = models.TextField("short bio", max_length=2000, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="facilitator",
        help_text="Their staff account, if they sign in to the admin: they see their own sessions.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Offering(models.Model):
    class Kind(models.TextChoices):
        # Shown on the public pages: translated.
        WORKSHOP = "workshop", _("Workshop")
        TEAM_TRAINING = "team_training", _("Team training")
        COACHING = "coaching", _("Personal guidance (coaching)")

    class Format(models.TextChoices):
        ONLINE = "online", _("Online")
        IN_PERSON = "in_person", _("In person")
        HYBRID = "hybrid", _("Hybrid")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    summary = models.CharField(max_length=300, help_text="One or two sentences for listings.")
    description = models.TextField(blank=True)
    # The same in Dutch, for the pages and emails of people who read Dutch (left empty, the
    # practice's own words above are shown).
    title_nl = models.CharField("title (Dutch)", max_length=200, blank=True)
    summary_nl = models.CharField("summary (Dutch)", max_length=300, blank=True)
    description_nl = models.TextField("description (Dutch)", blank=True)
    audience = models.CharField(
        max_length=300, blank=True, help_text="Who it is for, e.g. clinicians in private practice."
    )
    format = models.CharField(max_length=20, choices=Format.choices)
    duration_minutes = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    price_cents = models.PositiveIntegerField(
        "price (cents)", help_text="In minor units: 18000 is 180.00."
    )
    currency = models.CharField(max_length=3, default="EUR", validators=[currency_validator])
    ce_hours = models.DecimalField(
        "continuing-education hours",
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    ce_accreditor = models.CharField(
        "accredited by",
        max_length=200,
        blank=True,
        help_text="The body that approved its continuing-education hours, as printed on "
        "certificates.",
    )
    ce_statement = models.TextField(
        "approval statement",
        blank=True,
        help_text="The accreditor's approval statement, printed on each certificate.",
    )
    ce_requires_evaluation = models.BooleanField(
        "certificate after the evaluation",
        default=True,
        help_text="A certificate is issued once the participant has answered the follow-up "
        "survey (most accreditors ask for it).",
    )
    # Its tax rule (DESIGN.md, Tax): whoever bills it hands billing the rule with each line.
    tax_rate = models.DecimalField(
        "tax rate (%)",
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Leave empty for the practice's default rate (DEFAULT_TAX_RATE).",
    )
    tax_exempt = models.BooleanField(
        "exempt from VAT",
        default=False,
        help_text="Such as accredited professional education: invoices carry the legal note.",
    )
    topics = models.ManyToManyField(Topic, related_name="offerings", blank=True)
    facilitators = models.ManyToManyField(Facilitator, related_name="offerings", blank=True)
    is_published = models.BooleanField("published", default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()  # the audit trail: who changed what, and when

    class Meta:
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(price_cents__gte=0), name="offering_price_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(duration_minutes__gt=0), name="offering_duration_positive"
            ),
            models.CheckConstraint(
                condition=Q(ce_hours__isnull=True) | Q(ce_hours__gte=0),
                name="offering_ce_hours_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def in_language(self, field: str) -> str:
        """`field` ("title", "summary", "description") in the active language, where the
        practice wrote it in that language; else as written."""
        return str(getattr(self, f"{field}_{active_language()}", "") or getattr(self, field))

    @property
    def shown_title(self) -> str:
        return self.in_language("title")

    @property
    def shown_summary(self) -> str:
        return self.in_language("summary")

    @property
    def shown_description(self) -> str:
        return self.in_language("description")


class Session(models.Model):
    """One scheduled run of an offering; its row is the lock that guards its seats."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        CANCELLED = "cancelled", "Cancelled"
        COMPLETED = "completed", "Completed"

    offering = models.ForeignKey(Offering, on_delete=models.PROTECT, related_name="sessions")
    title = models.CharField(
        max_length=200, blank=True, help_text="Optional; the offering's title is used when empty."
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    timezone = models.CharField(
        max_length=64, default="Europe/Amsterdam", validators=[validate_timezone]
    )
    location = models.CharField(max_length=300, blank=True, help_text="Address, or “Online”.")
    meeting_link = models.URLField(
        max_length=500, blank=True, help_text="Only ever sent to confirmed participants."
    )
    capacity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    price_override_cents = models.PositiveIntegerField(
        "price override (cents)",
        null=True,
        blank=True,
        help_text="Leave empty to use the offering's price.",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SCHEDULED)
    is_public = models.BooleanField(
        "public", default=True, help_text="Private sessions are for one organization, never listed."
    )
    organization = models.CharField(
        max_length=200, blank=True, help_text="The organization a private session is for."
    )
    enrollment_closes_at = models.DateTimeField(
        null=True, blank=True, help_text="Leave empty to close enrollment when the session starts."
    )
    waitlist_enabled = models.BooleanField("waitlist", default=True)
    calendar_sequence = models.PositiveIntegerField(
        default=0,
        editable=False,
        help_text="Raised whenever people are sent a changed calendar entry (RFC 5545 SEQUENCE).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["status", "is_public", "starts_at"])]
        permissions = [("cancel_session", "Can cancel a session (refunds and tells everyone)")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="session_ends_after_start"
            ),
            models.CheckConstraint(condition=Q(capacity__gt=0), name="session_capacity_positive"),
            models.CheckConstraint(
                condition=Q(price_override_cents__isnull=True) | Q(price_override_cents__gte=0),
                name="session_price_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(enrollment_closes_at__isnull=True)
                | Q(enrollment_closes_at__lte=F("starts_at")),
                name="session_enrollment_closes_by_start",
            ),
            models.CheckConstraint(
                condition=Q(is_public=True) | ~Q(organization=""),
                name="session_private_names_organization",
            ),
        ]

    def __str__(self) -> str:
        zone = known_zone(self.timezone)
        local = self.starts_at.astimezone(zone)
        return f"{self.display_title} — {local:%d %b %Y %H:%M} ({zone.key})"

    @property
    def display_title(self) -> str:
        return self.title or self.offering.title

    @property
    def joining_link(self) -> str:
        """The link people join by: the meeting link of a session not held in person only."""
        in_person = self.offering.format == Offering.Format.IN_PERSON
        return "" if in_person else self.meeting_link

    @property
    def shown_title(self) -> str:
        """The title people read, in the active language (`Offering.in_language`); the API
        and the admin keep `display_title`, the practice's own words."""
        return self.title or self.offering.shown_title

    @property
    def price_cents(self) -> int:
        if self.price_override_cents is not None:
            return self.price_override_cents
        return self.offering.price_cents

    @property
    def enrollment_deadline(self) -> datetime:
        return self.enrollment_closes_at or self.starts_at

    def accepts_enrollments(self, now: datetime) -> bool:
        """Scheduled and before the enrollment deadline; seats are counted elsewhere."""
        return self.status == self.Status.SCHEDULED and now < self.enrollment_deadline

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = "The session has to end after it starts."
        if (
            self.enrollment_closes_at
            and self.starts_at
            and self.enrollment_closes_at > self.starts_at
        ):
            errors["enrollment_closes_at"] = (
                "Enrollment has to close by the time the session starts."
            )
        if not self.is_public and not self.organization:
            errors["organization"] = "A private session is for one organization: name it."
        if errors:
            raise ValidationError(errors)
