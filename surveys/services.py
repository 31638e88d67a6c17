"""Follow-up surveys: invitations after a session, one reminder, and the answers.

Answers are sensitive (DESIGN.md invariant 6): they are never logged, never put in a
URL, and the practice's notification about a request for guidance does not repeat them.
"""

import logging
import math
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from config.celery import enqueue_on_commit
from config.errors import Conflict, InvalidInput
from config.references import new_token
from enrollments.models import Enrollment, Participant
from inquiries.models import Inquiry
from inquiries.services import inquiry_submit
from outbox.services import alert_practice, mail_queue
from surveys.models import (
    OfferingSurvey,
    SurveyAnswer,
    SurveyInvitation,
    SurveyQuestion,
    SurveyTemplate,
)
from workshops.calendar import describe_when
from workshops.models import Offering, Session

logger = logging.getLogger(__name__)

Type = SurveyQuestion.Type

REMINDER_AFTER = timedelta(days=3)
# A job that was off for a while does not write about sessions people have long forgotten.
INVITE_WITHIN = timedelta(days=30)
LOW_RATING = 2  # a rating at or below this is flagged for the practice's attention
FREE_TEXT_MAX = 5000
FLAGGED_KEYS = (SurveyQuestion.OVERALL, SurveyQuestion.FELT_HEARD)
# People due an invitation are read this many at a time: a session of thousands is never
# held in memory at once.
DUE_BATCH = 500

# The form posts strings; the API may send JSON booleans. Both mean the same answer.
_YES = {"yes", "true"}
_NO = {"no", "false"}


class AlreadySubmitted(Conflict):
    code = "already_submitted"
    message = _("You've already shared your answers for this survey. Thank you again for them.")


def survey_url(invitation: SurveyInvitation) -> str:
    return f"{settings.SITE_URL}/surveys/{invitation.token}/"


# --- Sending (the hourly job) ---------------------------------------------------------------


@dataclass(frozen=True)
class SurveysSent:
    invited: int
    reminded: int
    unfinished: bool = False  # the run's time was up with people still to write to


def _template_for(session: Session) -> SurveyTemplate | None:
    """The offering's own template, or else the default one."""
    own = OfferingSurvey.objects.filter(offering_id=session.offering_id).first()
    if own is not None:
        return own.template
    return SurveyTemplate.objects.filter(is_default=True).first()


def _participants_due(*, now: datetime) -> QuerySet[Participant]:
    """Confirmed participants of sessions that ended a while ago, not marked absent, who
    have no invitation."""
    ended_by = now - timedelta(hours=settings.FOLLOWUP_SURVEY_DELAY_HOURS)
    return (
        Participant.objects.filter(
            enrollment__status=Enrollment.Status.CONFIRMED,
            enrollment__session__ends_at__lte=ended_by,
            enrollment__session__ends_at__gt=ended_by - INVITE_WITHIN,
            survey_invitation__isnull=True,
        )
        .exclude(enrollment__session__status=Session.Status.CANCELLED)
        .exclude(attendance=Participant.Attendance.ABSENT)
        .select_related("enrollment")  # their session, once per run: _invite_due
        .order_by("id")
    )


def _in_batches(participants: QuerySet[Participant]) -> Iterator[Participant]:
    """By id, a batch at a time; each batch leaves out those a concurrent run invited."""
    after = 0
    while batch := list(participants.filter(pk__gt=after)[:DUE_BATCH]):
        yield from batch
        after = batch[-1].pk


def _invite(participant: Participant, template: SurveyTemplate, now: datetime) -> bool:
    session = participant.enrollment.session
    try:
        with transaction.atomic():
            invitation = SurveyInvitation.objects.create(
                participant=participant,
                session=session,
                template=template,
                token=new_token(),
                invited_at=now,
            )
            mail_queue(
                kind="survey_invitation",
                to=participant.email,
                context=_mail_context(invitation),
                related=invitation,
                dedupe_key=f"survey-invitation-{participant.pk}",
                kick=False,  # one sweep for the run's emails: surveys_send_due
                language=participant.enrollment.language,  # the booking's
            )
    except IntegrityError:
        return False  # a concurrent run invited this person a moment ago
    return True


