"""Reads of surveys: invitations behind links, and results for the practice."""

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils.formats import date_format
from django.utils.translation import gettext

from config.errors import NotFound
from config.prepared import instance_of
from config.text import active_language
from organizations.models import Organization, Proposal
from surveys.models import (
    OrganizationReport,
    SurveyAnswer,
    SurveyInvitation,
    SurveyQuestion,
)
from workshops.calendar import describe_when
from workshops.models import Facilitator, Offering, Session


def survey_invitation_by_token(token: str) -> SurveyInvitation:
    """The invitation behind a survey link, with its session and its questions in order."""
    invitation = (
        SurveyInvitation.objects.select_related("session__offering", "participant", "template")
        .prefetch_related("template__questions")
        .filter(token=token)
        .first()
    )
    if invitation is None:
        raise NotFound(
            gettext(
                "We couldn't find this survey. Please use the link from your email; if it still "
                "doesn't open, simply reply to that email and we'll help."
            )
        )
    return invitation


def survey_invitations(
    *,
    session: Session | None = None,
    offering: Offering | None = None,
    facilitator: Facilitator | None = None,
) -> QuerySet[SurveyInvitation]:
    """Invitations of one session, of every session of an offering or of a facilitator's
    offerings, or all of them."""
    invitations = SurveyInvitation.objects.all()
    if session is not None:
        invitations = invitations.filter(session=session)
    if offering is not None:
        invitations = invitations.filter(session__offering=offering)
    if facilitator is not None:
        invitations = invitations.filter(session__offering__facilitators=facilitator)
    return invitations


def _half_up(value: Decimal, places: str) -> Decimal:
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class RatingResult:
    counts: dict[int, int]  # how many chose each of 1..5
    average: Decimal | None  # to one decimal; None without answers

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def bars(self) -> list[tuple[int, int, int]]:
        """(rating, count, percent of answers), 5 first, for the admin's bar chart."""
        total = self.total
        return [
            (value, count, round(100 * count / total) if total else 0)
            for value, count in sorted(self.counts.items(), reverse=True)
        ]


@dataclass(frozen=True)
class NpsResult:
    promoters: int  # 9-10
    passives: int  # 7-8
    detractors: int  # 0-6
    score: int | None  # percent promoters minus percent detractors; None without answers

    @property
    def total(self) -> int:
        return self.promoters + self.passives + self.detractors

    @property
    def parts(self) -> list[tuple[str, int, int]]:
        """(group, count, percent of answers), detractors first, for the admin's bar."""
        total = self.total
        return [
            (name, count, round(100 * count / total) if total else 0)
            for name, count in (
                ("detractors", self.detractors),
                ("passives", self.passives),
                ("promoters", self.promoters),
            )
        ]

    @property
    def label(self) -> str:
        return (
            f"NPS {self.score if self.score is not None else '—'}: {self.promoters} promoter(s) "
            f"(9–10), {self.passives} passive(s) (7–8), {self.detractors} detractor(s) (0–6)"
        )


@dataclass(frozen=True)
class FreeTextAnswer:
    question: str
    text: str
    session: Session
    submitted_at: datetime | None


@dataclass(frozen=True)
class SurveyResults:
    invited: int
    answered: int
    response_rate: int | None  # percent of the invited who answered
    overall: RatingResult
    felt_heard: RatingResult
    nps: NpsResult
    free_text: list[FreeTextAnswer]

    @property
    def ratings(self) -> list[tuple[str, RatingResult]]:
        return [("Overall rating", self.overall), ("“I felt heard and respected”", self.felt_heard)]


def _rating(counts: dict[int, int]) -> RatingResult:
    total = sum(counts.values())
    average = None
    if total:
        average = _half_up(Decimal(sum(k * n for k, n in counts.items())) / total, "0.1")
    return RatingResult(counts={k: counts.get(k, 0) for k in range(1, 6)}, average=average)


def nps_score(*, promoters: int, detractors: int, responses: int) -> int | None:
    """Percent promoters minus percent detractors, rounded half away from zero."""
    if not responses:
        return None
    score = Decimal(100 * (promoters - detractors)) / responses
    return int(score.quantize(Decimal("1"), rounding=ROUND_HALF_UP))


