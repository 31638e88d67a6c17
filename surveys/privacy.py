"""Surveys' personal data: what participants wrote in their own words.

Ratings, recommendations, yes and no, and the choices given (written by the practice) stay
for the statistics; answers in free text are deleted. Organization reports hold only counts
of people per answer, kept at each closing (no person's data: they stay while their
organization does, and go with it).
"""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from config.privacy import Fields, PersonsRecords, declare_free
from surveys.models import (
    OrganizationReport,
    ReportedSession,
    SurveyAnswer,
    SurveyInvitation,
    SurveyQuestion,
    SurveyTemplate,
)

FREE_TEXT = SurveyQuestion.Type.FREE_TEXT


def _written(answers: QuerySet[SurveyAnswer]) -> QuerySet[SurveyAnswer]:
    return answers.filter(type=FREE_TEXT)


class SurveyAnswers:
    kind = "survey answers"
    fields: Fields = {SurveyAnswer: ("text",)}

    def purge(self, *, now: datetime) -> int:
        cutoff = now - timedelta(days=settings.PERSONAL_DATA_RETENTION_DAYS)
        old = SurveyAnswer.objects.filter(invitation__session__ends_at__lt=cutoff)
        deleted, _ = _written(old).delete()
        return deleted

    def records_of(self, email: str) -> list[Any]:
        return list(
            _written(SurveyAnswer.objects.filter(invitation__participant__email__iexact=email))
        )

    def contexts_of(self, records: list[Any]) -> list[Any]:
        return list({answer.invitation for answer in records})

    def erase(self, *, email: str, records: PersonsRecords, now: datetime, by: Any) -> int:
        # By the participants found before any was anonymized.
        participants = [p.pk for p in records.by_kind.get("participants", [])]
        answers = SurveyAnswer.objects.filter(invitation__participant_id__in=participants)
        deleted, _ = _written(answers).delete()
        return deleted

    def export(self, *, email: str) -> list[dict[str, Any]]:
        invitations = (
            SurveyInvitation.objects.filter(participant__email__iexact=email)
            .select_related("session__offering")
            .prefetch_related("answers")
        )
        return [
            {
                "session": invitation.session.display_title,
                "invited_at": invitation.invited_at.isoformat(),
                "submitted_at": invitation.submitted_at.isoformat()
                if invitation.submitted_at
                else None,
                "answers": [
                    {"question": answer.question_text, "answer": answer.value}
                    for answer in invitation.answers.all()
                ],
            }
            for invitation in invitations.order_by("invited_at")
        ]


declare_free(SurveyTemplate, "name", why="written by the practice")
declare_free(SurveyQuestion, "key", "text", "text_nl", "choices", why="written by the practice")
declare_free(SurveyAnswer, "key", "question_text", why="a copy of the question asked")
declare_free(SurveyInvitation, "token", why="the secret link's token")
declare_free(OrganizationReport, "token", why="the secret link's token")
declare_free(
    ReportedSession,
    "tally",
    why="how many people gave each answer, per question the practice wrote; never free text",
)
