"""Inquiries, enrollments, surveys and the outgoing-mail outbox."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from enrollments.references import new_reference


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
        PERSONAL_GUIDANCE = "personal_guidance", "Personal guidance"
        TEAM_TRAINING = "team_training", "Team training"
        GENERAL = "general", "General question"

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
        verbose_name_plural = "inquiries"
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
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_status=F("to_status")), name="inquiry_status_change_changes"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_status or '—'} → {self.to_status}"


# --- Follow-up surveys ------------------------------------------------------------------------


class SurveyTemplate(models.Model):
    """An ordered set of questions; the default one serves every offering without its own."""

    name = models.CharField(max_length=200)
    is_default = models.BooleanField(
        "default",
        default=False,
        help_text="Used for every offering that has no template of its own. Exactly one is.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=Q(is_default=True),
                name="survey_template_one_default",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} (default)" if self.is_default else self.name


class SurveyQuestion(models.Model):
    class Type(models.TextChoices):
        RATING = "rating", "Rating 1–5"
        NPS = "nps", "Recommendation 0–10"
        YES_NO = "yes_no", "Yes or no"
        SINGLE_CHOICE = "single_choice", "One of several choices"
        FREE_TEXT = "free_text", "Free text"

    # The whole numbers a rating and a recommendation can take.
    SCALES: dict[str, range] = {Type.RATING: range(1, 6), Type.NPS: range(0, 11)}

    # Keys the results and the practice act on; the default template has each of them.
    OVERALL = "overall"
    FELT_HEARD = "felt_heard"
    RECOMMEND = "recommend"
    WANTS_GUIDANCE = "wants_guidance"

    template = models.ForeignKey(SurveyTemplate, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(default=0)
    key = models.SlugField(
        max_length=50,
        help_text=(
            "Stable name of the answer. The results read `overall` and `felt_heard` (ratings) "
            "and `recommend` (0–10); a yes to `wants_guidance` is passed on to the practice."
        ),
    )
    type = models.CharField(max_length=20, choices=Type.choices)
    text = models.CharField(max_length=300)
    required = models.BooleanField(default=False)
    choices = models.JSONField(
        default=list, blank=True, help_text='Only for "one of several choices": a list of texts.'
    )

    class Meta:
        ordering = ["template", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["template", "key"], name="survey_question_key_unique")
        ]

    def __str__(self) -> str:
        return self.text

    def clean(self) -> None:
        choices = self.choices or []
        if self.type == self.Type.SINGLE_CHOICE:
            if (
                not isinstance(choices, list)
                or len(choices) < 2
                or not all(isinstance(c, str) and c.strip() for c in choices)
            ):
                raise ValidationError(
                    {"choices": 'Give at least two choices as a list of texts: ["Yes", "No"].'}
                )
        elif choices:
            raise ValidationError({"choices": "Only a choice question has choices."})


class OfferingSurvey(models.Model):
    """An offering's own survey template, in place of the default one."""

    offering = models.OneToOneField(
        "workshops.Offering", on_delete=models.CASCADE, related_name="survey"
    )
    template = models.ForeignKey(
        SurveyTemplate, on_delete=models.PROTECT, related_name="offering_surveys"
    )

    class Meta:
        verbose_name = "offering's own survey"

    def __str__(self) -> str:
        return f"{self.offering} → {self.template}"


class SurveyInvitation(models.Model):
    """One participant's invitation to the follow-up survey of a session, and its answers.

    The row is unique per participant, so repeated or concurrent runs of the job invite
    each person once at most.
    """

    participant = models.OneToOneField(
        Participant, on_delete=models.CASCADE, related_name="survey_invitation"
    )
    session = models.ForeignKey(
        "workshops.Session", on_delete=models.PROTECT, related_name="survey_invitations"
    )
    # The template as chosen when the invitation went out; answers keep their own copy of
    # each question, so later edits to a template never change what someone answered.
    template = models.ForeignKey(SurveyTemplate, on_delete=models.PROTECT, related_name="+")
    token = models.CharField(max_length=64, unique=True, editable=False)
    invited_at = models.DateTimeField()
    reminded_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    flagged = models.BooleanField(
        default=False, help_text="A low rating (1–2) for the whole or for feeling heard."
    )
    wants_guidance = models.BooleanField(default=False)

    class Meta:
        ordering = ["-flagged", "-submitted_at", "-invited_at", "-id"]
        indexes = [models.Index(fields=["submitted_at", "reminded_at", "invited_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(flagged=False) | Q(submitted_at__isnull=False),
                name="survey_invitation_flag_needs_answers",
            )
        ]

    def __str__(self) -> str:
        return f"Survey for {self.participant.name} — {self.session}"


class SurveyAnswer(models.Model):
    """One answer, in the column its type calls for, so results are plain SQL aggregates."""

    Type = SurveyQuestion.Type

    invitation = models.ForeignKey(
        SurveyInvitation, on_delete=models.CASCADE, related_name="answers"
    )
    question = models.ForeignKey(
        SurveyQuestion, null=True, blank=True, on_delete=models.SET_NULL, related_name="answers"
    )
    # A copy of the question as it was asked.
    key = models.SlugField(max_length=50)
    type = models.CharField(max_length=20, choices=Type.choices)
    question_text = models.CharField(max_length=300)
    number = models.PositiveSmallIntegerField(null=True, blank=True)  # rating, nps
    yes = models.BooleanField(null=True, blank=True)  # yes_no
    text = models.TextField(blank=True)  # single_choice, free_text

    class Meta:
        ordering = ["id"]  # written in the order the questions were asked
        constraints = [
            models.UniqueConstraint(fields=["invitation", "key"], name="survey_answer_once"),
            models.CheckConstraint(
                condition=(
                    Q(type="rating", number__gte=1, number__lte=5)
                    | Q(type="nps", number__gte=0, number__lte=10)
                    | Q(type="yes_no", yes__isnull=False)
                    | (Q(type__in=["single_choice", "free_text"]) & ~Q(text=""))
                ),
                name="survey_answer_value_fits_type",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.invitation_id})"

    @property
    def value(self) -> int | bool | str | None:
        if self.type in (self.Type.RATING, self.Type.NPS):
            return self.number
        if self.type == self.Type.YES_NO:
            return self.yes
        return self.text
