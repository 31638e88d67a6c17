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
from integrations.models import (
    CalendarFeed,
    StaffToken,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from integrations.staff_tokens import staff_token_create, staff_tokens_revoke
from integrations.webhooks import (
    endpoint_errors,
    webhook_endpoint_create,
    webhook_endpoint_disable,
    webhook_endpoint_enable,
    webhook_resend,
)
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


class WebhookEndpointForm(forms.ModelForm[WebhookEndpoint]):
    url = forms.URLField(
        label="URL",
        max_length=500,
        assume_scheme="https",
        help_text="https, on an address the internet can reach.",
    )
    events = forms.MultipleChoiceField(
        choices=WebhookEndpoint.Event.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "description", "events"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for field, texts in endpoint_errors(data.get("url", ""), data.get("events", [])).items():
            if field not in self.errors:
                self.add_error(field, texts)
        return data


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin[WebhookEndpoint]):
    """Where Regard tells other systems what happened. The secret signs every delivery
    (Standard Webhooks); the receiver checks each with it."""

    form = WebhookEndpointForm
    list_display = ["__str__", "url", "event_list", "active", "disabled_reason", "failing_since"]
    list_filter = ["active"]
    readonly_fields = ["secret", "active", "disabled_at", "disabled_reason", "failing_since"]
    actions = ["enable", "disable"]

    @admin.display(description="events")
    def event_list(self, endpoint: WebhookEndpoint) -> str:
        return ", ".join(endpoint.events)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        if obj is not None:
            form.base_fields["events"].initial = obj.events
        return form

    def save_model(
        self, request: HttpRequest, obj: WebhookEndpoint, form: Any, change: bool
    ) -> None:
        data = form.cleaned_data
        if change:
            obj.events = sorted(set(data["events"]))
            obj.save()
            return
        obj.pk = webhook_endpoint_create(
            url=data["url"], events=data["events"], description=data["description"]
        ).pk
        obj.refresh_from_db()

    @admin.action(description="Turn on again (after it was turned off)", permissions=["change"])
    def enable(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        for endpoint in queryset:
            webhook_endpoint_enable(endpoint_id=endpoint.pk)
        self.message_user(request, "Turned on; what it missed can be resent from the log.")

    @admin.action(description="Turn off", permissions=["change"])
    def disable(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        for endpoint in queryset.filter(active=True):
            webhook_endpoint_disable(endpoint_id=endpoint.pk, reason="Turned off in the admin.")
        self.message_user(request, "Turned off.")


class WebhookAttemptInline(admin.TabularInline[WebhookAttempt, WebhookDelivery]):
    model = WebhookAttempt
    fields = readonly_fields = ("at", "status_code", "error", "duration_ms")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin[WebhookDelivery]):
    """The delivery log (the last 30 days): each event to each endpoint, its tries and their
    answers. "Resend" owes one again."""

    list_display = [
        "event_type",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "next_attempt_at",
        "created_at",
    ]
    list_filter = ["status", "message__type", "endpoint"]
    list_select_related = ["message", "endpoint"]
    fields = readonly_fields = (
        "message_id_shown",
        "event_type",
        "endpoint",
        "status",
        "attempts",
        "next_attempt_at",
        "last_status_code",
        "last_error",
        "delivered_at",
        "body",
    )
    inlines = [WebhookAttemptInline]
    actions = ["resend"]

    @admin.display(description="event", ordering="message__type")
    def event_type(self, delivery: WebhookDelivery) -> str:
        return delivery.message.type

    @admin.display(description="webhook-id")
    def message_id_shown(self, delivery: WebhookDelivery) -> str:
        return delivery.message.msg_id

    @admin.display(description="body sent")
    def body(self, delivery: WebhookDelivery) -> str:
        return format_html("<code>{}</code>", delivery.message.body)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_resend_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("integrations.change_webhookendpoint")

    @admin.action(description="Resend", permissions=["resend"])
    def resend(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        for delivery in queryset:
            webhook_resend(delivery_id=delivery.pk)
        self.message_user(request, f"{queryset.count()} delivery(ies) to be sent again.")
