from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.contenttypes.admin import GenericTabularInline
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from billing.models import Payment
from billing.selectors import refundable_cents, refunds_of
from config.admin_site import HistoryAdmin, PersonalDataAdmin, action_form
from config.csv_export import csv_response, log_export, moment_cell
from config.errors import DomainError
from config.money import decimal_to_minor_units, format_amount, minor_units_to_decimal
from enrollments.forms import BookByHandForm, CancelSeatsForm, MoveForm
from enrollments.models import DiscountCode, DiscountRedemption, Enrollment, Participant
from enrollments.selectors import discount_of, roster_of
from enrollments.services import attendance, by_hand, cancellation, discounts, roster
from enrollments.services.emails import booking_url
from workshops.calendar import describe_when
from workshops.models import Session, known_zone
from workshops.selectors import leads_only_own_sessions, sessions_for_staff


class ParticipantInline(admin.TabularInline[Participant, Enrollment]):
    model = Participant
    extra = 0
    fields = ["name", "email", "attended"]
    readonly_fields = ["attended"]

    @admin.display(description="attendance")
    def attended(self, participant: Participant) -> str:
        return attendance_shown(participant)


class PaymentInline(GenericTabularInline):
    """The payments billing was asked to collect for this booking (its payable)."""

    model = Payment
    ct_field = "payable_type"
    ct_fk_field = "payable_id"
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

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description="amount")
    def amount(self, payment: Payment) -> str:
        return f"{format_amount(payment.amount_cents, payment.currency)} {payment.currency}"


class RefundForm(forms.Form):
    amount = forms.DecimalField(min_value=Decimal("0.01"), decimal_places=2, max_digits=12)


