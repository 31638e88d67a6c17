"""Follow-up surveys: templates of questions, invitations after a session, and the answers.

The tables keep the names they had in enrollments, where these models were born: they were
moved in place (DESIGN.md).
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext, gettext_noop

from config.text import active_language


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
        db_table = "enrollments_surveytemplate"
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


# The default template's questions, as migration enrollments/0005 wrote them: marked here so
# that the catalog holds them and the survey page shows them in the reader's language.
DEFAULT_QUESTION_TEXTS = [
    gettext_noop("All in all, how valuable was the session for you?"),
    gettext_noop("I felt heard and respected."),
    gettext_noop("How likely are you to recommend this training to a colleague?"),
    gettext_noop("What was most valuable for you?"),
    gettext_noop("What could we do better?"),
    gettext_noop(
        "Would you like personal guidance? If you say yes, we'll write to you personally."
    ),
]


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
    text_nl = models.CharField(
        "text (Dutch)", max_length=300, blank=True, help_text="Shown to people who read Dutch."
    )
    required = models.BooleanField(default=False)
    choices = models.JSONField(
        default=list, blank=True, help_text='Only for "one of several choices": a list of texts.'
    )

    class Meta:
        db_table = "enrollments_surveyquestion"
        ordering = ["template", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["template", "key"], name="survey_question_key_unique")
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def shown_text(self) -> str:
        """The question in the reader's language: as the practice wrote it in Dutch
        (`text_nl`), else from the catalog (the default template's questions are there,
        DEFAULT_QUESTION_TEXTS), else as written."""
        return str(getattr(self, f"text_{active_language()}", "") or gettext(self.text))

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
        db_table = "enrollments_offeringsurvey"
        verbose_name = "offering's own survey"

    def __str__(self) -> str:
        return f"{self.offering} → {self.template}"


class SurveyInvitation(models.Model):
    """One participant's invitation to the follow-up survey of a session, and its answers.

    The row is unique per participant, so repeated or concurrent runs of the job invite
    each person once at most.
    """

    participant = models.OneToOneField(
        "enrollments.Participant", on_delete=models.CASCADE, related_name="survey_invitation"
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
    # The three answers the results read (SurveyQuestion.OVERALL, FELT_HEARD, RECOMMEND),
    # copied here when the answers arrive: results over months and offerings count these
    # rows, never the far more numerous answers.
    overall = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    felt_heard = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    recommend = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)

    class Meta:
        db_table = "enrollments_surveyinvitation"
        ordering = ["-flagged", "-submitted_at", "-invited_at", "-id"]
        permissions = [
            ("view_survey_results", "Can see survey results, in aggregate"),
            ("view_survey_free_text", "Can read what people wrote in their answers"),
        ]
        indexes = [models.Index(fields=["submitted_at", "reminded_at", "invited_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(flagged=False) | Q(submitted_at__isnull=False),
                name="survey_invitation_flag_needs_answers",
            )
        ]

    def __str__(self) -> str:
        return f"survey invitation {self.pk} of participant {self.participant_id}"


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
        db_table = "enrollments_surveyanswer"
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


class OrganizationReport(models.Model):
    """An organization's report page, on a secret link its contacts receive: what its people
    said about its sessions, in totals from enough people that nobody can be picked out
    (DESIGN.md, Results for organizations)."""

    organization = models.OneToOneField(
        "organizations.Organization", on_delete=models.CASCADE, related_name="survey_report"
    )
    token = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"report of organization {self.organization_id}"


class ReportedSession(models.Model):
    """One of an organization's sessions whose surveys closed, counted once at closing.

    The report reads only these counts, never the answers: nothing answered, erased or
    edited later changes what it showed. The rows join the report in the order of their ids,
    which is the order the organization saw them arrive; the report's rule against
    narrowing a group by subtraction relies on it (selectors.organization_report).
    """

    report = models.ForeignKey(OrganizationReport, on_delete=models.CASCADE, related_name="entries")
    session = models.OneToOneField(
        "workshops.Session", on_delete=models.CASCADE, related_name="organization_report_entry"
    )
    closed_at = models.DateTimeField()
    invited = models.PositiveIntegerField()
    answered = models.PositiveIntegerField()
    # Per question asked: {"key", "type", "text", "text_nl", "counts": {answer: people}},
    # in the order asked. Never free text, never the wish for personal guidance.
    tally = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["report", "id"]

    def __str__(self) -> str:
        return f"session {self.session_id} in report {self.report_id}"
