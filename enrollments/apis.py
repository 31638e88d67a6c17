"""Public endpoints of the enrollments app: inquiries, enrollments with their booking link,
and follow-up surveys."""

import logging
from http import HTTPStatus
from typing import Any

from django.views.decorators.debug import sensitive_variables
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from billing.services import payment_block
from config.schema import ErrorOutput
from config.throttling import ScopedRateThrottle
from enrollments import crisis, selectors
from enrollments.idempotency import HEADER, idempotent
from enrollments.models import Inquiry, new_inquiry_reference
from enrollments.serializers import (
    EnrollmentCreatedOutput,
    EnrollmentCreateInput,
    EnrollmentOutput,
    InquiryInput,
    InquiryOutput,
    ParticipantsReplaceInput,
    PaymentOutput,
    SurveyOutput,
    SurveySubmitInput,
    SurveySubmittedOutput,
)
from enrollments.services import enrollments, surveys
from enrollments.services.inquiries import inquiry_submit

logger = logging.getLogger(__name__)


def _detail(token: str) -> Response:
    return Response(EnrollmentOutput(selectors.enrollment_by_token(token)).data)


class EnrollmentCreateApi(APIView):
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "enrollments"
    error_statuses = (409, 503)

    @extend_schema(
        request=EnrollmentCreateInput,
        responses={201: EnrollmentCreatedOutput},
        parameters=[
            OpenApiParameter(
                HEADER,
                location=OpenApiParameter.HEADER,
                required=False,
                description="Retrying with the same key and body replays the first answer.",
            )
        ],
    )
    def post(self, request: Request) -> Response:
        def create() -> Response:
            data = EnrollmentCreateInput(data=request.data)
            data.is_valid(raise_exception=True)
            fields: dict[str, Any] = dict(data.validated_data)
            fields["session_id"] = fields.pop("session")
            fields.pop("consent")
            enrollment, payment = enrollments.enrollment_create(**fields)
            return Response(
                EnrollmentCreatedOutput.build(enrollment, payment), status=HTTPStatus.CREATED
            )

        return idempotent(request.headers.get(HEADER), request.data, create)


class EnrollmentDetailApi(APIView):
    @extend_schema(responses={200: EnrollmentOutput})
    def get(self, request: Request, token: str) -> Response:
        return _detail(token)


class EnrollmentCancelApi(APIView):
    error_statuses = (409,)

    @extend_schema(request=None, responses={200: EnrollmentOutput})
    def post(self, request: Request, token: str) -> Response:
        enrollment = selectors.enrollment_by_token(token)
        enrollments.enrollment_cancel(enrollment_id=enrollment.pk)
        return _detail(token)


class EnrollmentParticipantsApi(APIView):
    error_statuses = (409,)

    @extend_schema(request=ParticipantsReplaceInput, responses={200: EnrollmentOutput})
    def put(self, request: Request, token: str) -> Response:
        enrollment = selectors.enrollment_by_token(token)
        data = ParticipantsReplaceInput(data=request.data)
        data.is_valid(raise_exception=True)
        enrollments.enrollment_replace_participants(
            enrollment_id=enrollment.pk, participants=data.validated_data["participants"]
        )
        return _detail(token)


class EnrollmentPayApi(APIView):
    """A way to pay a held or offered seat: for a waitlist offer, or after leaving the page."""

    error_statuses = (409, 503)

    @extend_schema(request=None, responses={200: PaymentOutput})
    def post(self, request: Request, token: str) -> Response:
        enrollment = selectors.enrollment_by_token(token)
        payment = enrollments.enrollment_pay(enrollment_id=enrollment.pk)
        return Response(payment_block(payment))


class InquiryCreateApi(APIView):
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "inquiries"

    @extend_schema(
        operation_id="inquiries_create",
        request=InquiryInput,
        responses={HTTPStatus.CREATED: InquiryOutput},
        summary="Ask for personal guidance or a team training",
    )
    @sensitive_variables()
    def post(self, request: Request) -> Response:
        serializer = InquiryInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        honeypot = data.pop("website", "")
        del data["consent"]  # validated as given; the service records when

        if honeypot:
            # Answered exactly as a real inquiry would be, support included, so software
            # learns nothing, and a person whose browser filled the field in still gets help.
            inquiry = Inquiry(
                reference=new_inquiry_reference(),
                urgent=crisis.mentions_crisis(data["message"]),
            )
            logger.info("inquiry: honeypot filled; answered as received, nothing stored")
        else:
            inquiry = inquiry_submit(**data)
        return Response(InquiryOutput(inquiry).data, status=HTTPStatus.CREATED)


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
        surveys.survey_submit(invitation_id=invitation.pk, answers=data.validated_data["answers"])
        return Response(SurveySubmittedOutput({"submitted": True}).data, status=HTTPStatus.CREATED)
