from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing.services.stripe_events import InvalidSignature, stripe_event_receive
from config.errors import InvalidInput


class StripeWebhookApi(APIView):
    """Stripe's deliveries: verified on the raw body, stored once, applied by a task."""

    authentication_classes = []
    permission_classes = []
    error_statuses = (400,)

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={200: OpenApiTypes.OBJECT},
        description="Signed by Stripe (`Stripe-Signature`); 400 on a bad or stale signature.",
    )
    def post(self, request: Request) -> Response:
        try:
            event = stripe_event_receive(
                payload=request.body, signature=request.META.get("HTTP_STRIPE_SIGNATURE", "")
            )
        except InvalidSignature:
            raise InvalidInput(
                "The signature of this webhook could not be verified.", code="invalid_signature"
            ) from None
        return Response({"received": True, "duplicate": event is None})
