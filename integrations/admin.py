from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from integrations.calendar_feeds import (
    calendar_feed_create,
    calendar_feed_url,
    calendar_feeds_revoke,
)
from integrations.models import CalendarFeed
from workshops.selectors import facilitator_of, leads_only_own_sessions


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin[CalendarFeed]):
    """Secret calendar addresses: the practice's, and one per facilitator. Adding one for
    whoever has one already replaces it (the old address stops answering)."""

    list_display = ["__str__", "address", "created_at", "last_read_at", "revoked_at"]
    list_select_related = ["facilitator"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    fields = ["facilitator", "address", "created_at", "last_read_at", "revoked_at"]
    readonly_fields = ["address", "created_at", "last_read_at", "revoked_at"]
    actions = ["revoke"]

    @admin.display(description="address to subscribe to")
    def address(self, feed: CalendarFeed) -> str:
        if feed.pk is None:
            return "Made when you save."
        if feed.revoked_at:
            return "No longer answers."
        url = calendar_feed_url(feed)
        return format_html("<code>{}</code>", url)

    def get_queryset(self, request: HttpRequest) -> QuerySet[CalendarFeed]:
        feeds = super().get_queryset(request)
        if leads_only_own_sessions(request.user):
            own = facilitator_of(request.user)
            return feeds.filter(facilitator=own) if own else feeds.none()  # their own only
        return feeds

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["facilitator", *self.readonly_fields] if obj else self.readonly_fields

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False if obj is not None else super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: CalendarFeed, form: Any, change: bool) -> None:
        # The service makes it (and retires the one it replaces); the form's object then
        # stands for it, for the admin's log and the page it goes to next.
        obj.pk = calendar_feed_create(facilitator=obj.facilitator).pk
        obj.refresh_from_db()

    @admin.action(description="Revoke: the address stops answering", permissions=["delete"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[CalendarFeed]) -> None:
        revoked = calendar_feeds_revoke(queryset.filter(revoked_at__isnull=True))
        self.message_user(request, f"{revoked} feed(s) revoked.", messages.SUCCESS)
