from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from integrations.calendar_feeds import (
    calendar_feed_create,
    calendar_feed_url,
    calendar_feeds_revoke,
)
from integrations.models import CalendarFeed, StaffToken
from integrations.staff_tokens import staff_token_create, staff_tokens_revoke
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


class StaffTokenForm(forms.ModelForm[StaffToken]):
    scopes = forms.MultipleChoiceField(
        choices=StaffToken.Scope.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = StaffToken
        fields = ["name", "user", "scopes"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "user" in self.fields:
            self.fields["user"].queryset = User.objects.filter(  # type: ignore[attr-defined]
                is_staff=True, is_active=True
            ).order_by("username")


@admin.register(StaffToken)
class StaffTokenAdmin(admin.ModelAdmin[StaffToken]):
    """Keys for other systems to read the staff API. The token is shown once, right after
    it is made; only its hash is kept, so a lost one is revoked and replaced."""

    form = StaffTokenForm
    list_display = [
        "name",
        "prefix",
        "user",
        "scope_list",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_select_related = ["user"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    readonly_fields = ["prefix", "created_at", "created_by", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    @admin.display(description="scopes")
    def scope_list(self, token: StaffToken) -> str:
        return ", ".join(token.scopes)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None:
            return ["name", "user", "scope_list", *self.readonly_fields]
        return self.readonly_fields

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None:
            return ["name", "user", "scope_list", *self.readonly_fields]
        return ["name", "user", "scopes"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False if obj is not None else super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: StaffToken, form: Any, change: bool) -> None:
        token, plaintext = staff_token_create(
            user=form.cleaned_data["user"],
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"],
            created_by=request.user,
        )
        obj.pk = token.pk
        obj.refresh_from_db()
        self.message_user(
            request,
            format_html(
                'The token, shown this once (only its hash is kept): <code id="new-token">{}</code>'
                " Send it as <code>Authorization: Bearer …</code>.",
                plaintext,
            ),
            messages.WARNING,
        )

    @admin.action(description="Revoke: the token stops working", permissions=["delete"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[StaffToken]) -> None:
        revoked = staff_tokens_revoke(queryset)
        self.message_user(request, f"{revoked} token(s) revoked.", messages.SUCCESS)