# The results page shows the newest written answers; the CSV export has them all.
FREE_TEXT_SHOWN = 100
# What names a session and its offering in the results (Session.__str__, Offering.__str__):
# a hundred written answers read whole would be a hundred invitations, sessions and
# offerings, every column parsed, for a line each.
SESSION_NAMED = ("title", "starts_at", "timezone", "offering__title")
FREE_TEXT_READ = (
    "question_text",
    "text",
    "invitation__submitted_at",
    *(f"invitation__session__{name}" for name in SESSION_NAMED),
)
# With their ids, so that one session (and its offering) stands for all its answers.
SESSION_ID = "invitation__session__id"
FREE_TEXT_IDS = (SESSION_ID, "invitation__session__offering__id")


def _named(row: Mapping[str, Any]) -> Session:
    """The session a written answer's row names, as Session.__str__ needs it."""
    session = instance_of(Session, row, prefix="invitation__session__")
    session.offering = instance_of(Offering, row, prefix="invitation__session__offering__")
    return session


RATINGS = (SurveyQuestion.OVERALL, SurveyQuestion.FELT_HEARD)
STARS = range(1, 6)


def _tallies() -> dict[str, Any]:
    """Invited, answered, the recommendation's groups and how many gave each rating each
    number of stars, for aggregate() or annotate(): everything the results count, in one
    pass over the invitations (the scores are copied there with the answers)."""
    return {
        "invited": Count("id"),
        "answered": Count("id", filter=Q(submitted_at__isnull=False)),
        "promoters": Count("id", filter=Q(recommend__gte=9)),
        "passives": Count("id", filter=Q(recommend__in=[7, 8])),
        "detractors": Count("id", filter=Q(recommend__lte=6)),
        **{
            f"{key}_{stars}": Count("id", filter=Q(**{key: stars}))
            for key in RATINGS
            for stars in STARS
        },
    }


def _ratings_of(tally: Mapping[str, int], key: str) -> RatingResult:
    return _rating({stars: tally[f"{key}_{stars}"] for stars in STARS})


def _nps_of(tally: Mapping[str, int]) -> int | None:
    return nps_score(
        promoters=tally["promoters"],
        detractors=tally["detractors"],
        responses=tally["promoters"] + tally["passives"] + tally["detractors"],
    )


@dataclass(frozen=True)
class SessionTally:
    session_id: int
    starts_at: datetime
    offering_id: int
    counts: dict[str, int]  # as _tallies() names them


def session_tallies(invitations: QuerySet[SurveyInvitation]) -> list[SessionTally]:
    """What each session's invitations count, in two queries: months, offerings and
    facilitators are sums of these, whatever the number of answers."""
    # Counted by session alone, then the sessions read: grouping the invitations joined to
    # their sessions took half as long again at 20,000 people (EXPLAIN ANALYZE).
    rows = [
        dict[str, Any](row)
        for row in invitations.values("session_id").annotate(**_tallies()).order_by()
    ]
    sessions = {
        pk: (starts_at, offering_id)
        for pk, starts_at, offering_id in Session.objects.filter(
            pk__in=[row["session_id"] for row in rows]
        ).values_list("pk", "starts_at", "offering_id")
    }
    return [
        SessionTally(
            session_id=(session_id := row.pop("session_id")),
            starts_at=sessions[session_id][0],
            offering_id=sessions[session_id][1],
            counts=row,  # what is left: the tallies
        )
        for row in rows
    ]


def _summed(tallies: Iterable[SessionTally]) -> Counter[str]:
    total: Counter[str] = Counter()
    for tally in tallies:
        total.update(tally.counts)
    return total


