"""The public inquiry endpoint: asking for personal guidance or a team training."""

import logging
from http import HTTPStatus

from django.views.decorators.debug import sensitive_variables
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.pages import private_answers
from config.throttling import ScopedRateThrottle
from inquiries import crisis
from inquiries.models import Inquiry, new_inquiry_reference
from inquiries.serializers import InquiryInput, InquiryOutput
from inquiries.services import inquiry_submit

logger = logging.getLogger(__name__)


@private_answers
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
