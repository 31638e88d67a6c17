"""The staff API (DESIGN.md, Integrations): what another system may read with a staff token,
each endpoint behind one scope and the acting account's own permissions."""

from collections.abc import Sequence
from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, permissions
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from config.throttling import ScopedRateThrottle
from enrollments.models import Enrollment
from enrollments.selectors import roster_of, sessions_with_seats
from inquiries.models import Inquiry
from integrations.authentication import StaffTokenAuthentication
from integrations.models import StaffToken
from integrations.serializers import (
    StaffEnrollmentOutput,
    StaffInquiryOutput,
    StaffParticipantOutput,
    StaffSessionOutput,
)
from workshops.models import Session
from workshops.selectors import sessions_for_staff


class TokenScope(permissions.BasePermission):
    """The token holds the view's scope, and its account every permission the view asks."""

    def has_permission(self, request: Request, view: Any) -> bool:
        token = request.auth
        if not isinstance(token, StaffToken):
            return False  # no token: answered 401 by DRF, as it has an authenticator
        if view.token_scope not in token.scopes:
            raise exceptions.PermissionDenied()
        return all(request.user.has_perm(name) for name in view.required_permissions)


class PerTokenThrottle(ScopedRateThrottle):
    """Counted per token (DRF's would count per account, shared by its tokens)."""

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if not isinstance(request.auth, StaffToken):
            return None  # refused before it is counted
        return self.cache_format % {"scope": self.scope, "ident": f"token-{request.auth.pk}"}


class StaffApi(APIView):
    authentication_classes: Sequence[type[BaseAuthentication]] = [StaffTokenAuthentication]
    permission_classes: Sequence[type[permissions.BasePermission]] = [TokenScope]
    throttle_scope = "staff-api"
    token_scope = ""
    required_permissions: tuple[str, ...] = ()

    def get_throttles(self) -> list[BaseThrottle]:
        return [PerTokenThrottle()]


class SessionFilter(django_filters.FilterSet):
    starts_after = django_filters.IsoDateTimeFilter(field_name="starts_at", lookup_expr="gte")
    starts_before = django_filters.IsoDateTimeFilter(field_name="starts_at", lookup_expr="lt")
    status = django_filters.ChoiceFilter(choices=Session.Status.choices)
    is_public = django_filters.BooleanFilter()
    offering = django_filters.NumberFilter(field_name="offering_id")

    class Meta:
        model = Session
        fields = ["starts_after", "starts_before", "status", "is_public", "offering"]


class StaffSessionsApi(StaffApi, generics.ListAPIView[Session]):
    """Sessions, private ones too (a facilitator's token: the sessions they lead)."""

    token_scope = StaffToken.Scope.SESSIONS
    required_permissions = ("workshops.view_session",)
    serializer_class = StaffSessionOutput
    filterset_class = SessionFilter

    def get_queryset(self) -> QuerySet[Session]:
        if getattr(self, "swagger_fake_view", False):
            return Session.objects.none()  # the schema, drawn without a request's account
        sessions = sessions_for_staff(self.request.user, Session.objects.all())
        return sessions_with_seats(sessions.select_related("offering")).order_by("starts_at", "id")


class StaffRosterApi(StaffApi):
    """Who comes to one session: its confirmed participants, by name."""

    token_scope = StaffToken.Scope.ROSTERS
    required_permissions = ("enrollments.view_participant",)

    @extend_schema(responses={200: StaffParticipantOutput(many=True)})
    def get(self, request: Request, session_id: int) -> Response:
        session = sessions_for_staff(request.user, Session.objects.all()).filter(pk=session_id)
        if not session.exists():
            raise exceptions.NotFound()
        participants = roster_of(session_id)
        return Response(
            {
                "session": session_id,
                "participants": StaffParticipantOutput(participants, many=True).data,
            }
        )


class EnrollmentFilter(django_filters.FilterSet):
    session = django_filters.NumberFilter(field_name="session_id")
    status = django_filters.ChoiceFilter(choices=Enrollment.Status.choices)

    class Meta:
        model = Enrollment
        fields = ["session", "status"]


class StaffEnrollmentsApi(StaffApi, generics.ListAPIView[Enrollment]):
    token_scope = StaffToken.Scope.ENROLLMENTS
    required_permissions = ("enrollments.view_enrollment",)
    serializer_class = StaffEnrollmentOutput
    filterset_class = EnrollmentFilter

    def get_queryset(self) -> QuerySet[Enrollment]:
        if getattr(self, "swagger_fake_view", False):
            return Enrollment.objects.none()
        sessions = sessions_for_staff(self.request.user, Session.objects.all())
        return Enrollment.objects.filter(session__in=sessions).order_by("-created_at", "-id")


class InquiryFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=Inquiry.Kind.choices)
    status = django_filters.ChoiceFilter(choices=Inquiry.Status.choices)
    received_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")

    class Meta:
        model = Inquiry
        fields = ["kind", "status", "received_after"]


class StaffInquiriesApi(StaffApi, generics.ListAPIView[Inquiry]):
    """Inquiries; their messages only for an account that may read them."""

    token_scope = StaffToken.Scope.INQUIRIES
    required_permissions = ("inquiries.view_inquiry",)
    serializer_class = StaffInquiryOutput
    filterset_class = InquiryFilter
    queryset = Inquiry.objects.order_by("-created_at", "-id")

    def get_serializer_context(self) -> dict[str, Any]:
        reads = self.request.user.has_perm("inquiries.view_inquiry_message")
        return {**super().get_serializer_context(), "reads_messages": reads}