def survey_results(
    *,
    session: Session | None = None,
    offering: Offering | None = None,
    facilitator: Facilitator | None = None,
    tallies: list[SessionTally] | None = None,
) -> SurveyResults:
    """Invited, answered, ratings, NPS and the newest free-text answers, for a session, an
    offering, a facilitator's offerings or all. The scores are counted on the invitations
    (copied there with the answers), so the cost grows with people, not with answers;
    given the same scope's `tallies` (session_tallies), their sum is the whole."""
    invitations = survey_invitations(session=session, offering=offering, facilitator=facilitator)
    tally = _summed(tallies) if tallies else invitations.aggregate(**_tallies())
    answers = SurveyAnswer.objects.filter(type=SurveyQuestion.Type.FREE_TEXT)
    if session or offering or facilitator:  # all of them need not be asked for
        answers = answers.filter(invitation__in=invitations)
    rows = list(
        answers.order_by("-invitation__submitted_at", "id").values(*FREE_TEXT_READ, *FREE_TEXT_IDS)[
            :FREE_TEXT_SHOWN
        ]
    )
    # One session (and offering) for each session named, not one per answer.
    named = {pk: _named(row) for pk, row in {row[SESSION_ID]: row for row in rows}.items()}
    free_text = [
        FreeTextAnswer(
            question=row["question_text"],
            text=row["text"],
            session=named[row[SESSION_ID]],
            submitted_at=row["invitation__submitted_at"],
        )
        for row in rows
    ]
    invited, answered = tally["invited"], tally["answered"]
    return SurveyResults(
        invited=invited,
        answered=answered,
        response_rate=round(100 * answered / invited) if invited else None,
        overall=_ratings_of(tally, SurveyQuestion.OVERALL),
        felt_heard=_ratings_of(tally, SurveyQuestion.FELT_HEARD),
        nps=NpsResult(
            promoters=tally["promoters"],
            passives=tally["passives"],
            detractors=tally["detractors"],
            score=_nps_of(tally),
        ),
        free_text=free_text,
    )


@dataclass(frozen=True)
class ResultsRow:
    """One month, offering or facilitator in the practice's results."""

    label: str
    query: str  # the results page's own query string for this row, or ""
    invited: int
    answered: int
    overall: Decimal | None
    felt_heard: Decimal | None
    nps: int | None


def _row(label: str, query: str, tally: Mapping[str, int]) -> ResultsRow:
    return ResultsRow(
        label=label,
        query=query,
        invited=tally["invited"],
        answered=tally["answered"],
        overall=_ratings_of(tally, SurveyQuestion.OVERALL).average,
        felt_heard=_ratings_of(tally, SurveyQuestion.FELT_HEARD).average,
        nps=_nps_of(tally),
    )


def _grouped(
    tallies: Iterable[SessionTally], by: Callable[[SessionTally], Any]
) -> dict[Any, Counter[str]]:
    groups: dict[Any, list[SessionTally]] = {}
    for tally in tallies:
        groups.setdefault(by(tally), []).append(tally)
    return {group: _summed(members) for group, members in groups.items()}


def results_by_month(tallies: list[SessionTally], months: int = 12) -> list[ResultsRow]:
    """The last `months` months with sessions, oldest first, by the practice's calendar."""
    zone = ZoneInfo(settings.PRACTICE_TIME_ZONE)

    def month(tally: SessionTally) -> tuple[int, int]:
        local = tally.starts_at.astimezone(zone)
        return local.year, local.month

    rows = sorted(_grouped(tallies, month).items())[-months:]
    return [
        _row(date_format(datetime(year, number, 1, tzinfo=zone), "F Y"), "", tally)
        for (year, number), tally in rows
    ]


def results_by_offering(tallies: list[SessionTally], most: int = 50) -> list[ResultsRow]:
    """The offerings most invited for, most first."""
    rows = sorted(
        _grouped(tallies, lambda tally: tally.offering_id).items(),
        key=lambda row: -row[1]["invited"],
    )[:most]
    offerings = Offering.objects.in_bulk([offering_id for offering_id, _tally in rows])
    return [
        _row(str(offerings[offering_id]), f"offering={offering_id}", tally)
        for offering_id, tally in rows
    ]


def results_by_facilitator(tallies: list[SessionTally]) -> list[ResultsRow]:
    """Each facilitator's offerings (an offering led by two counts for both)."""
    led: dict[int, list[int]] = {}  # offering → its facilitators
    for offering_id, facilitator_id in Offering.facilitators.through.objects.filter(
        offering_id__in={tally.offering_id for tally in tallies}
    ).values_list("offering_id", "facilitator_id"):
        led.setdefault(offering_id, []).append(facilitator_id)
    by_facilitator: dict[int, list[SessionTally]] = {}
    for tally in tallies:
        for facilitator_id in led.get(tally.offering_id, []):
            by_facilitator.setdefault(facilitator_id, []).append(tally)
    facilitators = Facilitator.objects.in_bulk(list(by_facilitator))
    return sorted(
        (
            _row(str(facilitators[pk]), f"facilitator={pk}", _summed(members))
            for pk, members in by_facilitator.items()
        ),
        key=lambda row: row.label,
    )


