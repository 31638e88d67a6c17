"""Verifying a certificate by its code."""

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from certificates.serializers import CertificateOutput
from certificates.services import certificate_by_code
from config.schema import ErrorOutput


class CertificateApi(APIView):
    """Whether a certificate stands: valid or revoked; an unknown code is a 404."""

    @extend_schema(responses={200: CertificateOutput, 404: ErrorOutput})
    def get(self, request: Request, code: str) -> Response:
        return Response(CertificateOutput(certificate_by_code(code)).data)
