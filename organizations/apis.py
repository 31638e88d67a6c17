"""Public endpoints of proposals: read, accept, decline by the proposal's secret link."""

from http import HTTPStatus

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing.services.payments import payment_block
from config.pages import private_answers
from config.throttling import ScopedRateThrottle
from organizations import selectors, services
from organizations.serializers import (
    AcceptedOutput,
    ProposalAcceptInput,
    ProposalDeclineInput,
    ProposalOutput,
)


@private_answers
class ProposalDetailApi(APIView):
    @extend_schema(responses={200: ProposalOutput})
    def get(self, request: Request, token: str) -> Response:
        return Response(ProposalOutput.build(selectors.proposal_by_token(token)))


@private_answers
class ProposalAcceptApi(APIView):
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "booking-changes"
    error_statuses = (409, 503)

    @extend_schema(request=ProposalAcceptInput, responses={201: AcceptedOutput})
    def post(self, request: Request, token: str) -> Response:
        data = ProposalAcceptInput(data=request.data)
        data.is_valid(raise_exception=True)
        accepted = services.proposal_accept(
            proposal_id=selectors.proposal_id_by_token(token),
            **ProposalAcceptInput.answer(data.validated_data),
        )
        enrollment, invoice = accepted.enrollment, accepted.invoice
        return Response(
            {
                "enrollment": {"token": enrollment.token, "reference": enrollment.reference},
                "invoice": {"token": invoice.token, "number": invoice.number} if invoice else None,
                "payment": payment_block(accepted.payment),
            },
            status=HTTPStatus.CREATED,
        )


@private_answers
class ProposalDeclineApi(APIView):
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "booking-changes"
    error_statuses = (409,)

    @extend_schema(request=ProposalDeclineInput, responses={200: ProposalOutput})
    def post(self, request: Request, token: str) -> Response:
        proposal_id = selectors.proposal_id_by_token(token)
        data = ProposalDeclineInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.proposal_decline(proposal_id=proposal_id, reason=data.validated_data["reason"])
        return Response(ProposalOutput.build(selectors.proposal_by_token(token)))
