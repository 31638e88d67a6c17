"""Reads of surveys: invitations behind links, and results for the practice."""

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, Q, QuerySet
from django.utils.translation import gettext

from config.errors import NotFound
from surveys.models import SurveyAnswer, SurveyInvitation, SurveyQuestion
from workshops.models import Offering, Session


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
    *, session: Session | None = None, offering: Offering | None = None
) -> QuerySet[SurveyInvitation]:
    """Invitations of one session, of every session of an offering, or all of them."""
    invitations = SurveyInvitation.objects.all()
    if session is not None:
        invitations = invitations.filter(session=session)
    if offering is not None:
        invitations = invitations.filter(session__offering=offering)
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


def survey_results(
    *, session: Session | None = None, offering: Offering | None = None
) -> SurveyResults:
    """Invited, answered, ratings, NPS and free-text answers, for a session or an offering."""
    invitations = survey_invitations(session=session, offering=offering)
    counts = invitations.aggregate(
        invited=Count("id"), answered=Count("id", filter=Q(submitted_at__isnull=False))
    )
    invited, answered = counts["invited"], counts["answered"]
    answers = SurveyAnswer.objects.filter(invitation__in=invitations)

    ratings: dict[str, dict[int, int]] = {SurveyQuestion.OVERALL: {}, SurveyQuestion.FELT_HEARD: {}}
    for key, number, count in (
        answers.filter(type=SurveyQuestion.Type.RATING, key__in=ratings)
        .values_list("key", "number")
        .annotate(n=Count("id"))
        .order_by()
    ):
        ratings[key][number] = count

    recommend = answers.filter(
        type=SurveyQuestion.Type.NPS, key=SurveyQuestion.RECOMMEND
    ).aggregate(
        promoters=Count("id", filter=Q(number__gte=9)),
        passives=Count("id", filter=Q(number__in=[7, 8])),
        detractors=Count("id", filter=Q(number__lte=6)),
    )
    responses = recommend["promoters"] + recommend["passives"] + recommend["detractors"]

    free_text = [
        FreeTextAnswer(
            question=answer.question_text,
            text=answer.text,
            session=answer.invitation.session,
            submitted_at=answer.invitation.submitted_at,
        )
        for answer in answers.filter(type=SurveyQuestion.Type.FREE_TEXT)
        .select_related("invitation__session__offering")
        .order_by("-invitation__submitted_at", "id")
    ]
    return SurveyResults(
        invited=invited,
        answered=answered,
        response_rate=round(100 * answered / invited) if invited else None,
        overall=_rating(ratings[SurveyQuestion.OVERALL]),
        felt_heard=_rating(ratings[SurveyQuestion.FELT_HEARD]),
        nps=NpsResult(
            **recommend,
            score=nps_score(
                promoters=recommend["promoters"],
                detractors=recommend["detractors"],
                responses=responses,
            ),
        ),
        free_text=free_text,
    )


def survey_sessions(*, offering: Offering | None = None) -> QuerySet[Session]:
    """Sessions that sent invitations, newest first, each with its own counts and average."""
    sessions = Session.objects.filter(survey_invitations__isnull=False)
    if offering is not None:
        sessions = sessions.filter(offering=offering)
    return (
        sessions.select_related("offering")
        .annotate(
            invited=Count("survey_invitations", distinct=True),
            answered=Count(
                "survey_invitations",
                filter=Q(survey_invitations__submitted_at__isnull=False),
                distinct=True,
            ),
            average_overall=Avg(
                "survey_invitations__answers__number",
                filter=Q(
                    survey_invitations__answers__key=SurveyQuestion.OVERALL,
                    survey_invitations__answers__type=SurveyQuestion.Type.RATING,
                ),
            ),
        )
        .order_by("-starts_at", "-id")
    )
