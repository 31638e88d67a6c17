"""The public inquiry endpoint: asking for personal guidance or a team training."""

from http import HTTPStatus

from django.views.decorators.debug import sensitive_variables
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.pages import private_answers
from config.throttling import ScopedRateThrottle
from inquiries import crisis
from inquiries.serializers import MESSAGE_MAX, InquiryInput, InquiryOutput, support_block
from inquiries.services import inquiry_receive


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
        del data["consent"]  # validated as given; the service records when
        inquiry = inquiry_receive(**data)
        return Response(InquiryOutput(inquiry).data, status=HTTPStatus.CREATED)

    @sensitive_variables()
    def handle_exception(self, exc: Exception) -> Response:
        """Every refusal (throttled, capped, invalid) of a message holding crisis language
        still carries the support block: nobody in crisis meets only a refusal."""
        response = super().handle_exception(exc)
        if isinstance(response.data, dict) and crisis.mentions_crisis(self._message()):
            response.data["support"] = support_block()
        return response

    @sensitive_variables()
    def _message(self) -> str:
        try:
            data = self.request.data  # parsed here if a throttle refused before the view
        except APIException:  # unreadable (not JSON, or not a type we take): no message
            return ""
        message = data.get("message") if hasattr(data, "get") else None
        # Beyond the longest message taken, the rest is not read.
        return message[: MESSAGE_MAX * 2] if isinstance(message, str) else ""
