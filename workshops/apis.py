"""Public catalog endpoints: read-only, paginated, filtered by validated query strings."""

from typing import Any

from django.db.models import QuerySet
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response

from workshops import selectors
from workshops.cache import cache_answer, cache_seconds, cached_answer
from workshops.filters import OfferingFilter, SessionFilter
from workshops.models import Offering, Session
from workshops.serializers import OfferingDetailOutput, OfferingListOutput, SessionOutput


class CachedGetMixin:
    """Serves a recent identical answer from the cache (see workshops/cache.py); the
    ConditionalGetMiddleware then turns a matching `If-None-Match` into a 304."""

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        path = request.get_full_path()
        data, version = cached_answer(path) if cache_seconds() else (None, "")
        if data is not None:
            return Response(data)
        response: Response = super().get(request, *args, **kwargs)  # type: ignore[misc]
        if response.status_code == 200 and cache_seconds():
            cache_answer(path, response.data, version)
        return response


class OfferingListApi(CachedGetMixin, generics.ListAPIView[Offering]):
    serializer_class = OfferingListOutput
    filterset_class = OfferingFilter

    def get_queryset(self) -> QuerySet[Offering]:
        return selectors.published_offerings()


class OfferingDetailApi(CachedGetMixin, generics.RetrieveAPIView[Offering]):
    serializer_class = OfferingDetailOutput
    lookup_field = "slug"

    def get_queryset(self) -> QuerySet[Offering]:
        return selectors.published_offering_with_sessions()


class SessionListApi(CachedGetMixin, generics.ListAPIView[Session]):
    serializer_class = SessionOutput
    filterset_class = SessionFilter

    def get_queryset(self) -> QuerySet[Session]:
        return selectors.upcoming_public_sessions()


class SessionDetailApi(CachedGetMixin, generics.RetrieveAPIView[Session]):
    serializer_class = SessionOutput

    def get_queryset(self) -> QuerySet[Session]:
        return selectors.public_sessions()