def _remind(invitation_id: int, now: datetime) -> bool:
    with transaction.atomic():
        # Claim the reminder with a conditional update: only one run gets to send it.
        claimed = SurveyInvitation.objects.filter(
            pk=invitation_id, reminded_at__isnull=True, submitted_at__isnull=True
        ).update(reminded_at=now)
        if claimed != 1:
            return False
        invitation = SurveyInvitation.objects.select_related(
            "participant__enrollment", "session__offering"
        ).get(pk=invitation_id)
        queued = mail_queue(
            kind="survey_reminder",
            to=invitation.participant.email,
            context=_mail_context(invitation),
            related=invitation,
            dedupe_key=f"survey-reminder-{invitation.pk}",
            kick=False,
            language=invitation.participant.enrollment.language,
        )
    return queued is not None


def _mail_context(invitation: SurveyInvitation) -> dict[str, Any]:
    return {
        "participant": invitation.participant,
        "session": invitation.session,
        "when": describe_when(invitation.session),
        "survey_url": survey_url(invitation),
        "discreet": invitation.session.offering.kind == Offering.Kind.COACHING,
    }


def _invite_due(now: datetime, deadline: float) -> tuple[int, bool]:
    invited = tried = 0
    templates: dict[int, SurveyTemplate | None] = {}
    # One session object for all its participants, read once: a session of thousands would
    # otherwise bring its offering's texts along with every row.
    sessions: dict[int, Session] = {}
    for participant in _in_batches(_participants_due(now=now)):
        if tried and time.monotonic() >= deadline:
            return invited, True
        session_id = participant.enrollment.session_id
        if session_id not in sessions:
            sessions[session_id] = Session.objects.select_related("offering").get(pk=session_id)
            templates[session_id] = _template_for(sessions[session_id])
        session = participant.enrollment.session = sessions[session_id]
        template = templates[session.pk]
        if template is None:
            logger.warning("surveys: no survey template for session %s; nobody invited", session.pk)
            continue
        tried += 1
        invited += _invite(participant, template, now)
    return invited, False


def _remind_due(now: datetime, deadline: float) -> tuple[int, bool]:
    due = SurveyInvitation.objects.filter(
        submitted_at__isnull=True,
        reminded_at__isnull=True,
        invited_at__lte=now - REMINDER_AFTER,
        invited_at__gt=now - INVITE_WITHIN,
    ).order_by("pk")
    reminded = 0
    for tried, invitation_id in enumerate(list(due.values_list("pk", flat=True))):
        if tried and time.monotonic() >= deadline:
            return reminded, True
        reminded += _remind(invitation_id, now)
    return reminded, False


def surveys_send_due(
    *, now: datetime | None = None, budget_seconds: float | None = None
) -> SurveysSent:
    """Invite everyone due an invitation, and remind once those who have not answered.

    With `budget_seconds`, the run stops once they are spent and says it is `unfinished`
    (the job then queues itself again); it always writes to one person first, so every
    run moves on. Invitations come before reminders. Their emails wait in the outbox for
    one sweep, queued once, rather than a task each.
    """
    now = now or timezone.now()
    deadline = math.inf if budget_seconds is None else time.monotonic() + budget_seconds
    invited, unfinished = _invite_due(now, deadline)
    reminded = 0
    if not unfinished:
        reminded, unfinished = _remind_due(now, deadline)

    if invited or reminded:
        # One sweep sends them all over one connection; a task per email would flood the
        # queue ahead of this job's next run. Should this kick be lost, beat's sweep sends them.
        enqueue_on_commit("enrollments.dispatch_outbox")
        logger.info(
            "surveys: %s invitation(s), %s reminder(s) queued%s",
            invited,
            reminded,
            "; more to do" if unfinished else "",
        )
    return SurveysSent(invited=invited, reminded=reminded, unfinished=unfinished)


# --- Answering ------------------------------------------------------------------------------


def _is_blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _whole_number(raw: Any) -> int | None:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    # isascii: int() would reject some characters that isdigit() accepts, such as "²".
    if isinstance(raw, str) and raw.strip().isascii() and raw.strip().isdigit():
        return int(raw.strip())
    return None


