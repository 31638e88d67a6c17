"""Public catalog endpoints: read-only, paginated, filtered by validated query strings.

Seats left are counted by the bookings' own selector, the one place seats are counted.
The answers read most, a session's and the unfiltered list, are read by statements
compiled once per process (config/prepared.py) from the same selectors; the others by
the ORM as usual."""

from typing import Any

from django.db import connection
from django.db.models import DateTimeField, OuterRef, QuerySet, Subquery
from django.db.models.functions import JSONObject
from django.http import Http404
from django.utils import timezone
from django.utils.cache import set_response_etag
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response

from config.prepared import JSONList, Param, PreparedRead, instance_of
from enrollments.selectors import sessions_with_seats
from workshops import selectors
from workshops.cache import cache_answer, cache_seconds, cached_answer
from workshops.filters import OfferingFilter, SessionFilter
from workshops.models import Facilitator, Offering, Session, Topic
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


# The list as most read it, unfiltered, is one statement compiled once (config/prepared.py)
# with each offering's topics and facilitators in its row: the ORM's count, page and two
# prefetches took 12 of its 13 ms in-process. A practice's catalog is some tens of
# offerings, read whole and paged here; past LISTED_AT_MOST, and for any filter, the ORM
# reads it page by page.
# The offering's own columns the list shows, with what its price is made from.
OFFERING_LISTED = (
    "id",
    "price_cents",
    *(
        name
        for name in OfferingListOutput.Meta.fields
        if name in {field.name for field in Offering._meta.concrete_fields}
    ),
)
LISTED_AT_MOST = 500
PAGING = {"page", "page_size"}


def _related_json(model: type[Topic | Facilitator], *fields: str) -> Subquery:
    # By name, as Topic and Facilitator order themselves.
    listed = JSONList(JSONObject(**{field: field for field in fields}), order_by="name")
    return Subquery(
        model.objects.filter(offerings=OuterRef("pk"))
        .order_by()
        .values("offerings")
        .annotate(items=listed)
        .values("items"),
        output_field=listed.output_field,
    )


_offerings_listed = PreparedRead(
    lambda: (
        selectors.published_offerings(now=Param("now", DateTimeField()))
        .prefetch_related(None)
        .annotate(
            topics_json=_related_json(Topic, "slug", "name"),
            facilitators_json=_related_json(Facilitator, "name", "credentials", "bio"),
        )
        .values(*OFFERING_LISTED, "next_session_starts_at", "topics_json", "facilitators_json")[
            : LISTED_AT_MOST + 1
        ]
    )
)


def _offering_listed(row: dict[str, Any]) -> Offering:
    offering = instance_of(Offering, row)
    offering.next_session_starts_at = row["next_session_starts_at"]  # type: ignore[attr-defined]
    offering.listed_topics = row["topics_json"] or []  # type: ignore[attr-defined]
    offering.listed_facilitators = row["facilitators_json"] or []  # type: ignore[attr-defined]
    return offering


class OfferingListApi(CachedGetMixin, generics.ListAPIView[Offering]):
    serializer_class = OfferingListOutput
    filterset_class = OfferingFilter

    def get_queryset(self) -> QuerySet[Offering]:
        return selectors.published_offerings()

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if request.query_params.keys() <= PAGING:
            rows = _offerings_listed.rows(now=timezone.now())
            if len(rows) <= LISTED_AT_MOST:
                page = self.paginate_queryset(rows)
                offerings = [_offering_listed(row) for row in page or []]
                return self.get_paginated_response(self.get_serializer(offerings, many=True).data)
        return super().list(request, *args, **kwargs)


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


# What a session's answer shows (SessionOutput), read by a statement compiled once per
# process (config/prepared.py): per request only the session's id and the time are bound.
SESSION_SHOWN = (
    "id",
    "title",
    "starts_at",
    "ends_at",
    "timezone",
    "location",
    "capacity",
    "price_override_cents",
    "status",
    "enrollment_closes_at",
    "waitlist_enabled",
)
OFFERING_SHOWN = ("id", "slug", "title", "format", "price_cents", "currency")
SESSION_ID = Session._meta.pk
_session_shown = PreparedRead(
    lambda: (
        sessions_with_seats(selectors.public_sessions(), now=Param("now", DateTimeField()))
        .filter(pk=Param("pk", SESSION_ID))
        .values(*SESSION_SHOWN, *(f"offering__{name}" for name in OFFERING_SHOWN), "seats_left")
    )
)


def _session_of(row: dict[str, Any]) -> Session:
    session = instance_of(Session, row)
    session.offering = instance_of(Offering, row, prefix="offering__")
    session.seats_left = row["seats_left"]  # type: ignore[attr-defined]
    return session


class SessionDetailApi(CachedGetMixin, generics.RetrieveAPIView[Session]):
    serializer_class = SessionOutput

    def get_queryset(self) -> QuerySet[Session]:
        return sessions_with_seats(selectors.public_sessions())

    def get_object(self) -> Session:
        pk = self.kwargs["pk"]
        smallest, largest = connection.ops.integer_field_range(SESSION_ID.get_internal_type())
        # Beyond the column's range the ORM matches nothing; a bound value would fail.
        found = _session_shown.rows(pk=pk, now=timezone.now()) if smallest <= pk <= largest else []
        if not found:
            raise Http404
        session = _session_of(found[0])
        self.check_object_permissions(self.request, session)
        return session