@dataclass(frozen=True)
class SessionResults:
    """A session in the practice's results, with its own counts."""

    session: Session
    invited: int
    answered: int
    average_overall: Decimal | None


def survey_sessions(tallies: list[SessionTally], most: int = 50) -> list[SessionResults]:
    """The newest `most` sessions that sent invitations, each with its own counts (read
    from its tally: one query for the sessions themselves)."""
    newest = sorted(tallies, key=lambda tally: (tally.starts_at, tally.session_id), reverse=True)
    newest = newest[:most]
    sessions = (
        Session.objects.select_related("offering")
        .only(*SESSION_NAMED)
        .in_bulk([tally.session_id for tally in newest])
    )
    return [
        SessionResults(
            session=sessions[tally.session_id],
            invited=tally.counts["invited"],
            answered=tally.counts["answered"],
            average_overall=_ratings_of(tally.counts, SurveyQuestion.OVERALL).average,
        )
        for tally in newest
    ]


# --- Organization reports -------------------------------------------------------------------
#
# An organization sees what its people said in totals, each from at least
# REPORT_MIN_RESPONDENTS different people, and nothing that narrows a group below that:
#
# - a question counts only once that many people answered it;
# - its sessions join the totals in groups: the answers of sessions that closed are held
#   back until, together, enough people answered, and then join at once. Every total the
#   organization ever saw is then a sum of such groups, so the difference between any two
#   of them (this week's and last month's) is a group of enough people too;
# - the figures by date are these groups, never a session on its own that is too small;
# - free text is never shown, nor whether anyone asked for personal guidance.


def survey_closes_at(session: Session) -> datetime:
    """When the survey of an organization's session closes, and its report counts it."""
    return session.ends_at + timedelta(
        hours=settings.FOLLOWUP_SURVEY_DELAY_HOURS, days=settings.SURVEY_CLOSES_DAYS
    )


def organization_of(session: Session) -> Organization | None:
    """The organization a session was booked for through an accepted proposal: its people's
    survey is summarized for it (and says so before anyone answers)."""
    return Organization.objects.filter(
        proposals__status=Proposal.Status.ACCEPTED, proposals__enrollment__session=session
    ).first()


def organization_report_by_token(token: str) -> OrganizationReport:
    report = OrganizationReport.objects.select_related("organization").filter(token=token).first()
    if report is None:
        raise NotFound(
            gettext(
                "We couldn't find this report. Please use the link from our email; if it "
                "still doesn't open, simply reply to that email and we'll help."
            )
        )
    return report


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    percent: int  # of the people who answered the question


@dataclass(frozen=True)
class ReportGroup:
    """Sessions whose answers joined the report together, and their figures for one question."""

    dates: list[str]
    respondents: int
    average: Decimal | None


@dataclass(frozen=True)
class QuestionSummary:
    key: str
    type: str
    text: str
    respondents: int
    average: Decimal | None  # ratings and recommendations
    bars: list[Bar]
    nps: int | None  # for the recommendation question
    by_date: list[ReportGroup]  # only with two groups or more: one would be the total

    @property
    def scale_top(self) -> int | None:
        scale = SurveyQuestion.SCALES.get(self.type)
        return scale[-1] if scale else None


@dataclass(frozen=True)
class ReportSessionLine:
    title: str
    when: str
    invited: int
    answered: int


@dataclass(frozen=True)
class OrganizationReportView:
    organization: str
    minimum: int
    sessions: list[ReportSessionLine]
    invited: int
    answered: int
    questions: list[QuestionSummary]
    withheld: list[str]  # questions not (yet) answered by enough people

    @property
    def felt_heard(self) -> QuestionSummary | None:
        return next((q for q in self.questions if q.key == SurveyQuestion.FELT_HEARD), None)

    @property
    def recommendation(self) -> QuestionSummary | None:
        return next((q for q in self.questions if q.nps is not None), None)


