"""Organizations and proposals in the admin: one page shows an organization's whole
pipeline (inquiries, proposals, bookings, invoices and what is still open)."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django_countries import countries

from billing.tax import vat_id_fits
from config import dashboard
from config.admin_site import HistoryAdmin, PersonalDataAdmin
from config.errors import DomainError
from config.money import format_amount
from organizations import selectors, services
from organizations.models import Contact, Organization, Proposal, ProposalDateOption
from surveys.models import OrganizationReport


class OrganizationForm(forms.ModelForm[Organization]):
    class Meta:
        model = Organization
        fields = ["name", "address", "postal_code", "city", "country", "vat_id", "billing_email"]

    def clean_country(self) -> str:
        country = str(self.cleaned_data.get("country", "")).strip().upper()
        if country and countries.alpha2(country) != country:
            raise forms.ValidationError("Use the two-letter ISO 3166 code, such as NL or DE.")
        return country

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        vat_id = str(data.get("vat_id", "")).strip().upper().replace(" ", "")
        data["vat_id"] = vat_id
        if vat_id and not vat_id_fits(vat_id, str(data.get("country", ""))):
            self.add_error("vat_id", "This VAT ID doesn't fit the country's format.")
        return data


class ContactInline(admin.TabularInline[Contact, Organization]):
    model = Contact
    extra = 1
    fields = ["name", "email", "phone", "role"]


class ProposalInline(admin.TabularInline[Proposal, Organization]):
    model = Proposal
    extra = 0
    can_delete = False
    show_change_link = True
    fields = readonly_fields = ("reference", "offering", "status", "seats", "valid_until")

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Organization)
class OrganizationAdmin(HistoryAdmin, PersonalDataAdmin):
    form = OrganizationForm
    person_email_field = "billing_email"
    list_display = ["name", "city", "country", "vat_id", "proposals", "open_balance"]
    search_fields = ["name", "city", "vat_id", "contacts__name", "contacts__email"]
    inlines = [ContactInline, ProposalInline]
    readonly_fields = ["pipeline", "open_balance"]
    fieldsets = [
        (None, {"fields": ["name", "billing_email"]}),
        ("Billing address", {"fields": ["address", "postal_code", "city", "country", "vat_id"]}),
        ("Pipeline", {"fields": ["pipeline", "open_balance"]}),
    ]

    @admin.display(description="proposals")
    def proposals(self, organization: Organization) -> int:
        return organization.proposals.count()

    @admin.display(description="open balance")
    def open_balance(self, organization: Organization) -> str:
        owed = selectors.open_balance_cents(organization)
        return ", ".join(f"{format_amount(c, cur)} {cur}" for cur, c in owed.items()) or "—"

    @admin.display(description="inquiries, proposals, bookings and invoices")
    def pipeline(self, organization: Organization) -> str:
        if organization.pk is None:
            return "—"
        proposals = organization.proposals.select_related(
            "inquiry", "enrollment__session", "invoice"
        )
        rows = []
        for proposal in proposals:
            inquiry = proposal.inquiry
            booking = proposal.enrollment
            rows.append(
                (
                    _link("inquiries", "inquiry", inquiry, inquiry.reference if inquiry else "—"),
                    _link("organizations", "proposal", proposal, proposal.reference),
                    proposal.get_status_display(),
                    _link(
                        "enrollments", "enrollment", booking, booking.reference if booking else "—"
                    ),
                    booking.session.starts_at.date().isoformat() if booking else "",
                )
            )
        invoices = selectors.invoices_of_organization(organization).order_by("issued_at")
        bills = format_html_join(
            "",
            "<li>{} — {} {} ({})</li>",
            (
                (
                    _link("billing", "invoice", invoice, invoice.number),
                    format_amount(invoice.total_cents, invoice.currency),
                    invoice.currency,
                    invoice.get_status_display(),
                )
                for invoice in invoices
            ),
        )
        proposed = {proposal.inquiry_id for proposal in proposals}
        for inquiry in selectors.inquiries_of_organization(organization):
            if inquiry.pk not in proposed:
                rows.append(
                    (
                        _link("inquiries", "inquiry", inquiry, inquiry.reference),
                        "—",
                        inquiry.get_status_display(),
                        "—",
                        inquiry.created_at.date().isoformat(),
                    )
                )
        table = format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows
        )
        report = OrganizationReport.objects.filter(organization=organization).first()
        return format_html(
            "<table><tr><th>Inquiry</th><th>Proposal</th><th>Status</th><th>Booking</th>"
            "<th>Date</th></tr>{}</table><p>Invoices:</p><ul>{}</ul><p>Survey report: {}</p>",
            table,
            bills or mark_safe("<li>none yet</li>"),
            _link("surveys", "organizationreport", report, "see what they were sent")
            if report
            else "none yet (it comes when a session's survey closes)",
        )


def _link(app: str, model: str, record: Any, text: str) -> str:
    if record is None:
        return text
    return format_html(
        '<a href="{}">{}</a>', reverse(f"admin:{app}_{model}_change", args=[record.pk]), text
    )


class DateOptionInline(admin.TabularInline[ProposalDateOption, Proposal]):
    model = ProposalDateOption
    extra = 3
    fields = ["starts_at"]
    verbose_name = "time offered"
    verbose_name_plural = "times offered (start times; the offering's duration follows)"


@admin.register(Proposal)
class ProposalAdmin(HistoryAdmin, PersonalDataAdmin):
    person_email_field = "contact_email"
    list_display = [
        "reference",
        "organization",
        "offering",
        "status",
        "seats",
        "total",
        "valid_until",
        "created_at",
    ]
    list_filter = ["status", "offering", "created_at"]
    search_fields = ["reference", "organization__name", "contact_name", "contact_email"]
    list_select_related = ["organization", "offering"]
    autocomplete_fields = ["organization"]
    inlines = [DateOptionInline]
    actions = ["send", "withdraw", "erase_people", "export_people"]
    readonly_fields = [
        "reference",
        "status",
        "link",
        "total",
        "inquiry",
        "chosen_option",
        "payment",
        "po_number",
        "enrollment",
        "invoice",
        "decline_reason",
        "sent_at",
        "answered_at",
    ]
    fieldsets = [
        (None, {"fields": ["reference", "status", "link", "inquiry"]}),
        ("For", {"fields": ["organization", "contact_name", "contact_email", "language"]}),
        (
            "What and how much",
            {
                "fields": [
                    "offering",
                    "seats",
                    "pricing",
                    "price_cents",
                    "discount_percent",
                    "tax_rate",
                    "total",
                    "location",
                ]
            },
        ),
        ("Terms", {"fields": ["valid_until", "terms", "message"]}),
        (
            "The answer",
            {
                "fields": [
                    "chosen_option",
                    "payment",
                    "po_number",
                    "enrollment",
                    "invoice",
                    "decline_reason",
                    "sent_at",
                    "answered_at",
                ]
            },
        ),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Proposal | None = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.status != Proposal.Status.DRAFT:
            # Sent is sent: what the person read is what they accept.
            fields += [f.name for f in Proposal._meta.fields if f.name not in fields]
        return fields

    def has_delete_permission(self, request: HttpRequest, obj: Proposal | None = None) -> bool:
        return super().has_delete_permission(request, obj) and (
            obj is None or obj.status == Proposal.Status.DRAFT
        )

    def save_model(self, request: HttpRequest, obj: Proposal, form: Any, change: bool) -> None:
        if not change:
            obj.reference = services.new_proposal_reference()
            obj.token = services.new_proposal_token()
            obj.created_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)

    @admin.display(description="total")
    def total(self, proposal: Proposal) -> str:
        if proposal.pk is None:
            return "—"
        priced = services.proposal_priced(proposal)
        currency = proposal.offering.currency
        return f"{format_amount(sum(line.total_cents for line in priced), currency)} {currency}"

    @admin.display(description="link")
    def link(self, proposal: Proposal) -> str:
        if proposal.pk is None or proposal.status == Proposal.Status.DRAFT:
            return "— (sent proposals have a link)"
        return format_html('<a href="/proposals/{}/">the proposal\'s page</a>', proposal.token)

    @admin.action(description="Send (or send again) by email", permissions=["change"])
    def send(self, request: HttpRequest, queryset: QuerySet[Proposal]) -> None:
        for proposal in queryset:
            try:
                services.proposal_send(proposal_id=proposal.pk, by=request.user)
            except DomainError as error:
                problems = [str(m) for ms in (error.fields or {}).values() for m in ms]
                self.message_user(
                    request,
                    f"{proposal.reference} was not sent: {' '.join(problems) or error.message}",
                    messages.WARNING,
                )
            else:
                self.log_change(request, proposal, "Sent by email.")
                self.message_user(request, f"{proposal.reference} is sent.", messages.SUCCESS)

    @admin.action(description="Withdraw", permissions=["change"])
    def withdraw(self, request: HttpRequest, queryset: QuerySet[Proposal]) -> None:
        for proposal in queryset:
            try:
                services.proposal_withdraw(proposal_id=proposal.pk, by=request.user)
            except DomainError as error:
                self.message_user(
                    request, f"{proposal.reference}: {error.message}", messages.WARNING
                )
            else:
                self.log_change(request, proposal, "Withdrawn.")


def _for_whom(proposal: Proposal) -> str:
    # One person's proposal is named by what it is, not by who: the page may be on a screen.
    return proposal.organization.name if proposal.organization else "personal guidance"


def _proposals_out(user: Any) -> dashboard.Reading:
    out = Proposal.objects.filter(status=Proposal.Status.SENT).select_related("organization")
    return dashboard.reading(
        out.order_by("valid_until", "id"),
        lambda proposal: dashboard.Line(
            text=(
                f"{proposal.reference} · "
                f"{proposal.organization.name if proposal.organization else 'personal guidance'} · "
                f"valid until {proposal.valid_until:%d %b %Y}"
            ),
            url=reverse("admin:organizations_proposal_change", args=[proposal.pk]),
        ),
    )


dashboard.register(
    dashboard.Panel(
        key="proposals",
        title="Proposals awaiting an answer",
        permission="organizations.view_proposal",
        read=_proposals_out,
        list_url=lambda: reverse("admin:organizations_proposal_changelist") + "?status__exact=sent",
        empty="No proposal is waiting for an answer.",
        order=30,
    )
)
