"""Bookings: seats taken in a session, the people who attend on them, and retried requests."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from simple_history.models import HistoricalRecords

from config.references import new_token


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
    # Statuses a booking can be given up from, by the person holding the link.
    CANCELLABLE = (Status.PENDING_PAYMENT, Status.OFFERED, Status.WAITLISTED, Status.CONFIRMED)

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
    language = models.CharField(
        max_length=8,
        choices=settings.LANGUAGES,
        default="en",
        help_text="The language every email about this booking is written in.",
    )
    hold_expires_at = models.DateTimeField(null=True, blank=True)
    token = models.CharField(max_length=64, unique=True, editable=False)
    reference = models.CharField(max_length=12, unique=True, editable=False)
    consent_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    anonymized_at = models.DateTimeField(null=True, blank=True)
    by_hand = models.BooleanField(
        default=False,
        editable=False,
        help_text="Booked by the practice in the admin (on the phone, or a complimentary seat).",
    )
    roster_changes = models.PositiveSmallIntegerField(
        default=0, editable=False, help_text="Times its participants were changed by its link."
    )
    # The audit trail, without who the booking is for: history never holds a name
    # (DESIGN.md invariant 8), and the token is a key.
    history = HistoricalRecords(excluded_fields=["name", "email", "organization", "token"])
    # What billing was asked to collect for this booking (the payable of DESIGN.md).
    payments = GenericRelation(
        "billing.Payment",
        content_type_field="payable_type",
        object_id_field="payable_id",
        related_query_name="enrollment",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["session", "status"])]
        permissions = [
            ("refund_enrollment", "Can refund a booking, beyond the cancellation policy"),
            ("erase_personal_data", "Can erase or export everything held about a person"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(seats__gte=1), name="enrollment_seats_positive"),
            models.CheckConstraint(
                condition=~Q(status__in=["pending_payment", "offered"])
                | Q(hold_expires_at__isnull=False),
                name="enrollment_hold_has_expiry",
            ),
        ]

    def __str__(self) -> str:
        # The reference only: this string goes into admin log entries and history.
        return f"{self.reference} ({self.seats} seat(s), {self.status})"

    @property
    def is_anonymized(self) -> bool:
        return self.anonymized_at is not None


class Participant(models.Model):
    """A named person attending on an enrollment's seats (the purchaser may be one of them)."""

    enrollment = models.ForeignKey(
        Enrollment, on_delete=models.CASCADE, related_name="participants"
    )
    name = models.CharField(max_length=200)
    email = models.EmailField(max_length=254)
    # The participant's own page (DESIGN.md): their session, survey and certificates, never
    # the booking's (which belongs to whoever booked).
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    registration_number = models.CharField(
        "professional registration number",
        max_length=60,
        blank=True,
        help_text="Printed on their certificates, if they give it.",
    )

    class Attendance(models.TextChoices):
        NOT_TAKEN = "", "Not taken yet"
        PRESENT = "present", "Present"
        ABSENT = "absent", "Absent"
        PARTIAL = "partial", "Part of the session"

    attendance = models.CharField(max_length=10, choices=Attendance.choices, default="", blank=True)
    minutes_attended = models.PositiveIntegerField(
        null=True, blank=True, help_text="For part of the session: how many minutes."
    )
    attendance_marked_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(attendance="partial", minutes_attended__gte=1)
                | (~Q(attendance="partial") & Q(minutes_attended__isnull=True)),
                name="participant_partial_has_minutes",
            ),
            models.UniqueConstraint(
                fields=["enrollment", "email"],
                condition=~Q(email=""),  # the anonymized ones are many
                name="participant_once_per_enrollment",
            ),
        ]

    def __str__(self) -> str:
        return f"participant {self.pk} of booking {self.enrollment_id}"


class IdempotencyKey(models.Model):
    """The first answer to a create request, replayed when a client retries with the same key."""

    key = models.CharField(max_length=255, unique=True)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"idempotency key {self.pk}"  # the key is the client's: it could say anything


class DiscountCode(models.Model):
    """A code that takes a percentage or an amount off a booking (DESIGN.md, Discount codes).
    Its uses are its redemptions not given back, counted under the code's row lock."""

    class Kind(models.TextChoices):
        PERCENT = "percent", "Percentage off"
        AMOUNT = "amount", "Amount off"

    code = models.CharField(
        max_length=40,
        unique=True,
        help_text="At least 5 letters or digits; people may type it in any case.",
    )
    label = models.CharField(
        max_length=200,
        blank=True,
        help_text="What it is for, for the practice (e.g. “spring newsletter”); never a name.",
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PERCENT)
    percent_off = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="For a percentage: 1 to 100."
    )
    amount_off_cents = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="For an amount: in minor units (cents), off each booking, never below zero.",
    )
    currency = models.CharField(
        max_length=3, default="EUR", help_text="An amount off applies to prices in this currency."
    )
    offerings = models.ManyToManyField(
        "workshops.Offering",
        blank=True,
        related_name="discount_codes",
        help_text="None chosen: every offering.",
    )
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    max_uses = models.PositiveIntegerField(
        null=True, blank=True, help_text="Bookings it may be used for in all; empty: no limit."
    )
    max_uses_per_email = models.PositiveIntegerField(
        null=True, blank=True, default=1, help_text="Per email address; empty: no limit."
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="percent", percent_off__gte=1, percent_off__lte=100)
                    | Q(kind="amount", amount_off_cents__gte=1)
                ),
                name="discount_code_says_how_much",
            ),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_until__isnull=True)
                | Q(valid_until__gt=models.F("valid_from")),
                name="discount_code_valid_in_order",
            ),
            # Kept in capitals, as it is looked up: typed in any case, it is the same code.
            models.CheckConstraint(condition=Q(code=Upper("code")), name="discount_code_upper"),
        ]

    def __str__(self) -> str:
        return self.code


class DiscountRedemption(models.Model):
    """A code used on a booking. Given back (`given_back_at`) when the booking expires or is
    cancelled: the use counts again for someone else. Whose booking it is, the booking says."""

    code = models.ForeignKey(DiscountCode, on_delete=models.PROTECT, related_name="redemptions")
    enrollment = models.OneToOneField(Enrollment, on_delete=models.CASCADE, related_name="discount")
    off_cents = models.PositiveIntegerField(
        help_text="Off the booking's price as the catalog lists it (the invoice's line)."
    )
    amount_off_cents = models.PositiveIntegerField(help_text="Off what the booking costs.")
    created_at = models.DateTimeField(auto_now_add=True)
    given_back_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["code", "given_back_at"])]

    def __str__(self) -> str:
        return f"{self.code_id} on booking {self.enrollment_id}"