def _answer(question: SurveyQuestion, raw: Any) -> SurveyAnswer:
    """The answer to one question, or a ValueError with a sentence for the person."""
    answer = SurveyAnswer(
        question=question, key=question.key, type=question.type, question_text=question.text
    )
    if question.type in SurveyQuestion.SCALES:
        scale = SurveyQuestion.SCALES[question.type]
        number = _whole_number(raw)
        if number not in scale:
            raise ValueError(
                gettext("Please choose a whole number from %(lowest)s to %(highest)s.")
                % {"lowest": scale[0], "highest": scale[-1]}
            )
        answer.number = number
    elif question.type == Type.YES_NO:
        word = str(raw).strip().lower() if isinstance(raw, bool | str) else ""
        if word not in _YES | _NO:
            raise ValueError(gettext("Please answer yes or no."))
        answer.yes = word in _YES
    elif question.type == Type.SINGLE_CHOICE:
        if not isinstance(raw, str) or raw not in question.choices:
            raise ValueError(gettext("Please choose one of the options given."))
        answer.text = raw
    else:
        if not isinstance(raw, str):
            raise ValueError(gettext("Please write your answer as text."))
        if len(raw.strip()) > FREE_TEXT_MAX:
            raise ValueError(
                gettext("Please keep this under %(most)s characters.") % {"most": FREE_TEXT_MAX}
            )
        answer.text = raw.strip()
    return answer


def survey_answers_clean(
    questions: list[SurveyQuestion], answers: Mapping[str, Any]
) -> list[SurveyAnswer]:
    """Validate answers by question type; InvalidInput names each question that needs a look."""
    errors: dict[str, list[str]] = {}
    cleaned: list[SurveyAnswer] = []
    keys = {question.key for question in questions}
    for key in answers:
        if key not in keys:
            errors[key] = [gettext("This question isn't part of the survey.")]
    for question in questions:
        raw = answers.get(question.key)
        if _is_blank(raw):
            if question.required:
                errors[question.key] = [gettext("Please answer this question.")]
            continue
        try:
            cleaned.append(_answer(question, raw))
        except ValueError as problem:
            errors[question.key] = [str(problem)]
    if errors:
        raise InvalidInput(
            gettext("A few answers need another look. Please check the questions marked below."),
            fields=errors,
        )
    return cleaned


def _is_low_rating(answer: SurveyAnswer) -> bool:
    return (
        answer.key in FLAGGED_KEYS
        and answer.type == Type.RATING
        and answer.number is not None
        and answer.number <= LOW_RATING
    )


def survey_submit(
    *, invitation_id: int, answers: Mapping[str, Any], now: datetime | None = None
) -> SurveyInvitation:
    """Store a participant's answers once; flag low ratings; pass on a wish for guidance."""
    now = now or timezone.now()
    with transaction.atomic():
        invitation = (
            SurveyInvitation.objects.select_for_update(of=("self",))
            .select_related("participant", "session__offering")
            .get(pk=invitation_id)
        )
        if invitation.submitted_at is not None:
            raise AlreadySubmitted()
        questions = list(invitation.template.questions.all())
        cleaned = survey_answers_clean(questions, answers)
        for answer in cleaned:
            answer.invitation = invitation
        SurveyAnswer.objects.bulk_create(cleaned)

        invitation.flagged = any(_is_low_rating(answer) for answer in cleaned)
        invitation.wants_guidance = any(
            answer.key == SurveyQuestion.WANTS_GUIDANCE and answer.yes is True for answer in cleaned
        )
        invitation.submitted_at = now
        invitation.save(update_fields=["flagged", "wants_guidance", "submitted_at"])
        if invitation.flagged:
            alert_practice(
                kind="low_survey_score",
                text=(
                    f"A low score in the follow-up survey of {invitation.session} "
                    f"(invitation {invitation.pk}). The answers are in the admin."
                ),
                related=invitation,
            )
        if invitation.wants_guidance:
            _guidance_requested(invitation)
    return invitation


def _guidance_requested(invitation: SurveyInvitation) -> None:
    """Someone answered yes to personal guidance: it becomes an inquiry, like one by the form.

    Inside `survey_submit`'s transaction, once per invitation. The inquiry says where it
    came from and repeats none of the answers; the practice gets the usual notification
    and the person the usual acknowledgement.
    """
    session = invitation.session
    with translation.override(settings.LANGUAGE_CODE):  # written for the practice
        note = (
            "Answered yes to personal guidance in the follow-up survey after "
            f"{session.display_title} ({describe_when(session)})."
        )
    inquiry_submit(
        kind=Inquiry.Kind.PERSONAL_GUIDANCE,
        name=invitation.participant.name,
        email=invitation.participant.email,
        message=note,
        offering=session.offering,
        source=Inquiry.Source.SURVEY,
        language=invitation.participant.enrollment.language,  # our reply: in theirs
    )
