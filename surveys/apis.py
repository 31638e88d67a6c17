"""The follow-up survey behind an invitation link."""

from http import HTTPStatus

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from config.pages import private_answers
from config.schema import ErrorOutput
from config.throttling import ScopedRateThrottle
from surveys import selectors, services
from surveys.serializers import SurveyOutput, SurveySubmitInput, SurveySubmittedOutput


@private_answers
class SurveyApi(APIView):
    """The follow-up survey behind an invitation link: its questions, and the answers once."""

    throttle_scope = "surveys"

    def get_throttles(self) -> list[BaseThrottle]:
        # Reading the survey is free; only sending answers counts against the rate.
        return [ScopedRateThrottle()] if self.request.method == "POST" else []

    @extend_schema(responses={200: SurveyOutput})
    def get(self, request: Request, token: str) -> Response:
        return Response(SurveyOutput(selectors.survey_invitation_by_token(token)).data)

    # The 409 and 429 belong to sending answers only, so they are named here, not on the view.
    @extend_schema(
        request=SurveySubmitInput,
        responses={201: SurveySubmittedOutput, 409: ErrorOutput, 429: ErrorOutput},
    )
    def post(self, request: Request, token: str) -> Response:
        invitation = selectors.survey_invitation_by_token(token)
        data = SurveySubmitInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.survey_submit(invitation_id=invitation.pk, answers=data.validated_data["answers"])
        return Response(SurveySubmittedOutput({"submitted": True}).data, status=HTTPStatus.CREATED)
