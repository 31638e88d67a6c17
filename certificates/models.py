"""Certificates: a snapshot of what a participant attended, verifiable by its code."""

from django.db import models
from django.db.models import Q


class Certificate(models.Model):
    """Issued to a participant present for a whole session (DESIGN.md, Waitlist,
    attendance, certificates). It keeps what it certifies as it was on the day it was
    issued; a corrected one replaces it (the old one revoked, pointing to the new)."""

    class Kind(models.TextChoices):
        CONTINUING_EDUCATION = "ce", "Continuing education"
        ATTENDANCE = "attendance", "Attendance"

    class Status(models.TextChoices):
        VALID = "valid", "Valid"
        REVOKED = "revoked", "Revoked"

    code = models.CharField(max_length=16, unique=True, editable=False)
    participant = models.ForeignKey(
        "enrollments.Participant",
        on_delete=models.SET_NULL,
        null=True,
        related_name="certificates",
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.VALID)
    # The snapshot.
    participant_name = models.CharField(max_length=200)
    email = models.EmailField(max_length=254, help_text="Whom it was sent to.")
    registration_number = models.CharField(max_length=60, blank=True)
    offering_title = models.CharField(max_length=200)
    dates = models.CharField(max_length=200, help_text="The session's date(s), as printed.")
    starts_on = models.DateField()
    hours = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    facilitators = models.CharField(max_length=400, blank=True)
    accreditor = models.CharField(max_length=200, blank=True)
    statement = models.TextField(blank=True)
    language = models.CharField(max_length=8, default="en")
    issued_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=300, blank=True)
    replaced_by = models.OneToOneField(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replaces"
    )

    class Meta:
        ordering = ["-issued_at", "-id"]
        permissions = [("revoke_certificate", "Can revoke or reissue a certificate")]
        constraints = [
            # One valid certificate a participant; revoked ones stay for the record.
            models.UniqueConstraint(
                fields=["participant"],
                condition=Q(status="valid"),
                name="certificate_one_valid_per_participant",
            ),
            models.CheckConstraint(
                condition=Q(status="valid", revoked_at__isnull=True)
                | Q(status="revoked", revoked_at__isnull=False),
                name="certificate_revoked_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.shown_code  # never the name: this goes into admin log entries

    @property
    def shown_code(self) -> str:
        """The code as people read and type it: four groups of four."""
        return "-".join(self.code[i : i + 4] for i in range(0, len(self.code), 4))
