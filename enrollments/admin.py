import csv
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from billing.models import Payment, Refund
from billing.services import booking_url, refundable_cents
from config.errors import DomainError
from enrollments import selectors
from enrollments.models import (
    Enrollment,
    Inquiry,
    InquiryNote,
    InquiryStatusChange,
    OfferingSurvey,
    OutgoingMail,
    Participant,
    SurveyAnswer,
    SurveyInvitation,
    SurveyQuestion,
    SurveyTemplate,
)
from enrollments.services import enrollments
from enrollments.services.inquiries import (
    inquiry_add_note,
    inquiry_change_status,
    inquiry_erase_for_email,
)
from enrollments.services.mail import mail_requeue
from workshops.models import Offering, Session
from workshops.money import decimal_to_minor_units, format_amount, minor_units_to_decimal

# The results page lists at most this many sessions of an offering.
RESULTS_SESSIONS_SHOWN = 50


@admin.register(OutgoingMail)
class OutgoingMailAdmin(admin.ModelAdmin[OutgoingMail]):
    list_display = ["subject", "to", "kind", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status", "kind", "created_at"]
    search_fields = ["to", "subject"]
    date_hierarchy = "created_at"
    actions = ["resend"]
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
    fields = list(readonly_fields)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: OutgoingMail | None = None) -> bool:
        return False

    @admin.display(description="attachments")
    def attachment_names(self, mail: OutgoingMail) -> str:
        return ", ".join(attachment["filename"] for attachment in mail.attachments) or "—"

    def has_resend_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("enrollments.change_outgoingmail")

    @admin.action(description="Send the selected emails again", permissions=["resend"])
    def resend(self, request: HttpRequest, queryset: QuerySet[OutgoingMail]) -> None:
        count = 0
        for mail in queryset.exclude(status=OutgoingMail.Status.SENDING):
            mail_requeue(mail=mail)
            count += 1
        self.message_user(request, f"{count} email(s) queued to be sent again.", messages.SUCCESS)


class ParticipantInline(admin.TabularInline[Participant, Enrollment]):
    model = Participant
    extra = 0
    fields = ["name", "email", "attended"]


class PaymentInline(admin.TabularInline[Payment, Enrollment]):
    model = Payment
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "attempt",
        "flow",
        "status",
        "amount",
        "stripe_payment_intent_id",
        "succeeded_at",
        "last_error",
    )

    def has_add_permission(self, request: HttpRequest, obj: Enrollment | None = None) -> bool:
        return False

    @admin.display(description="amount")
    def amount(self, payment: Payment) -> str:
        return f"{format_amount(payment.amount_cents, payment.currency)} {payment.currency}"


