"""Reads of enrollments, with their joins."""

from django.db.models import Prefetch, QuerySet

from billing.models import Payment, Refund
from config.errors import NotFound
from enrollments.models import Enrollment, Inquiry, InquiryStatusChange
from workshops.selectors import sessions_with_seats


def enrollment_by_token(token: str) -> Enrollment:
    """The booking behind a manage link, with what its page and the API show."""
    enrollment = (
        Enrollment.objects.select_related("session__offering")
        .prefetch_related(
            "participants",
            Prefetch("payments", queryset=Payment.objects.order_by("-attempt")),
            Prefetch("payments__refunds", queryset=Refund.objects.order_by("id")),
        )
        .filter(token=token)
        .first()
    )
    if enrollment is None:
        raise NotFound(
            "We couldn't find this booking. Please use the link from your email, or write to "
            "us and we will look it up for you."
        )
    # The session with its seat counts, for the session block of the response.
    enrollment.session = (
        sessions_with_seats().select_related("offering").get(pk=enrollment.session_id)
    )
    return enrollment


def inquiries_with_history(queryset: QuerySet[Inquiry]) -> QuerySet[Inquiry]:
    """Inquiries with offering, assignee and their status history (who moved them, when)."""
    return queryset.select_related("offering", "assignee").prefetch_related(
        Prefetch(
            "status_changes",
            queryset=InquiryStatusChange.objects.select_related("by").order_by("at", "id"),
        )
    )
