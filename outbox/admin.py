from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.timesince import timesince

from config import dashboard
from config.admin_site import PersonalDataAdmin
from config.logs import hide_secret_links
from outbox.models import OutgoingMail, PracticeAlert
from outbox.services import mail_requeue


@admin.register(OutgoingMail)
class OutgoingMailAdmin(PersonalDataAdmin):
    person_email_field = "to"
    list_display = ["subject", "to", "kind", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status", "kind", "created_at"]
    search_fields = ["to", "subject"]
    date_hierarchy = "created_at"
    actions = ["resend", "erase_people", "export_people"]
    readonly_fields = [
        "kind",
        "to",
        "subject",
        "body_text",
        "attachment_names",
        "related_type",
        "related_id",
        "status",
        "attempts",
        "next_attempt_at",
        "claimed_at",
        "last_error",
        "created_at",
        "sent_at",
    ]

    def _shown_fields(self, request: HttpRequest) -> list[str]:
        if request.user.has_perm("enrollments.change_enrollment"):
            return list(self.readonly_fields)
        # A booking or survey link in an email is a key to it: only for those who may
        # change bookings.
        return [
            "body_with_links_hidden" if name == "body_text" else name
            for name in self.readonly_fields
        ]

    def get_fields(self, request: HttpRequest, obj: OutgoingMail | None = None) -> Any:
        return self._shown_fields(request)

    def get_readonly_fields(self, request: HttpRequest, obj: OutgoingMail | None = None) -> Any:
        return self._shown_fields(request)

    @admin.display(description="body text")
    def body_with_links_hidden(self, mail: OutgoingMail) -> str:
        return hide_secret_links(mail.body_text)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: OutgoingMail | None = None) -> bool:
        return False

    @admin.display(description="attachments")
    def attachment_names(self, mail: OutgoingMail) -> str:
        return ", ".join(attachment["filename"] for attachment in mail.attachments) or "—"

    def has_resend_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("outbox.change_outgoingmail")

    @admin.action(description="Send the selected emails again", permissions=["resend"])
    def resend(self, request: HttpRequest, queryset: QuerySet[OutgoingMail]) -> None:
        count = 0
        for mail in queryset.exclude(status=OutgoingMail.Status.SENDING):
            mail_requeue(mail=mail)
            self.log_change(request, mail, "Queued to be sent again.")
            count += 1
        self.message_user(request, f"{count} email(s) queued to be sent again.", messages.SUCCESS)


@admin.register(PracticeAlert)
class PracticeAlertAdmin(admin.ModelAdmin[PracticeAlert]):
    """What the practice was told of: written by Regard, read here, never edited."""

    list_display = ["created_at", "kind", "text", "told_at"]
    list_filter = ["kind", "told_at"]
    date_hierarchy = "created_at"
    fields = readonly_fields = (
        "kind",
        "text",
        "related_type",
        "related_id",
        "created_at",
        "told_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: PracticeAlert | None = None) -> bool:
        return False


def _emails_given_up(user: Any) -> dashboard.Reading:
    failed = OutgoingMail.objects.filter(status=OutgoingMail.Status.FAILED)
    return dashboard.reading(
        failed.order_by("-created_at", "-id"),
        lambda mail: dashboard.Line(
            text=(
                f"{mail.kind} (number {mail.pk}) · written "
                f"{timesince(mail.created_at, depth=1)} ago · {mail.attempts} attempt(s)"
            ),
            url=reverse("admin:outbox_outgoingmail_change", args=[mail.pk]),
        ),
    )


dashboard.register(
    dashboard.Panel(
        key="emails-given-up",
        title="Emails that gave up",
        permission="outbox.view_outgoingmail",
        read=_emails_given_up,
        list_url=lambda: reverse("admin:outbox_outgoingmail_changelist") + "?status__exact=failed",
        empty="Every email has gone out or is on its way.",
        order=50,
    )
)