class RefundForm(forms.Form):
    amount = forms.DecimalField(min_value=Decimal("0.01"), decimal_places=2, max_digits=12)


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin[Enrollment]):
    list_display = ["reference", "name", "session", "seats", "status", "amount", "created_at"]
    list_filter = ["status", "session__offering", "created_at"]
    search_fields = ["reference", "name", "email", "organization", "participants__email"]
    list_select_related = ["session__offering"]
    date_hierarchy = "created_at"
    inlines = [ParticipantInline, PaymentInline]
    actions = ["refund", "resend_confirmation", "mark_attended"]
    fields = (
        "reference",
        "status",
        "session",
        "name",
        "email",
        "organization",
        "seats",
        "amount",
        "hold_expires_at",
        "refunds",
        "booking_link",
        "consent_at",
        "confirmed_at",
        "cancelled_at",
        "created_at",
    )
    readonly_fields = tuple(f for f in fields if f not in {"name", "email", "organization"})

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # bookings come through the API, where the seat rules live

    @admin.display(description="amount", ordering="amount_cents")
    def amount(self, enrollment: Enrollment) -> str:
        return (
            f"{format_amount(enrollment.amount_cents, enrollment.currency)} {enrollment.currency}"
        )

    @admin.display(description="refunds")
    def refunds(self, enrollment: Enrollment) -> str:
        rows = Refund.objects.filter(payment__enrollment=enrollment).order_by("id")
        return (
            "; ".join(
                f"{format_amount(r.amount_cents, r.currency)} {r.currency} "
                f"({r.get_reason_display()}, {r.status})"
                for r in rows
            )
            or "—"
        )

    @admin.display(description="booking page")
    def booking_link(self, enrollment: Enrollment) -> str:
        return format_html('<a href="{}">open</a>', booking_url(enrollment))

    @admin.action(description="Refund (full or partial amount)")
    def refund(self, request: HttpRequest, queryset: QuerySet[Enrollment]) -> HttpResponse | None:
        if queryset.count() != 1:
            self.message_user(request, "Choose one booking to refund at a time.", messages.WARNING)
            return None
        enrollment = queryset.get()
        refundable = refundable_cents(enrollment)
        form = RefundForm(
            request.POST if "apply" in request.POST else None,
            initial={"amount": minor_units_to_decimal(refundable, enrollment.currency)},
        )
        if form.is_valid():
            cents = decimal_to_minor_units(form.cleaned_data["amount"], enrollment.currency)
            try:
                enrollments.enrollment_refund(
                    enrollment_id=enrollment.pk, amount_cents=cents, created_by=request.user
                )
            except DomainError as error:
                fields = error.fields or {}
                for message in fields.get("amount", [error.message]):
                    form.add_error("amount", message)
            else:
                self.message_user(
                    request, f"Refund for {enrollment.reference} is on its way.", messages.SUCCESS
                )
                return None
        return TemplateResponse(
            request,
            "admin/enrollments/refund.html",
            {
                **self.admin_site.each_context(request),
                "title": f"Refund {enrollment.reference}",
                "enrollment": enrollment,
                "refundable": format_amount(refundable, enrollment.currency),
                "form": form,
                "opts": self.model._meta,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )

    @admin.action(description="Send the confirmation again")
    def resend_confirmation(self, request: HttpRequest, queryset: QuerySet[Enrollment]) -> None:
        sent = sum(
            enrollments.enrollment_resend_confirmation(enrollment_id=pk)
            for pk in queryset.values_list("pk", flat=True)
        )
        self.message_user(request, f"Confirmation queued again for {sent} booking(s).")

    @admin.action(description="Mark participants as attended")
    def mark_attended(self, request: HttpRequest, queryset: QuerySet[Enrollment]) -> None:
        count = enrollments.participants_mark_attended(
            enrollment_ids=queryset.values_list("pk", flat=True)
        )
        self.message_user(request, f"{count} participant(s) marked as attended.")


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
        return request.user.has_perm("enrollments.view_inquiry")


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
        return request.user.has_perm("enrollments.view_inquiry")


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


def csv_safe(value: object) -> str:
    """A cell a spreadsheet shows as text: never a formula (OWASP's CSV injection advice)."""
    text = "" if value is None else str(value)
    if text.startswith(("=", "+", "-", "@", "\t", "\r")):
        return "'" + text
    return text


def _when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment else ""


def _history(inquiry: Inquiry) -> str:
    steps = []
    for change in inquiry.status_changes.all():
        step = f"{change.from_status} → {change.to_status}" if change.from_status else "received"
        who = f" by {change.by.get_username()}" if change.by else ""
        steps.append(f"{_when(change.at)}: {step}{who}")
    return "; ".join(steps)


def inquiry_csv_row(inquiry: Inquiry) -> list[str]:
    # The message and the notes stay in the admin: a spreadsheet travels too easily.
    return [
        csv_safe(value)
        for value in [
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
            inquiry.team_size,
            inquiry.offering.slug if inquiry.offering else "",
            inquiry.preferred_dates,
            inquiry.assignee.get_username() if inquiry.assignee else "",
            _when(inquiry.anonymized_at),
            _history(inquiry),
        ]
    ]


class _Echo:
    """A file-like object that hands back what csv.writer writes, for streaming."""

    def write(self, value: str) -> str:
        return value


@admin.register(Inquiry)
class InquiryAdmin(admin.ModelAdmin[Inquiry]):
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
    actions = ["export_csv", "erase_personal_data"]
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

    @admin.action(description="Export the selected inquiries as CSV", permissions=["view"])
    def export_csv(
        self, request: HttpRequest, queryset: QuerySet[Inquiry]
    ) -> StreamingHttpResponse:
        writer = csv.writer(_Echo())
        inquiries = selectors.inquiries_with_history(queryset).iterator(chunk_size=500)

        def rows() -> Iterator[str]:
            yield writer.writerow(CSV_HEADER)
            for inquiry in inquiries:
                yield writer.writerow(inquiry_csv_row(inquiry))

        response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
        filename = f"inquiries-{timezone.now():%Y-%m-%d}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    @admin.action(
        description="Erase the personal data of the selected people", permissions=["delete"]
    )
    def erase_personal_data(
        self, request: HttpRequest, queryset: QuerySet[Inquiry]
    ) -> TemplateResponse | None:
        emails = sorted(
            {email.lower() for email in queryset.values_list("email", flat=True) if email}
        )
        if request.POST.get("confirmed") != "yes":
            everything = Inquiry.objects.none()
            for email in emails:
                everything |= Inquiry.objects.filter(email__iexact=email)
            context = {
                **self.admin_site.each_context(request),
                "title": "Erase personal data?",
                "opts": self.model._meta,
                "emails": emails,
                "inquiry_count": everything.count(),
                "selected": queryset.values_list("pk", flat=True),
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(
                request, "admin/enrollments/inquiry/erase_personal_data.html", context
            )
        user = _staff_user(request)
        erased = sum(inquiry_erase_for_email(email=email, by=user) for email in emails)
        self.message_user(
            request,
            f"Erased the personal data in {erased} inquiry(ies) from {len(emails)} person(s).",
            messages.SUCCESS,
        )
        return None


# --- Surveys --------------------------------------------------------------------------------


class SurveyQuestionInline(admin.TabularInline[SurveyQuestion, SurveyTemplate]):
    model = SurveyQuestion
    extra = 0
    fields = ["position", "key", "type", "text", "required", "choices"]
    ordering = ["position", "id"]


class OfferingSurveyInline(admin.TabularInline[OfferingSurvey, SurveyTemplate]):
    model = OfferingSurvey
    extra = 0
    autocomplete_fields = ["offering"]
    verbose_name = "offering that uses this template instead of the default"
    verbose_name_plural = "offerings that use this template instead of the default"


@admin.register(SurveyTemplate)
class SurveyTemplateAdmin(admin.ModelAdmin[SurveyTemplate]):
    list_display = ["name", "is_default", "question_count"]
    inlines = [SurveyQuestionInline, OfferingSurveyInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[SurveyTemplate]:
        return super().get_queryset(request).annotate(question_count=Count("questions"))

    @admin.display(description="questions", ordering="question_count")
    def question_count(self, template: SurveyTemplate) -> int:
        return template.question_count  # type: ignore[attr-defined]


class SubmittedFilter(admin.SimpleListFilter):
    title = "answered"
    parameter_name = "answered"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Answered"), ("no", "Not answered")]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[SurveyInvitation]
    ) -> QuerySet[SurveyInvitation]:
        if self.value() in ("yes", "no"):
            return queryset.filter(submitted_at__isnull=self.value() == "no")
        return queryset


def _csv_value(answer: SurveyAnswer) -> str:
    if answer.type == SurveyQuestion.Type.YES_NO:
        return "yes" if answer.yes else "no"
    return csv_safe(answer.value)


@admin.register(SurveyInvitation)
class SurveyInvitationAdmin(admin.ModelAdmin[SurveyInvitation]):
    change_list_template = "admin/enrollments/surveyinvitation/change_list.html"
    list_display = [
        "participant_name",
        "session",
        "invited_at",
        "reminded_at",
        "submitted_at",
        "flagged",
        "wants_guidance",
    ]
    list_filter = ["flagged", "wants_guidance", SubmittedFilter, "session__offering", "session"]
    search_fields = ["participant__name", "participant__email"]
    list_select_related = ["participant", "session__offering"]
    date_hierarchy = "invited_at"
    fields = readonly_fields = (
        "participant_name",
        "participant_email",
        "session",
        "results_link",
        "invited_at",
        "reminded_at",
        "submitted_at",
        "flagged",
        "wants_guidance",
        "answers_table",
    )

    # Invitations come from the job and answers from the person: the admin reads them.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: SurveyInvitation | None = None
    ) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: SurveyInvitation | None = None
    ) -> bool:
        return False

    @admin.display(description="participant", ordering="participant__name")
    def participant_name(self, invitation: SurveyInvitation) -> str:
        return invitation.participant.name

    @admin.display(description="email")
    def participant_email(self, invitation: SurveyInvitation) -> str:
        return invitation.participant.email

    @admin.display(description="results")
    def results_link(self, invitation: SurveyInvitation) -> str:
        url = reverse("admin:enrollments_surveyinvitation_results")
        return format_html(
            '<a href="{}?session={}">this session</a> · <a href="{}?offering={}">this offering</a>',
            url,
            invitation.session_id,
            url,
            invitation.session.offering_id,
        )

    @admin.display(description="answers")
    def answers_table(self, invitation: SurveyInvitation) -> str:
        answers = list(invitation.answers.all())
        if not answers:
            return "—"
        return format_html(
            "<table>{}</table>",
            format_html_join(
                "",
                "<tr><th>{}</th><td>{}</td></tr>",
                (
                    (a.question_text, "yes" if a.yes else "no")
                    if a.type == SurveyQuestion.Type.YES_NO
                    else (a.question_text, a.value)
                    for a in answers
                ),
            ),
        )

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path(
                "results/",
                view(self.results_view),
                name="enrollments_surveyinvitation_results",
            ),
            path(
                "results.csv",
                view(self.results_csv_view),
                name="enrollments_surveyinvitation_results_csv",
            ),
            *super().get_urls(),
        ]

    def _scope(self, request: HttpRequest) -> tuple[Session | None, Offering | None]:
        if not self.has_view_permission(request):
            raise PermissionDenied
        session = offering = None
        try:
            if request.GET.get("session"):
                session = Session.objects.select_related("offering").get(
                    pk=int(request.GET["session"])
                )
            if request.GET.get("offering"):
                offering = Offering.objects.get(pk=int(request.GET["offering"]))
        except (ValueError, Session.DoesNotExist, Offering.DoesNotExist) as unknown:
            raise Http404("No such session or offering.") from unknown
        return session, offering

    def results_view(self, request: HttpRequest) -> TemplateResponse:
        session, offering = self._scope(request)
        scope = str(session or offering or "all offerings")
        return TemplateResponse(
            request,
            "admin/enrollments/survey_results.html",
            {
                **self.admin_site.each_context(request),
                "title": f"Survey results: {scope}",
                "opts": self.model._meta,
                "session": session,
                "offering": offering,
                "results": selectors.survey_results(session=session, offering=offering),
                "sessions": []
                if session
                else selectors.survey_sessions(offering=offering)[:RESULTS_SESSIONS_SHOWN],
                "csv_query": request.GET.urlencode(),
            },
        )

    def results_csv_view(self, request: HttpRequest) -> StreamingHttpResponse:
        session, offering = self._scope(request)
        invitations = selectors.survey_invitations(session=session, offering=offering).filter(
            submitted_at__isnull=False
        )
        keys = list(
            dict.fromkeys(
                SurveyQuestion.objects.filter(template__in=invitations.values("template"))
                .order_by("-template__is_default", "template_id", "position", "id")
                .values_list("key", flat=True)
            )
        )
        # Answers to questions since removed from their template still get a column.
        keys += sorted(
            set(
                SurveyAnswer.objects.filter(invitation__in=invitations).values_list(
                    "key", flat=True
                )
            )
            - set(keys)
        )
        # Headers with spaces can never collide with a question key (a slug).
        header = [
            "invitation id",
            "offering title",
            "session title",
            "session starts at",
            "submitted at",
            "flagged for attention",
            *keys,
        ]

        def rows() -> Iterator[list[str]]:
            yield header
            for invitation in (
                invitations.select_related("session__offering")
                .prefetch_related("answers")
                .order_by("session__starts_at", "submitted_at", "id")
                .iterator(chunk_size=500)
            ):
                answers = {answer.key: answer for answer in invitation.answers.all()}
                yield [
                    str(invitation.pk),
                    csv_safe(invitation.session.offering.title),
                    csv_safe(invitation.session.display_title),
                    invitation.session.starts_at.isoformat(),
                    invitation.submitted_at.isoformat() if invitation.submitted_at else "",
                    "yes" if invitation.flagged else "no",
                    *(_csv_value(answers[key]) if key in answers else "" for key in keys),
                ]

        writer = csv.writer(_Echo())
        name = (
            f"session-{session.pk}" if session else f"offering-{offering.pk}" if offering else "all"
        )
        return StreamingHttpResponse(
            (writer.writerow(row) for row in rows()),
            content_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="survey-answers-{name}.csv"'},
        )
