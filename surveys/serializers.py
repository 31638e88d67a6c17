"""Input and output serializers of the surveys API."""

from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from surveys import selectors
from surveys.models import SurveyInvitation, SurveyQuestion
from workshops.models import Session


class SurveySessionOutput(serializers.ModelSerializer[Session]):
    title = serializers.CharField(source="display_title")

    class Meta:
        model = Session
        fields = ["id", "title", "starts_at", "ends_at", "timezone"]


class SurveyQuestionOutput(serializers.ModelSerializer[SurveyQuestion]):
    choices = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="Only for `single_choice`."
    )

    class Meta:
        model = SurveyQuestion
        fields = ["key", "type", "text", "required", "choices"]

    def to_representation(self, question: SurveyQuestion) -> dict[str, Any]:
        data: dict[str, Any] = super().to_representation(question)
        if question.type != SurveyQuestion.Type.SINGLE_CHOICE:
            del data["choices"]  # the contract's `choices?`: only choice questions have them
        return data


class SurveyReadersOutput(serializers.Serializer[Any]):
    """Who reads the answers, to be said before anyone answers (DESIGN.md)."""

    organization = serializers.CharField(
        allow_null=True,
        help_text=(
            "The organization this session was for, which gets a summary: totals from at "
            "least `minimum_respondents` people per question, never anyone's own words. "
            "Null: the answers are read only by the practice."
        ),
    )
    minimum_respondents = serializers.IntegerField()
    closes_at = serializers.DateTimeField(
        allow_null=True, help_text="When answers stop being taken (organizations' sessions)."
    )


class SurveyOutput(serializers.ModelSerializer[SurveyInvitation]):
    session = SurveySessionOutput()
    questions = SurveyQuestionOutput(source="template.questions", many=True)
    submitted = serializers.SerializerMethodField()
    readers = serializers.SerializerMethodField()

    class Meta:
        model = SurveyInvitation
        fields = ["session", "questions", "submitted", "readers"]

    def get_submitted(self, invitation: SurveyInvitation) -> bool:
        return invitation.submitted_at is not None

    @extend_schema_field(SurveyReadersOutput)
    def get_readers(self, invitation: SurveyInvitation) -> dict[str, Any]:
        organization = selectors.organization_of(invitation.session)
        readers = {
            "organization": organization.name if organization else None,
            "minimum_respondents": settings.REPORT_MIN_RESPONDENTS,
            "closes_at": selectors.survey_closes_at(invitation.session) if organization else None,
        }
        return dict(SurveyReadersOutput(readers).data)


class SurveySubmitInput(serializers.Serializer[Any]):
    answers = serializers.DictField(
        child=serializers.JSONField(allow_null=True),
        allow_empty=True,
        help_text=(
            "Answers by question key: a whole number for `rating` (1–5) and `nps` (0–10), "
            "true or false for `yes_no`, one of the `choices` for `single_choice`, text for "
            "`free_text`. Optional questions may be left out."
        ),
    )


class SurveySubmittedOutput(serializers.Serializer[Any]):
    submitted = serializers.BooleanField()
