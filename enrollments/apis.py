"""Public endpoints of the enrollments app: bookings and their secret booking link."""

from http import HTTPStatus
from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing.services.payments import payment_block
from config.errors import NotFound
from config.money import format_amount
from config.pages import private_answers
from config.throttling import PerLinkThrottle, ScopedRateThrottle, client_address
from enrollments import selectors
from enrollments.idempotency import HEADER, idempotent
from enrollments.models import DiscountCode
from enrollments.serializers import (
    DiscountQuoteInput,
    DiscountQuoteOutput,
    EnrollmentCreatedOutput,
    EnrollmentCreateInput,
    EnrollmentOutput,
    ParticipantsReplaceInput,
    PaymentOutput,
)
from enrollments.services import cancellation, discounts, holds, roster
from enrollments.services.receipts import booking_amount
from enrollments.services.seats import SessionNotFound


def _detail(token: str) -> Response:
    return Response(EnrollmentOutput(selectors.enrollment_by_token(token)).data)


@private_answers
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
            enrollment, payment = holds.enrollment_create(
                **fields, from_address=client_address(request)
            )
            return Response(
                EnrollmentCreatedOutput.build(enrollment, payment), status=HTTPStatus.CREATED
            )

        # A key is scoped to who the booking is for: one person's key is not another's.
        email = request.data.get("email", "") if isinstance(request.data, dict) else ""
        return idempotent(request.headers.get(HEADER), request.data, create, scope=str(email))


@private_answers
class EnrollmentDetailApi(APIView):
    @extend_schema(responses={200: EnrollmentOutput})
    def get(self, request: Request, token: str) -> Response:
        return _detail(token)


@private_answers
class EnrollmentCancelApi(APIView):
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "booking-changes"
    error_statuses = (409,)

    @extend_schema(request=None, responses={200: EnrollmentOutput})
    def post(self, request: Request, token: str) -> Response:
        enrollment = selectors.enrollment_by_token(token)
        cancellation.enrollment_cancel(enrollment_id=enrollment.pk)
        return _detail(token)


@private_answers
class EnrollmentParticipantsApi(APIView):
    # Each new participant is written to: limited per address, and per booking's link.
    throttle_classes = [ScopedRateThrottle, PerLinkThrottle]
    throttle_scope = "booking-changes"
    link_throttle_scope = "roster-link"
    error_statuses = (409,)

    @extend_schema(request=ParticipantsReplaceInput, responses={200: EnrollmentOutput})
    def put(self, request: Request, token: str) -> Response:
        enrollment = selectors.enrollment_by_token(token)
        data = ParticipantsReplaceInput(data=request.data)
        data.is_valid(raise_exception=True)
        roster.enrollment_replace_participants(
            enrollment_id=enrollment.pk, participants=data.validated_data["participants"]
        )
        return _detail(token)


@private_answers
class EnrollmentPayApi(APIView):
    """A way to pay a held or offered seat: for a waitlist offer, or after leaving the page."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "booking-changes"
    error_statuses = (409, 503)

    @extend_schema(request=None, responses={200: PaymentOutput})
    def post(self, request: Request, token: str) -> Response:
        enrollment = selectors.enrollment_by_token(token)
        payment = holds.enrollment_pay(enrollment_id=enrollment.pk)
        return Response(payment_block(payment))


class DiscountCodeApi(APIView):
    """What a discount code takes off seats in a session, before booking (DESIGN.md)."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "discount-codes"

    @extend_schema(parameters=[DiscountQuoteInput], responses={200: DiscountQuoteOutput})
    def get(self, request: Request, code: str) -> Response:
        query = DiscountQuoteInput(data=request.query_params)
        query.is_valid(raise_exception=True)
        wanted = query.validated_data
        session = selectors.bookable_session(wanted["session"])
        if session is None:
            raise SessionNotFound()
        currency = session.offering.currency
        try:
            quote = discounts.discount_quote(
                code=code, session=session, seats=wanted["seats"], email=wanted["email"]
            )
            off, amount, message = quote.amount_off_cents, quote.amount_cents, ""
        except DiscountCode.DoesNotExist:
            raise NotFound(discounts.unknown_code().reason) from None
        except discounts.DiscountRefused as refused:  # what the seats cost without it, and why
            off, amount, message = 0, booking_amount(session, wanted["seats"]), refused.reason
        return Response(
            DiscountQuoteOutput(
                {
                    "code": discounts.normalized(code),
                    "valid": not message,
                    "amount_off": format_amount(off, currency),
                    "amount": format_amount(amount, currency),
                    "currency": currency,
                    "message": message,
                }
            ).data
        )
