"""Organizations and proposals: a team training (or a one-to-one session) from an inquiry
to an accepted offer, its private session, its booking and its invoice (DESIGN.md)."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords


class Organization(models.Model):
    """Who books team trainings and is invoiced for them: a clinic, a hospital, a team."""

    name = models.CharField(max_length=200)
    address = models.CharField("street and number", max_length=300, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    city = models.CharField(max_length=100, blank=True)
    country = models.CharField(
        max_length=2, blank=True, help_text="ISO 3166 code, such as NL or DE."
    )
    vat_id = models.CharField(
        "VAT ID", max_length=20, blank=True, help_text="Checked against the country's format."
    )
    billing_email = models.EmailField(
        max_length=254, blank=True, help_text="Where invoices go, if not to the contact."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    anonymized_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["billing_email"])

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name or f"organization {self.pk}"


class Contact(models.Model):
    """Someone at an organization the practice works with."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(max_length=200)
    email = models.EmailField(max_length=254)
    phone = models.CharField(max_length=40, blank=True)
    role = models.CharField(max_length=100, blank=True, help_text="Such as team lead, HR.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organization", "name", "id"]

    def __str__(self) -> str:
        return f"contact {self.pk} of {self.organization_id}"


class Proposal(models.Model):
    """An offer for a team training (to an organization) or a one-to-one session (to one
    person), with one or more times to choose from; read and accepted by its secret link."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SENT = "sent", "Sent"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        EXPIRED = "expired", "Expired"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class Pricing(models.TextChoices):
        PER_SEAT = "per_seat", "Per seat"
        FLAT = "flat", "Flat fee"

    class Payment(models.TextChoices):
        INVOICE = "invoice", "By invoice"
        CARD = "card", "By card"

    OPEN = (Status.SENT,)

    reference = models.CharField(max_length=12, unique=True, editable=False)
    token = models.CharField(max_length=64, unique=True, editable=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="proposals",
        help_text="Empty for a one-to-one session offered to one person.",
    )
    inquiry = models.ForeignKey(
        "inquiries.Inquiry",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="proposals",
    )
    contact_name = models.CharField(max_length=200)
    contact_email = models.EmailField(max_length=254)
    offering = models.ForeignKey(
        "workshops.Offering", on_delete=models.PROTECT, related_name="proposals"
    )
    seats = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(1000)]
    )
    pricing = models.CharField(max_length=10, choices=Pricing.choices, default=Pricing.PER_SEAT)
    price_cents = models.PositiveIntegerField(
        "price (cents)", help_text="Per seat, or the flat fee; as the catalog lists prices."
    )
    discount_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    tax_rate = models.DecimalField(
        "tax rate (%)",
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Leave empty for the offering's tax rule.",
    )
    location = models.CharField(max_length=300, blank=True, help_text="Address, or “Online”.")
    valid_until = models.DateField()
    terms = models.TextField(
        "cancellation terms", help_text="Shown on the proposal's page and PDF, and its invoice."
    )
    message = models.TextField(
        blank=True, help_text="A personal note at the top of the proposal (optional)."
    )
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, default="en")
    # What accepting made of it.
    chosen_option = models.ForeignKey(
        "ProposalDateOption", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    payment = models.CharField(max_length=10, choices=Payment.choices, blank=True)
    po_number = models.CharField("PO number", max_length=50, blank=True)
    enrollment = models.OneToOneField(
        "enrollments.Enrollment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="proposal",
    )
    invoice = models.ForeignKey(
        "billing.Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decline_reason = models.TextField(max_length=2000, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    anonymized_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords(
        excluded_fields=[
            "token",
            "contact_name",
            "contact_email",
            "po_number",
            "decline_reason",
            "message",
        ]
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "valid_until"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(organization__isnull=False) | Q(seats=1),
                name="proposal_for_one_person_has_one_seat",
            ),
            models.CheckConstraint(
                condition=~Q(status="accepted") | Q(enrollment__isnull=False),
                name="proposal_accepted_has_booking",
            ),
        ]

    def __str__(self) -> str:
        # The reference only: this string goes into admin log entries and history.
        return self.reference

    @property
    def for_organization(self) -> bool:
        return self.organization_id is not None


class ProposalDateOption(models.Model):
    """One time offered: a start time; the session lasts the offering's duration."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="options")
    starts_at = models.DateTimeField()

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "starts_at"], name="proposal_option_once")
        ]

    def __str__(self) -> str:
        return f"option {self.pk} of {self.proposal_id}"
