import itertools
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timesince

from config import dashboard
from config.admin_site import PersonalDataAdmin
from config.csv_export import csv_response, log_export
from config.errors import DomainError
from inquiries import selectors
from inquiries.models import Inquiry, InquiryNote, InquiryStatusChange
from inquiries.services import inquiry_add_note, inquiry_change_status
from organizations.services import proposal_draft_from_inquiry


def _staff_user(request: HttpRequest) -> User:
    # The admin site lets only active staff in, so the user is a signed-in User here.
    return cast(User, request.user)


class InquiryAdminForm(forms.ModelForm[Inquiry]):
    """Offers only the statuses the pipeline allows from where the inquiry stands."""

    class Meta:
        model = Inquiry
        fields = ["status", "assignee"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "status" in self.fields:
            current = self.instance.status
            status_field = cast(forms.ChoiceField, self.fields["status"])
            status_field.choices = [
                (value, label)
                for value, label in Inquiry.Status.choices
                if value == current or Inquiry.allows_move(current, value)
            ]

    def clean_status(self) -> str:
        status = str(self.cleaned_data["status"])
        if status != self.instance.status and not Inquiry.allows_move(self.instance.status, status):
            raise forms.ValidationError("The pipeline doesn't allow this step.")
        return status


class InquiryNoteInline(admin.StackedInline[InquiryNote, Inquiry]):
    """New notes only: the author is whoever writes it, and a note is never edited after."""

    model = InquiryNote
    extra = 1
    fields = ["text", "author", "created_at"]
    readonly_fields = ["author", "created_at"]

    def has_add_permission(self, request: HttpRequest, obj: Inquiry | None = None) -> bool:
        return (
            obj is not None and not obj.is_anonymized and super().has_add_permission(request, obj)
        )

    def has_change_permission(self, request: HttpRequest, obj: Inquiry | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Inquiry | None = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Inquiry | None = None) -> bool:
        return request.user.has_perm("inquiries.view_inquiry")


class InquiryStatusChangeInline(admin.TabularInline[InquiryStatusChange, Inquiry]):
    model = InquiryStatusChange
    verbose_name = "status change"
    verbose_name_plural = "status history"
    extra = 0
    fields = ["at", "from_status", "to_status", "by"]
    readonly_fields = ["at", "from_status", "to_status", "by"]

    def has_add_permission(self, request: HttpRequest, obj: Inquiry | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Inquiry | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Inquiry | None = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Inquiry | None = None) -> bool:
        return request.user.has_perm("inquiries.view_inquiry")


CSV_HEADER = [
    "reference",
    "received",
    "kind",
    "status",
    "urgent",
    "source",
    "name",
    "email",
    "phone",
    "organization",
    "team size",
    "offering",
    "preferred dates",
    "assignee",
    "anonymized",
    "status history",
]


def _when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment else ""


def _history(inquiry: Inquiry) -> str:
    steps = []
    for change in inquiry.status_changes.all():
        step = f"{change.from_status} → {change.to_status}" if change.from_status else "received"
        who = f" by {change.by.get_username()}" if change.by else ""
        steps.append(f"{_when(change.at)}: {step}{who}")
    return "; ".join(steps)


def inquiry_csv_row(inquiry: Inquiry) -> Sequence[object]:
    # The message and the notes stay in the admin: a spreadsheet travels too easily.
    return [
        inquiry.reference,
        _when(inquiry.created_at),
        inquiry.kind,
        inquiry.status,
        "yes" if inquiry.urgent else "no",
        inquiry.source,
        inquiry.name,
        inquiry.email,
        inquiry.phone,
        inquiry.organization,
        "" if inquiry.team_size is None else inquiry.team_size,
        inquiry.offering.slug if inquiry.offering else "",
        inquiry.preferred_dates,
        inquiry.assignee.get_username() if inquiry.assignee else "",
        _when(inquiry.anonymized_at),
        _history(inquiry),
    ]


def may_read_messages(request: HttpRequest) -> bool:
    return request.user.has_perm("inquiries.view_inquiry_message")


@admin.register(Inquiry)
class InquiryAdmin(PersonalDataAdmin):
    form = InquiryAdminForm
    list_display = [
        "reference",
        "urgent",
        "kind",
        "who",
        "organization",
        "status",
        "assignee",
        "created_at",
    ]
    list_display_links = ["reference", "who"]
    list_filter = [
        "kind",
        "status",
        "urgent",
        "created_at",
        "source",
        ("assignee", admin.RelatedOnlyFieldListFilter),
    ]
    # Not the message: a search term sits in the page's URL, and in server logs with it.
    search_fields = ["reference", "name", "email", "organization"]
    date_hierarchy = "created_at"
    ordering = ["-urgent", "-created_at", "-id"]
    list_select_related = ["assignee"]
    inlines = [InquiryNoteInline, InquiryStatusChangeInline]
    actions = ["draft_proposal", "export_csv", "erase_people", "export_people"]
    readonly_fields = [
        "reference",
        "kind",
        "urgent",
        "source",
        "name",
        "email",
        "phone",
        "organization",
        "team_size",
        "offering",
        "preferred_dates",
        "message",
        "consent_at",
        "created_at",
        "status_changed_at",
        "anonymized_at",
    ]
    fieldsets = [
        (None, {"fields": ["reference", "kind", "urgent", "status", "assignee"]}),
        ("From", {"fields": ["name", "email", "phone", "organization", "team_size"]}),
        ("What they wrote", {"fields": ["offering", "preferred_dates", "message"]}),
        (
            "Record",
            {
                "fields": [
                    "source",
                    "consent_at",
                    "created_at",
                    "status_changed_at",
                    "anonymized_at",
                ]
            },
        ),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # inquiries come from people, through the form (or a survey)

    def get_fieldsets(self, request: HttpRequest, obj: Inquiry | None = None) -> Any:
        if may_read_messages(request):
            return self.fieldsets
        # What people wrote, and the notes on it, only for those whose role reads them.
        return [
            (name, {"fields": [f for f in options["fields"] if f != "message"]})
            for name, options in self.fieldsets
        ]

    def get_inlines(self, request: HttpRequest, obj: Inquiry | None = None) -> Any:
        inlines = super().get_inlines(request, obj)
        if may_read_messages(request):
            return inlines
        return [inline for inline in inlines if inline is not InquiryNoteInline]

    @admin.display(description="from", ordering="name")
    def who(self, inquiry: Inquiry) -> str:
        return "(erased)" if inquiry.is_anonymized else inquiry.name

    def save_model(
        self, request: HttpRequest, obj: Inquiry, form: forms.ModelForm[Inquiry], change: bool
    ) -> None:
        # Everything but the assignee is read-only here; the status moves through the
        # service, which records who moved it and when.
        obj.save(update_fields=["assignee", "updated_at"])
        if "status" in form.changed_data:
            try:
                inquiry_change_status(
                    inquiry=obj, to_status=form.cleaned_data["status"], by=_staff_user(request)
                )
            except DomainError as declined:
                self.message_user(request, declined.message, messages.ERROR)

    def save_formset(
        self, request: HttpRequest, form: forms.ModelForm[Inquiry], formset: Any, change: bool
    ) -> None:
        if formset.model is not InquiryNote:
            super().save_formset(request, form, formset, change)
            return
        for note in formset.save(commit=False):
            if note.pk is None:
                inquiry_add_note(inquiry=form.instance, author=_staff_user(request), text=note.text)

    def has_propose_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("organizations.add_proposal")

    @admin.action(description="Draft a proposal from this inquiry", permissions=["propose"])
    def draft_proposal(
        self, request: HttpRequest, queryset: QuerySet[Inquiry]
    ) -> HttpResponse | None:
        if queryset.count() != 1:
            self.message_user(request, "Choose one inquiry at a time.", messages.WARNING)
            return None
        inquiry = queryset.get()
        try:
            proposal = proposal_draft_from_inquiry(inquiry=inquiry, by=_staff_user(request))
        except DomainError as error:
            self.message_user(request, str(error.message), messages.WARNING)
            return None
        self.log_change(request, inquiry, f"Drafted proposal {proposal.reference}.")
        self.message_user(
            request,
            f"Drafted {proposal.reference}: add the times to offer, check the price, then send.",
            messages.SUCCESS,
        )
        return redirect("admin:organizations_proposal_change", proposal.pk)

    @admin.action(description="Export the selected inquiries as CSV", permissions=["view"])
    def export_csv(
        self, request: HttpRequest, queryset: QuerySet[Inquiry]
    ) -> StreamingHttpResponse:
        log_export(request, queryset)  # who took whose details out, and when
        inquiries = selectors.inquiries_with_history(queryset).iterator(chunk_size=500)
        rows = itertools.chain([CSV_HEADER], map(inquiry_csv_row, inquiries))
        return csv_response(rows, filename=f"inquiries-{timezone.now():%Y-%m-%d}.csv")


def _waiting_inquiries(user: Any) -> dashboard.Reading:
    """Urgent ones first (crisis words), then the oldest new ones: who waits longest."""
    waiting = Inquiry.objects.filter(status=Inquiry.Status.NEW, anonymized_at__isnull=True)
    return dashboard.reading(
        waiting.order_by("-urgent", "created_at", "id"),
        lambda inquiry: dashboard.Line(
            text=(
                f"{inquiry.reference} · {inquiry.get_kind_display()} · "
                f"{timesince(inquiry.created_at, depth=1)} ago"
            ),
            url=reverse("admin:inquiries_inquiry_change", args=[inquiry.pk]),
            flag="urgent" if inquiry.urgent else "",
        ),
    )


dashboard.register(
    dashboard.Panel(
        key="inquiries",
        title="Inquiries waiting for an answer",
        permission="inquiries.view_inquiry",
        read=_waiting_inquiries,
        list_url=lambda: reverse("admin:inquiries_inquiry_changelist") + "?status__exact=new",
        empty="Every inquiry has had an answer.",
        order=20,
    )
)
