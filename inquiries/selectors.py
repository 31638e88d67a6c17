"""Reads of inquiries, with their joins."""

from django.db.models import Prefetch, QuerySet

from inquiries.models import Inquiry, InquiryStatusChange


def inquiries_with_history(queryset: QuerySet[Inquiry]) -> QuerySet[Inquiry]:
    """Inquiries with offering, assignee and their status history (who moved them, when)."""
    return queryset.select_related("offering", "assignee").prefetch_related(
        Prefetch(
            "status_changes",
            queryset=InquiryStatusChange.objects.select_related("by").order_by("at", "id"),
        )
    )
