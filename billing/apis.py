from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing.selectors import invoice_by_token
from billing.serializers import InvoiceOutput, InvoicePaymentOutput
from billing.services.invoice_payments import invoice_pay
from billing.services.payments import payment_block
from billing.services.stripe_events import InvalidSignature, stripe_event_receive
from config.errors import InvalidInput
from config.pages import private_answers
from config.throttling import ScopedRateThrottle


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


@private_answers
class InvoiceDetailApi(APIView):
    @extend_schema(responses={200: InvoiceOutput})
    def get(self, request: Request, token: str) -> Response:
        return Response(InvoiceOutput.build(invoice_by_token(token)))


@private_answers
class InvoicePayApi(APIView):
    """Card payment of what is open on an invoice, in either `PAYMENT_FLOW`."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "booking-changes"
    error_statuses = (409, 503)

    @extend_schema(request=None, responses={200: InvoicePaymentOutput})
    def post(self, request: Request, token: str) -> Response:
        invoice = invoice_by_token(token)
        return Response(payment_block(invoice_pay(invoice_id=invoice.pk)))