def _answer_order(type_: str, counts: dict[str, int]) -> list[str]:
    scale = SurveyQuestion.SCALES.get(type_)
    if scale is not None:
        return [str(n) for n in reversed(scale)]  # the best first
    if type_ == SurveyQuestion.Type.YES_NO:
        return ["yes", "no"]
    return sorted(counts, key=lambda answer: (-counts[answer], answer))


def _answer_label(type_: str, answer: str) -> str:
    if type_ == SurveyQuestion.Type.YES_NO:
        return gettext("Yes") if answer == "yes" else gettext("No")
    return answer


def _average(type_: str, counts: dict[str, int]) -> Decimal | None:
    total = sum(counts.values())
    if type_ not in SurveyQuestion.SCALES or not total:
        return None
    return _half_up(Decimal(sum(int(a) * n for a, n in counts.items())) / total, "0.1")


def _question_text(asked: dict[str, Any]) -> str:
    own = asked.get(f"text_{active_language()}", "")
    return str(own or gettext(asked["text"]))


def report_groups(
    entries: list[tuple[str, dict[str, int]]], minimum: int
) -> list[tuple[list[str], dict[str, int]]]:
    """One question's answers, session by session in the order they joined the report
    (`entries`: a session's date and its counts per answer), gathered into the groups the
    report shows: each of at least `minimum` people; the rest is held back."""
    groups: list[tuple[list[str], dict[str, int]]] = []
    dates: list[str] = []
    pending: Counter[str] = Counter()
    for date, counts in entries:
        if not sum(counts.values()):
            continue
        dates.append(date)
        pending.update(counts)
        if pending.total() >= minimum:
            groups.append((dates, dict(pending)))
            dates, pending = [], Counter()
    return groups


def _summary(
    key: str, type_: str, text: str, entries: list[tuple[str, dict[str, int]]], minimum: int
) -> QuestionSummary | None:
    groups = report_groups(entries, minimum)
    if not groups:
        return None
    counts: Counter[str] = Counter()
    for _dates, group in groups:
        counts.update(group)
    respondents = counts.total()
    bars = [
        Bar(
            label=_answer_label(type_, answer),
            count=counts.get(answer, 0),
            percent=round(100 * counts.get(answer, 0) / respondents),
        )
        for answer in _answer_order(type_, dict(counts))
    ]
    nps = None
    if type_ == SurveyQuestion.Type.NPS:
        nps = nps_score(
            promoters=sum(n for a, n in counts.items() if int(a) >= 9),
            detractors=sum(n for a, n in counts.items() if int(a) <= 6),
            responses=respondents,
        )
    return QuestionSummary(
        key=key,
        type=type_,
        text=text,
        respondents=respondents,
        average=_average(type_, dict(counts)),
        bars=bars,
        nps=nps,
        by_date=[
            ReportGroup(
                dates=dates, respondents=sum(group.values()), average=_average(type_, group)
            )
            for dates, group in groups
        ]
        if len(groups) > 1
        else [],
    )


def organization_report(report: OrganizationReport) -> OrganizationReportView:
    """The report as its organization may see it, from the counts kept at each closing:
    a handful of rows, however many people answered."""
    minimum = settings.REPORT_MIN_RESPONDENTS
    entries = list(report.entries.select_related("session__offering").order_by("id"))
    sessions = [
        ReportSessionLine(
            title=entry.session.shown_title,
            when=describe_when(entry.session),
            invited=entry.invited,
            answered=entry.answered,
        )
        for entry in entries
    ]
    # Questions in the order first asked; a question is the same one by key and type.
    asked: dict[tuple[str, str], dict[str, Any]] = {}
    answers: dict[tuple[str, str], list[tuple[str, dict[str, int]]]] = {}
    for entry, line in zip(entries, sessions, strict=True):
        for question in entry.tally:
            identity = (question["key"], question["type"])
            asked.setdefault(identity, question)
            answers.setdefault(identity, []).append((line.when, question["counts"]))
    questions, withheld = [], []
    for identity, question in asked.items():
        summary = _summary(*identity, _question_text(question), answers[identity], minimum)
        if summary is None:
            withheld.append(_question_text(question))
        else:
            questions.append(summary)
    return OrganizationReportView(
        organization=report.organization.name,
        minimum=minimum,
        sessions=sessions,
        invited=sum(entry.invited for entry in entries),
        answered=sum(entry.answered for entry in entries),
        questions=questions,
        withheld=withheld,
    )
