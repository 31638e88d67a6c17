"""Two endpoints that do as little as an API endpoint can: the ceiling Regard is held to."""

from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from bench.baseline.models import BaselineRow

CONSTANT = {"status": "ok", "items": [{"id": 1, "title": "A constant answer"}]}


class ConstantApi(APIView):
    schema = None

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(CONSTANT)


class InsertApi(APIView):
    schema = None

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        row = BaselineRow.objects.create(label="bench")
        return Response({"id": row.pk}, status=201)