@admin.register(Enrollment)
class EnrollmentAdmin(HistoryAdmin, PersonalDataAdmin):
    list_display = ["reference", "name", "session", "seats", "status", "amount", "created_at"]
    list_filter = ["status", "session__offering", "created_at"]
    search_fields = ["reference", "name", "email", "organization", "participants__email"]
    list_select_related = ["session__offering"]
    date_hierarchy = "created_at"
    inlines = [ParticipantInline, PaymentInline]
    change_list_template = "admin/enrollments/enrollment/change_list.html"
    actions = [
        "refund",
        "move_to_session",
        "cancel_seats",
        "resend_confirmation",
        "export_csv",
        "erase_people",
        "export_people",
    ]
    fields = (
        "reference",
        "status",
        "session",
        "name",
        "email",
        "organization",
        "seats",
        "amount",
        "discount",
        "by_hand",
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

    @admin.display(description="discount code")
    def discount(self, enrollment: Enrollment) -> str:
        used = DiscountRedemption.objects.filter(enrollment=enrollment).select_related("code")
        redemption = used.first()
        if redemption is None:
            return "—"
        off = format_amount(redemption.amount_off_cents, enrollment.currency)
        back = ", use given back" if redemption.given_back_at else ""
        return f"{redemption.code.code}: {off} {enrollment.currency} off{back}"

    @admin.display(description="refunds")
    def refunds(self, enrollment: Enrollment) -> str:
        rows = refunds_of(enrollment).order_by("id")
        return (
            "; ".join(
                f"{format_amount(r.amount_cents, r.currency)} {r.currency} "
                f"({r.get_reason_display()}, {r.status})"
                for r in rows
            )
            or "—"
        )

    def get_fields(self, request: HttpRequest, obj: Enrollment | None = None) -> Any:
        fields = super().get_fields(request, obj)
        if self.has_change_permission(request, obj):
            return fields
        # The booking page's link is a key to the booking: only for those who may change it.
        return [field for field in fields if field != "booking_link"]

    @admin.display(description="booking page")
    def booking_link(self, enrollment: Enrollment) -> str:
        return format_html('<a href="{}">open</a>', booking_url(enrollment))

    def has_refund_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("enrollments.refund_enrollment")

    @admin.action(description="Refund (full or partial amount)", permissions=["refund"])
    def refund(self, request: HttpRequest, queryset: QuerySet[Enrollment]) -> HttpResponse | None:
        enrollment = self._one(request, queryset)
        if enrollment is None:
            return None
        refundable = refundable_cents(enrollment)
        form = RefundForm(
            request.POST if "apply" in request.POST else None,
            initial={"amount": minor_units_to_decimal(refundable, enrollment.currency)},
        )
        if form.is_valid():
            cents = decimal_to_minor_units(form.cleaned_data["amount"], enrollment.currency)
            try:
                cancellation.enrollment_refund(
                    enrollment_id=enrollment.pk, amount_cents=cents, created_by=request.user
                )
            except DomainError as error:
                fields = error.fields or {}
                for message in fields.get("amount", [error.message]):
                    form.add_error("amount", message)
            else:
                amount = f"{format_amount(cents, enrollment.currency)} {enrollment.currency}"
                self.log_change(request, enrollment, f"Refunded {amount}.")
                self.message_user(
                    request, f"Refund for {enrollment.reference} is on its way.", messages.SUCCESS
                )
                return None
        intro = (
            f"{enrollment.name} paid for {enrollment.seats} seat(s) in {enrollment.session}. "
            f"Up to {format_amount(refundable, enrollment.currency)} {enrollment.currency} can "
            "still be refunded. A full refund releases the seats and offers them to the "
            "waitlist."
        )
        return self._action_form(request, enrollment, "refund", form, intro, "Refund")

    def _action_form(
        self,
        request: HttpRequest,
        enrollment: Enrollment,
        action: str,
        form: forms.Form,
        intro: str,
        button: str,
    ) -> TemplateResponse:
        return action_form(
            self,
            request,
            obj=enrollment,
            action=action,
            form=form,
            intro=intro,
            title=f"{button}: {enrollment.reference}",
            button=button,
        )

    def _one(self, request: HttpRequest, queryset: QuerySet[Enrollment]) -> Enrollment | None:
        if queryset.count() != 1:
            self.message_user(request, "Choose one booking at a time.", messages.WARNING)
            return None
        return queryset.select_related("session__offering").get()

    def has_book_by_hand_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("enrollments.add_enrollment")

    def get_urls(self) -> list[Any]:
        by_hand = self.admin_site.admin_view(self.book_by_hand_view)
        return [
            path("by-hand/", by_hand, name="enrollments_enrollment_by_hand"),
            *super().get_urls(),
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        may_book = self.has_book_by_hand_permission(request)
        return super().changelist_view(request, {**(extra_context or {}), "may_book": may_book})

    def book_by_hand_view(self, request: HttpRequest) -> HttpResponse:
        """A booking taken on the phone, or a complimentary seat (DESIGN.md, the practice's
        day): the same seat rules and emails as one made online."""
        if not self.has_book_by_hand_permission(request):
            raise PermissionDenied
        sessions = sessions_for_staff(request.user)
        initial = {"session": request.GET.get("session")} if request.GET.get("session") else {}
        form = BookByHandForm(
            request.POST if request.method == "POST" else None, sessions=sessions, initial=initial
        )
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            complimentary = data["way"] == BookByHandForm.COMPLIMENTARY
            try:
                enrollment = by_hand.booking_by_hand(
                    session_id=data["session"].pk,
                    name=data["name"],
                    email=data["email"],
                    organization=data["organization"],
                    seats=data["seats"],
                    participants=data["participants"],
                    language=data["language"],
                    complimentary=complimentary,
                )
            except DomainError as error:
                for field, problems in (error.fields or {"session": [str(error.message)]}).items():
                    for problem in problems:
                        form.add_error(field if field in form.fields else None, str(problem))
            else:
                how = "a complimentary seat" if complimentary else "payment link sent"
                self.log_addition(request, enrollment, f"Booked by hand ({how}).")
                done = (
                    "confirmed; the confirmation is on its way"
                    if enrollment.status == Enrollment.Status.CONFIRMED
                    else "held; the payment link is on its way"
                )
                self.message_user(request, f"{enrollment.reference} {done}.", messages.SUCCESS)
                return HttpResponseRedirect(
                    reverse("admin:enrollments_enrollment_change", args=[enrollment.pk])
                )
        return TemplateResponse(
            request,
            "admin/enrollments/enrollment/by_hand.html",
            {
                **self.admin_site.each_context(request),
                "title": "Book by hand",
                "form": form,
                "opts": self.model._meta,
            },
        )

    @admin.action(description="Move to another date of the same offering", permissions=["change"])
    def move_to_session(
        self, request: HttpRequest, queryset: QuerySet[Enrollment]
    ) -> HttpResponse | None:
        enrollment = self._one(request, queryset)
        if enrollment is None:
            return None
        form = MoveForm(
            request.POST if "apply" in request.POST else None,
            enrollment=enrollment,
        )
        if form.is_valid():
            try:
                moved, difference = by_hand.enrollment_transfer(
                    enrollment_id=enrollment.pk,
                    to_session_id=form.cleaned_data["session"].pk,
                    by=request.user,
                )
            except DomainError as error:
                for problems in (error.fields or {"session": [str(error.message)]}).values():
                    for problem in problems:
                        form.add_error("session", str(problem))
            else:
                money = format_amount(abs(difference), moved.currency)
                settled = (
                    f"; {money} {moved.currency} refunded" if difference < 0
                    else f"; {money} {moved.currency} invoiced" if difference > 0
                    else ""
                )  # fmt: skip
                self.log_change(request, moved, f"Moved to {moved.session}{settled}.")
                self.message_user(
                    request,
                    f"{moved.reference} moved to {moved.session}{settled}; everyone on it is told.",
                    messages.SUCCESS,
                )
                return None
        intro = (
            f"{enrollment.reference}: {enrollment.seats} seat(s) in {enrollment.session}. "
            "A cheaper date refunds the difference; a dearer one invoices it (the invoice's "
            "page takes a card or a bank transfer). Everyone on the booking is told, with "
            "calendar files for both dates."
        )
        return self._action_form(request, enrollment, "move_to_session", form, intro, "Move")

    @admin.action(description="Give up some seats (refund by the policy)", permissions=["change"])
    def cancel_seats(
        self, request: HttpRequest, queryset: QuerySet[Enrollment]
    ) -> HttpResponse | None:
        enrollment = self._one(request, queryset)
        if enrollment is None:
            return None
        form = CancelSeatsForm(
            request.POST if "apply" in request.POST else None, enrollment=enrollment
        )
        if form.is_valid():
            try:
                changed, refund = by_hand.enrollment_cancel_seats(
                    enrollment_id=enrollment.pk,
                    seats=form.cleaned_data["seats"],
                    taken_off=[p.pk for p in form.cleaned_data["taken_off"]],
                    by=request.user,
                )
            except DomainError as error:
                for field, problems in (error.fields or {"seats": [str(error.message)]}).items():
                    for problem in problems:
                        form.add_error(field if field in form.fields else None, str(problem))
            else:
                money = f"{format_amount(refund, changed.currency)} {changed.currency}"
                self.log_change(
                    request,
                    changed,
                    f"Gave up {form.cleaned_data['seats']} seat(s); {money} refunded.",
                )
                self.message_user(
                    request,
                    f"{changed.reference} now has {changed.seats} seat(s); {money} refunded.",
                    messages.SUCCESS,
                )
                return None
        terms = cancellation.cancellation_terms(enrollment)
        until = timezone.localtime(terms.full_refund_until).strftime("%d %b %Y %H:%M")
        intro = (
            f"{enrollment.reference}: {enrollment.seats} seat(s) in {enrollment.session}. "
            f"Seats given up until {until} are refunded their share in full; after that, "
            "nothing (a refund beyond the policy is the Refund action's). The seats are "
            "offered to the waitlist."
        )
        return self._action_form(request, enrollment, "cancel_seats", form, intro, "Give up seats")

    @admin.action(description="Export the selected bookings (CSV)", permissions=["view"])
    def export_csv(
        self, request: HttpRequest, queryset: QuerySet[Enrollment]
    ) -> StreamingHttpResponse:
        def rows() -> Iterator[list[object]]:
            yield [
                "reference", "status", "offering", "session_starts", "time_zone", "seats",
                "currency", "amount", "discount_code", "discount", "name", "email",
                "organization", "language", "booked_at", "confirmed_at", "cancelled_at",
            ]  # fmt: skip
            bookings = queryset.select_related("session__offering", "discount__code")
            for booking in bookings.order_by("created_at", "pk").iterator(chunk_size=500):
                session, used = booking.session, discount_of(booking)
                zone = known_zone(session.timezone)
                yield [
                    booking.reference,
                    booking.status,
                    session.offering.title,
                    timezone.localtime(session.starts_at, zone).isoformat(timespec="minutes"),
                    session.timezone,
                    booking.seats,
                    booking.currency,
                    minor_units_to_decimal(booking.amount_cents, booking.currency),
                    used.code.code if used else "",
                    minor_units_to_decimal(used.amount_off_cents if used else 0, booking.currency),
                    booking.name,
                    booking.email,
                    booking.organization,
                    booking.language,
                    *(
                        timezone.localtime(moment).isoformat(timespec="seconds") if moment else ""
                        for moment in (
                            booking.created_at,
                            booking.confirmed_at,
                            booking.cancelled_at,
                        )
                    ),
                ]

        log_export(request, queryset)  # whose details left the admin, by whom, when
        return csv_response(rows(), filename=f"bookings-{timezone.localdate():%Y-%m-%d}.csv")

    @admin.action(description="Send the confirmation again", permissions=["change"])
    def resend_confirmation(self, request: HttpRequest, queryset: QuerySet[Enrollment]) -> None:
        sent = 0
        for enrollment in queryset:
            if roster.enrollment_resend_confirmation(enrollment_id=enrollment.pk):
                self.log_change(request, enrollment, "Sent the confirmation again.")
                sent += 1
        self.message_user(request, f"Confirmation queued again for {sent} booking(s).")


def attendance_shown(participant: Participant) -> str:
    """A participant's attendance as the roster says it: "Part of the session (45 min)"."""
    shown = participant.get_attendance_display()
    if participant.attendance == Participant.Attendance.PARTIAL:
        return f"{shown} ({participant.minutes_attended} min)"
    return shown


class RosterForm(forms.Form):
    """One row per participant: their attendance, and the minutes when it was part of it."""

    def __init__(self, *args: Any, participants: list[Participant], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.participants = participants
        for participant in participants:
            self.fields[f"attendance_{participant.pk}"] = forms.ChoiceField(
                label=f"Attendance of {participant.name}",
                choices=Participant.Attendance.choices,
                required=False,
                widget=forms.RadioSelect,
                initial=participant.attendance,
            )
            self.fields[f"minutes_{participant.pk}"] = forms.IntegerField(
                label=f"Minutes {participant.name} attended",
                required=False,
                min_value=1,
                initial=participant.minutes_attended,
                widget=forms.NumberInput(attrs={"size": 4, "class": "roster-minutes"}),
            )

    def rows(self) -> list[tuple[Participant, forms.BoundField, forms.BoundField]]:
        return [(p, self[f"attendance_{p.pk}"], self[f"minutes_{p.pk}"]) for p in self.participants]

    def marks(self) -> dict[int, attendance.Mark]:
        marks = {}
        for participant in self.participants:
            kind = self.cleaned_data[f"attendance_{participant.pk}"] or ""
            minutes = self.cleaned_data[f"minutes_{participant.pk}"]
            # Minutes typed beside another choice are left over from a change of mind.
            keep_minutes = kind == Participant.Attendance.PARTIAL
            marks[participant.pk] = attendance.Mark(kind, minutes if keep_minutes else None)
        return marks


def attendance_rows(participants: QuerySet[Participant], *, emails: bool) -> Iterator[list[object]]:
    """The attendance export: a row per participant, their session in its own time zone.
    Without `emails` (a facilitator's), names only."""
    yield [
        "session", "offering", "session_starts", "time_zone", "booking", "name",
        *(["email"] if emails else []), "organization", "attendance", "minutes_attended",
        "marked_at",
    ]  # fmt: skip
    rows = participants.select_related("enrollment__session__offering")
    for participant in rows.order_by("enrollment__session__starts_at", "name", "pk"):
        enrollment = participant.enrollment
        session = enrollment.session
        starts = timezone.localtime(session.starts_at, known_zone(session.timezone))
        yield [
            session.pk,
            session.offering.title,
            starts.isoformat(timespec="minutes"),
            session.timezone,
            enrollment.reference,
            participant.name,
            *([participant.email] if emails else []),
            enrollment.organization,
            participant.attendance,
            participant.minutes_attended if participant.minutes_attended is not None else "",
            moment_cell(participant.attendance_marked_at),
        ]


@admin.register(Participant)
class ParticipantAdmin(PersonalDataAdmin):
    """Who attends each session, and whether they came. Coordinators see every session's;
    a facilitator the sessions they lead, by name only. Attendance is marked on a session's
    roster (`roster/<session>/`), printable and as CSV."""

    list_display = ["name", "session", "attendance_column"]
    list_filter = ["attendance", "enrollment__session__offering"]
    search_fields = ["name"]
    list_select_related = ["enrollment__session__offering"]
    fields = readonly_fields = ("name", "session", "attendance_column", "roster_link")
    actions = ["export_csv", "erase_people", "export_people"]
    ordering = ["-enrollment__session__starts_at", "name", "id"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Participant]:
        sessions = sessions_for_staff(request.user)
        return (
            super()
            .get_queryset(request)
            .filter(
                enrollment__status=Enrollment.Status.CONFIRMED, enrollment__session__in=sessions
            )
        )

    def get_list_display(self, request: HttpRequest) -> Any:
        return [*super().get_list_display(request), "roster_link"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # people are named on their booking

    def has_delete_permission(self, request: HttpRequest, obj: Participant | None = None) -> bool:
        return False

    def get_urls(self) -> list[Any]:
        roster = self.admin_site.admin_view(self.roster_view)
        return [
            path("roster/<int:session_id>/", roster, name="enrollments_participant_roster"),
            path(
                "roster/<int:session_id>/<str:shape>/",
                roster,
                name="enrollments_participant_roster_as",
            ),
            *super().get_urls(),
        ]

    @admin.display(description="session", ordering="enrollment__session__starts_at")
    def session(self, participant: Participant) -> str:
        return str(participant.enrollment.session)

    @admin.display(description="attendance", ordering="attendance")
    def attendance_column(self, participant: Participant) -> str:
        return attendance_shown(participant)

    @admin.display(description="roster")
    def roster_link(self, participant: Participant) -> str:
        url = reverse(
            "admin:enrollments_participant_roster", args=[participant.enrollment.session_id]
        )
        return format_html('<a href="{}">roster of the session</a>', url)

    def _sees_emails(self, request: HttpRequest) -> bool:
        return not leads_only_own_sessions(request.user)

    @admin.action(description="Export attendance of the selected (CSV)", permissions=["view"])
    def export_csv(
        self, request: HttpRequest, queryset: QuerySet[Participant]
    ) -> StreamingHttpResponse:
        log_export(request, queryset, "Exported its attendance as CSV.")
        rows = attendance_rows(queryset, emails=self._sees_emails(request))
        return csv_response(rows, filename=f"attendance-{timezone.localdate():%Y-%m-%d}.csv")

    def roster_view(
        self, request: HttpRequest, session_id: int, shape: str = ""
    ) -> HttpResponse | StreamingHttpResponse:
        """A session's roster: marked here (POST), printed (`print/`) or downloaded (`csv/`)."""
        session = (
            sessions_for_staff(request.user, Session.objects.select_related("offering"))
            .filter(pk=session_id)
            .first()
        )
        if (
            session is None
            or not self.has_view_permission(request)
            or shape not in {"", "print", "csv"}
        ):
            raise Http404("No such session on your rosters.")
        participants = roster_of(session.pk)
        emails = self._sees_emails(request)
        if shape == "csv":
            log_export(request, participants, "Exported its attendance as CSV.")
            return csv_response(
                attendance_rows(participants, emails=emails),
                filename=f"roster-{session.pk}-{session.starts_at:%Y-%m-%d}.csv",
            )
        may_mark = self.has_change_permission(request)
        if request.method == "POST" and not may_mark:
            raise PermissionDenied
        people = list(participants)
        form = RosterForm(request.POST if request.method == "POST" else None, participants=people)
        if form.is_bound and form.is_valid():
            try:
                changed = attendance.attendance_mark(session_id=session.pk, marks=form.marks())
            except DomainError as error:
                for participant_id, problems in (error.fields or {}).items():
                    for problem in problems:
                        form.add_error(f"attendance_{participant_id}", problem)
            else:
                for participant in changed:
                    shown = attendance_shown(participant)
                    self.log_change(request, participant, f"Attendance: {shown}.")
                self.message_user(
                    request, f"Attendance kept for {len(changed)} participant(s).", messages.SUCCESS
                )
                return HttpResponseRedirect(request.path)
        with timezone.override(known_zone(session.timezone)):
            return TemplateResponse(
                request,
                "admin/enrollments/roster_print.html" if shape else "admin/enrollments/roster.html",
                {
                    **self.admin_site.each_context(request),
                    "title": f"Roster: {session}",
                    "session": session,
                    "when": describe_when(session),
                    "form": form,
                    "emails": emails,
                    "may_mark": may_mark,
                    "counts": {
                        kind or "not_taken": count
                        for kind, count in Counter(p.attendance for p in people).items()
                    },
                    "seats": sum({p.enrollment_id: p.enrollment.seats for p in people}.values()),
                    "opts": self.model._meta,
                },
            ).render()


class DiscountCodeForm(forms.ModelForm[DiscountCode]):
    """The code as people will type it: kept in capitals; its amount in the currency's units."""

    amount_off = forms.DecimalField(
        required=False,
        min_value=Decimal("0.01"),
        decimal_places=2,
        max_digits=12,
        help_text="For an amount off: e.g. 25.00, off each booking (never below zero).",
    )

    class Meta:
        model = DiscountCode
        fields = [
            "code",
            "label",
            "kind",
            "percent_off",
            "currency",
            "offerings",
            "valid_from",
            "valid_until",
            "max_uses",
            "max_uses_per_email",
            "is_active",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        code = self.instance
        if code.pk and code.amount_off_cents:
            self.initial["amount_off"] = minor_units_to_decimal(
                code.amount_off_cents, code.currency
            )

    def clean_code(self) -> str:
        code = discounts.normalized(self.cleaned_data["code"])
        if len(code) < discounts.MIN_LENGTH or not all(c.isalnum() or c in "-_" for c in code):
            raise forms.ValidationError(
                f"At least {discounts.MIN_LENGTH} letters or digits (a dash or underscore may "
                "join them), so that it cannot be guessed by chance."
            )
        taken = DiscountCode.objects.filter(code=code).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError("There is a code written like this already.")
        return code

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind = cleaned.get("kind")
        if kind == DiscountCode.Kind.PERCENT:
            if not cleaned.get("percent_off") or not 1 <= cleaned["percent_off"] <= 100:
                self.add_error("percent_off", "Give the percentage off, from 1 to 100.")
            cleaned["amount_off"] = None
        elif kind == DiscountCode.Kind.AMOUNT:
            if not cleaned.get("amount_off"):
                self.add_error("amount_off", "Give the amount off, e.g. 25.00.")
            cleaned["percent_off"] = None
        begins, ends = cleaned.get("valid_from"), cleaned.get("valid_until")
        if begins and ends and ends <= begins:
            self.add_error("valid_until", "The code must stop being valid after it starts.")
        return cleaned

    def save(self, commit: bool = True) -> DiscountCode:
        code = super().save(commit=False)
        code.percent_off = self.cleaned_data.get("percent_off")
        amount = self.cleaned_data.get("amount_off")
        code.amount_off_cents = (
            decimal_to_minor_units(amount, code.currency) if amount is not None else None
        )
        if commit:
            code.save()
            self.save_m2m()
        return code


class RedemptionInline(admin.TabularInline[DiscountRedemption, DiscountCode]):
    """The bookings it was used on, by reference: whose they are, the booking says."""

    model = DiscountRedemption
    extra = 0
    can_delete = False
    fields = readonly_fields = ("booking", "amount_off", "created_at", "given_back_at")

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description="booking")
    def booking(self, redemption: DiscountRedemption) -> str:
        enrollment = redemption.enrollment
        return f"{enrollment.reference} ({enrollment.get_status_display()})"

    @admin.display(description="off")
    def amount_off(self, redemption: DiscountRedemption) -> str:
        currency = redemption.enrollment.currency
        return f"{format_amount(redemption.amount_off_cents, currency)} {currency}"


@admin.register(DiscountCode)
class DiscountCodeAdmin(HistoryAdmin):
    form = DiscountCodeForm
    list_display = ["code", "label", "takes_off", "uses", "valid_from", "valid_until", "is_active"]
    list_filter = ["is_active", "kind", "offerings"]
    search_fields = ["code", "label"]
    filter_horizontal = ["offerings"]
    inlines = [RedemptionInline]
    actions = ["deactivate"]
    fieldsets = [
        (None, {"fields": ["code", "label", "is_active"]}),
        ("How much", {"fields": ["kind", "percent_off", "amount_off", "currency"]}),
        (
            "For what, and when",
            {
                "fields": ["offerings", "valid_from", "valid_until"],
                "description": "No offerings chosen: it applies to every offering.",
            },
        ),
        ("How often", {"fields": ["max_uses", "max_uses_per_email"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[DiscountCode]:
        return (
            super()
            .get_queryset(request)
            .annotate(in_use=Count("redemptions", filter=Q(redemptions__given_back_at=None)))
        )

    @admin.display(description="takes off")
    def takes_off(self, code: DiscountCode) -> str:
        if code.kind == DiscountCode.Kind.PERCENT:
            return f"{code.percent_off}%"
        return f"{format_amount(code.amount_off_cents or 0, code.currency)} {code.currency}"

    @admin.display(description="uses", ordering="in_use")
    def uses(self, code: DiscountCode) -> str:
        used = code.in_use  # type: ignore[attr-defined]
        return f"{used} of {code.max_uses}" if code.max_uses is not None else str(used)

    @admin.action(description="Deactivate the selected codes", permissions=["change"])
    def deactivate(self, request: HttpRequest, queryset: QuerySet[DiscountCode]) -> None:
        changed = discounts.discount_codes_deactivate(
            code_ids=queryset.values_list("pk", flat=True)
        )
        for code in changed:
            self.log_change(request, code, "Deactivated.")
        self.message_user(request, "The selected codes can no longer be used.", messages.SUCCESS)
