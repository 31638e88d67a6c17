"""Public catalog endpoints: read-only, paginated, filtered by validated query strings."""

from django.db.models import QuerySet
from rest_framework import generics

from workshops import selectors
from workshops.filters import OfferingFilter, SessionFilter
from workshops.models import Offering, Session
from workshops.serializers import OfferingDetailOutput, OfferingListOutput, SessionOutput


class OfferingListApi(generics.ListAPIView[Offering]):
    serializer_class = OfferingListOutput
    filterset_class = OfferingFilter

    def get_queryset(self) -> QuerySet[Offering]:
        return selectors.published_offerings()


class OfferingDetailApi(generics.RetrieveAPIView[Offering]):
    serializer_class = OfferingDetailOutput
    lookup_field = "slug"

    def get_queryset(self) -> QuerySet[Offering]:
        return selectors.published_offering_with_sessions()


class SessionListApi(generics.ListAPIView[Session]):
    serializer_class = SessionOutput
    filterset_class = SessionFilter

    def get_queryset(self) -> QuerySet[Session]:
        return selectors.upcoming_public_sessions()


class SessionDetailApi(generics.RetrieveAPIView[Session]):
    serializer_class = SessionOutput

    def get_queryset(self) -> QuerySet[Session]:
        return selectors.public_sessions()
