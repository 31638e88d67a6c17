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
from django.db.models import Count, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from config import events
from config.celery import enqueue_on_commit
from config.errors import Conflict, InvalidInput
from config.references import new_token
from enrollments.models import Enrollment, Participant
from inquiries.models import Inquiry
from inquiries.services import inquiry_submit
from organizations.models import Organization, Proposal
from outbox.services import MergedMail, alert_practice, mail_queue, mail_queue_merged, merge_field
from surveys import selectors
from surveys.events import SurveySubmitted
from surveys.models import (
    OfferingSurvey,
    OrganizationReport,
    ReportedSession,
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
# The answers copied onto the invitation for the results, by key and the type they must have.
SCORES = {
    SurveyQuestion.OVERALL: Type.RATING,
    SurveyQuestion.FELT_HEARD: Type.RATING,
    SurveyQuestion.RECOMMEND: Type.NPS,
}
# People due an invitation are read this many at a time: a session of thousands is never
# held in memory at once.
DUE_BATCH = 500

# The form posts strings; the API may send JSON booleans. Both mean the same answer.
_YES = {"yes", "true"}
_NO = {"no", "false"}


class AlreadySubmitted(Conflict):
    code = "already_submitted"
    message = _("You've already shared your answers for this survey. Thank you again for them.")


class SurveyClosed(Conflict):
    code = "survey_closed"
    message = _(
        "This survey has closed, and its results have gone to your organization as a summary. "
        "If there's something you'd still like to tell us, simply reply to our email."
    )


def survey_closed(
    session: Session, *, now: datetime, organization: Organization | None = None
) -> bool:
    """An organization's session's survey closes when its report counts it; others stay open.
    (`organization`: the session's, when the caller has read it already.)"""
    organization = organization or selectors.organization_of(session)
    return organization is not None and now >= selectors.survey_closes_at(session)


def survey_url(invitation: SurveyInvitation) -> str:
    return _survey_address(invitation.token)


def _survey_address(token: str) -> str:
    return f"{settings.SITE_URL}/surveys/{token}/"


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


def _in_batches(participants: QuerySet[Participant]) -> Iterator[list[Participant]]:
    """By id, a batch at a time; each batch leaves out those a concurrent run invited."""
    after = 0
    while batch := list(participants.filter(pk__gt=after)[:DUE_BATCH]):
        yield batch
        after = batch[-1].pk


def _invite_many(
    people: list[Participant],
    template: SurveyTemplate,
    now: datetime,
    organization: Organization | None,
    language: str,
) -> int:
    """Invitations for people of one session who share a language, written together and
    their emails rendered once; should a concurrent run have invited any of them since
    they were read, everything is undone and each is invited on their own (once).
    Returns how many this run invited."""
    session = people[0].enrollment.session
    try:
        with transaction.atomic():
            invitations = SurveyInvitation.objects.bulk_create(
                SurveyInvitation(
                    participant=participant,
                    session=session,
                    template=template,
                    token=new_token(),
                    invited_at=now,
                )
                for participant in people
            )
            mail_queue_merged(
                kind="survey_invitation",
                context=_mail_context(
                    session,
                    organization,
                    name=merge_field("name"),
                    # On the site's address, so that the HTML part makes it a link.
                    survey_url=_survey_address(merge_field("token")),
                ),
                mails=[
                    MergedMail(
                        to=participant.email,
                        values={"name": participant.name, "token": invitation.token},
                        related=invitation,
                        dedupe_key=f"survey-invitation-{participant.pk}",
                    )
                    for participant, invitation in zip(people, invitations, strict=True)
                ],
                language=language,  # the bookings'
            )
    except IntegrityError:
        if len(people) == 1:
            return 0  # a concurrent run invited this person a moment ago
        return sum(
            _invite_many([participant], template, now, organization, language)
            for participant in people
        )
    return len(invitations)


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
        organization = selectors.organization_of(invitation.session)
        if survey_closed(invitation.session, now=now, organization=organization):
            return False  # invited late, and closed since: nothing left to remind of
        queued = mail_queue(
            kind="survey_reminder",
            to=invitation.participant.email,
            context=_mail_context(
                invitation.session,
                organization,
                name=invitation.participant.name,
                survey_url=survey_url(invitation),
            ),
            related=invitation,
            dedupe_key=f"survey-reminder-{invitation.pk}",
            kick=False,
            language=invitation.participant.enrollment.language,
        )
    return queued is not None


def _mail_context(
    session: Session, organization: Organization | None, *, name: str, survey_url: str
) -> dict[str, Any]:
    return {
        "name": name,
        "session": session,
        "when": describe_when(session),
        "survey_url": survey_url,
        "discreet": session.offering.kind == Offering.Kind.COACHING,
        # Said before anyone answers: the organization gets a summary (DESIGN.md).
        "organization": organization.name if organization else "",
        "minimum": settings.REPORT_MIN_RESPONDENTS,
        "closes": selectors.survey_closes_at(session) if organization else None,
    }


def _invite_due(now: datetime, deadline: float) -> tuple[int, bool]:
    invited = tried = 0
    templates: dict[int, SurveyTemplate | None] = {}
    # One session object for all its participants, read once: a session of thousands would
    # otherwise bring its offering's texts along with every row.
    sessions: dict[int, Session] = {}
    organizations: dict[int, Organization | None] = {}
    closed: set[int] = set()
    for batch in _in_batches(_participants_due(now=now)):
        if tried and time.monotonic() >= deadline:
            return invited, True
        # By session and language: each group's email is rendered once.
        together: dict[tuple[int, str], tuple[SurveyTemplate, list[Participant]]] = {}
        for participant in batch:
            session_id = participant.enrollment.session_id
            if session_id not in sessions:
                session = Session.objects.select_related("offering").get(pk=session_id)
                sessions[session_id] = session
                templates[session_id] = _template_for(session)
                organizations[session_id] = selectors.organization_of(session)
                if survey_closed(session, now=now, organization=organizations[session_id]):
                    closed.add(session_id)  # an organization's, closed while the job was off
            participant.enrollment.session = sessions[session_id]
            if session_id in closed:
                continue
            template = templates[session_id]
            if template is None:
                logger.warning(
                    "surveys: no survey template for session %s; nobody invited", session_id
                )
                continue
            key = (session_id, participant.enrollment.language)
            together.setdefault(key, (template, []))[1].append(participant)
        for (session_id, language), (template, people) in together.items():
            tried += len(people)
            invited += _invite_many(people, template, now, organizations[session_id], language)
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
        if survey_closed(invitation.session, now=now):
            raise SurveyClosed()
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
        for key, type_ in SCORES.items():
            score = next((a.number for a in cleaned if a.key == key and a.type == type_), None)
            setattr(invitation, key, score)
        invitation.save(update_fields=["flagged", "wants_guidance", "submitted_at", *SCORES])
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
        events.publish(SurveySubmitted(invitation_id=invitation.pk))
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


# --- Organization reports (the daily job) ---------------------------------------------------

# Never counted for an organization: what people wrote, and whether they asked for personal
# guidance, are for the practice alone.
NOT_REPORTED_KEYS = (SurveyQuestion.WANTS_GUIDANCE,)


def report_url(report: OrganizationReport) -> str:
    return f"{settings.SITE_URL}/reports/{report.token}/"


def _sessions_closed(now: datetime) -> QuerySet[Session]:
    """Organizations' sessions whose surveys have closed and that no report counts yet."""
    closed_by = now - timedelta(
        hours=settings.FOLLOWUP_SURVEY_DELAY_HOURS, days=settings.SURVEY_CLOSES_DAYS
    )
    return (
        Session.objects.filter(
            ends_at__lte=closed_by,
            survey_invitations__isnull=False,
            enrollments__proposal__status=Proposal.Status.ACCEPTED,
            enrollments__proposal__organization__isnull=False,
            organization_report_entry__isnull=True,
        )
        .distinct()
        .order_by("ends_at", "id")
    )


def session_tally(session: Session) -> tuple[int, int, list[dict[str, Any]]]:
    """Invited, answered, and per question asked the people who gave each answer."""
    invitations = SurveyInvitation.objects.filter(session=session)
    counts = invitations.aggregate(
        invited=Count("id"), answered=Count("id", filter=Q(submitted_at__isnull=False))
    )
    questions = {
        (question.key, question.type): question
        for question in SurveyQuestion.objects.filter(
            template__in=invitations.values("template")
        ).order_by("template_id", "position", "id")
    }
    tally: dict[tuple[str, str], dict[str, Any]] = {}
    for question in questions.values():
        if question.type != Type.FREE_TEXT and question.key not in NOT_REPORTED_KEYS:
            tally[(question.key, question.type)] = {
                "key": question.key,
                "type": question.type,
                "text": question.text,
                "text_nl": question.text_nl,
                "counts": {},
            }
    answers = (
        SurveyAnswer.objects.filter(invitation__session=session)
        .exclude(type=Type.FREE_TEXT)
        .exclude(key__in=NOT_REPORTED_KEYS)
        .values_list("key", "type", "question_text", "number", "yes", "text")
        .annotate(people=Count("id"))
        .order_by()
    )
    for key, type_, asked, number, yes, text, people in answers:
        counted = tally.setdefault(  # a question since taken out of its template
            (key, type_),
            {"key": key, "type": type_, "text": asked, "text_nl": "", "counts": {}},
        )
        if type_ in SurveyQuestion.SCALES:
            answer = str(number)
        elif type_ == Type.YES_NO:
            answer = "yes" if yes else "no"
        else:
            answer = text
        counted["counts"][answer] = counted["counts"].get(answer, 0) + people
    return counts["invited"], counts["answered"], list(tally.values())


def _report_of(organization: Organization) -> OrganizationReport:
    report, _created = OrganizationReport.objects.get_or_create(
        organization=organization, defaults={"token": new_token()}
    )
    return report


def _report_session(session: Session, now: datetime) -> bool:
    proposal = (
        Proposal.objects.select_related("organization")
        .filter(
            status=Proposal.Status.ACCEPTED,
            organization__isnull=False,
            enrollment__session=session,
        )
        .order_by("-id")
        .first()
    )
    if proposal is None or proposal.organization is None:
        return False
    try:
        with transaction.atomic():
            report = _report_of(proposal.organization)
            invited, answered, tally = session_tally(session)
            ReportedSession.objects.create(
                report=report,
                session=session,
                closed_at=now,
                invited=invited,
                answered=answered,
                tally=tally,
            )
            mail_queue(
                kind="organization_report",
                to=proposal.contact_email,
                context={
                    "contact_name": proposal.contact_name,
                    "organization": proposal.organization.name,
                    "session": session,
                    "when": describe_when(session),
                    "report_url": report_url(report),
                    "minimum": settings.REPORT_MIN_RESPONDENTS,
                },
                related=report,
                dedupe_key=f"organization-report-{session.pk}",
                kick=False,
                language=proposal.language,
            )
    except IntegrityError:
        return False  # a concurrent run counted this session a moment ago
    return True


def organization_reports_send_due(*, now: datetime | None = None) -> int:
    """Count each organization's session whose surveys closed into its report, once, and
    tell the organization's contact that the report has news. Returns the sessions counted."""
    now = now or timezone.now()
    counted = sum(_report_session(session, now) for session in _sessions_closed(now))
    if counted:
        enqueue_on_commit("enrollments.dispatch_outbox")
        logger.info("surveys: %s session(s) counted into organization reports", counted)
    return counted
