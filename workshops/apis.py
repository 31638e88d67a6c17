"""Public catalog endpoints: read-only, paginated, filtered by validated query strings.

Seats left are counted by the bookings' own selector, the one place seats are counted."""

from typing import Any

from django.db.models import QuerySet
from django.utils.cache import set_response_etag
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response

from enrollments.selectors import sessions_with_seats
from workshops import selectors
from workshops.cache import cache_answer, cache_seconds, cached_answer
from workshops.filters import OfferingFilter, SessionFilter
from workshops.models import Offering, Session
from workshops.serializers import OfferingDetailOutput, OfferingListOutput, SessionOutput


class CachedGetMixin:
    """Serves a recent identical answer from the cache (see workshops/cache.py), as the
    bytes and ETag it was first sent with: a cached answer is neither serialized nor
    hashed again. The ConditionalGetMiddleware turns a matching `If-None-Match` into a 304.
    """

    _catalog_version = ""

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if cache_seconds():
            kept, self._catalog_version = cached_answer(request.get_full_path())
            if kept is not None:
                answer = Response(
                    headers={"Content-Type": "application/json", "ETag": kept["etag"]}
                )
                answer.content = kept["content"]  # marks it rendered: no serializer, no renderer
                return answer
        response: Response = super().get(request, *args, **kwargs)  # type: ignore[misc]
        return response

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        fresh = not response.is_rendered
        if fresh and self._catalog_version and response.status_code == 200:
            response.render()
            set_response_etag(response)
            answer = {"content": response.content, "etag": response["ETag"]}
            cache_answer(request.get_full_path(), answer, self._catalog_version)
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
        return selectors.published_offering_with_sessions(
            sessions_with_seats(selectors.public_sessions())
        )


class SessionListApi(CachedGetMixin, generics.ListAPIView[Session]):
    serializer_class = SessionOutput
    filterset_class = SessionFilter

    def get_queryset(self) -> QuerySet[Session]:
        return selectors.upcoming_public_sessions(sessions_with_seats(selectors.public_sessions()))


class SessionDetailApi(CachedGetMixin, generics.RetrieveAPIView[Session]):
    serializer_class = SessionOutput

    def get_queryset(self) -> QuerySet[Session]:
        return sessions_with_seats(selectors.public_sessions())
