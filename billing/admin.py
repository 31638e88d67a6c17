import json
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince

from billing.models import Invoice, InvoiceLine, InvoicePayment, Payment, Refund, StripeEvent
from billing.selectors import overdue_first
from billing.services.invoices import credit_note_issue, invoice_record_payment
from config import dashboard
from config.admin_site import HistoryAdmin, action_form
from config.csv_export import csv_response, log_export, moment_cell
from config.errors import DomainError
from config.money import decimal_to_minor_units, format_amount, minor_units_to_decimal


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    """Records of what Stripe did: looked at, never edited by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


# What was given back of each payment, failed refunds aside.
_refunded = Coalesce(
    Sum("refunds__amount_cents", filter=~Q(refunds__status=Refund.Status.FAILED)), Value(0)
)


@admin.register(Payment)
class PaymentAdmin(HistoryAdmin, ReadOnlyAdmin):
    list_display = [
        "payable_reference",
        "attempt",
        "flow",
        "status",
        "amount",
        "created_at",
        "succeeded_at",
    ]
    list_filter = ["status", "flow"]
    search_fields = [
        "payable_reference",
        "stripe_payment_intent_id",
        "stripe_checkout_session_id",
    ]
    # What lets a browser pay is no one's to read here.
    exclude = ["client_secret", "checkout_url"]
    actions = ["export_csv"]

    @admin.display(description="amount")
    def amount(self, payment: Payment) -> str:
        return f"{format_amount(payment.amount_cents, payment.currency)} {payment.currency}"

    @admin.action(description="Export the selected payments (CSV)", permissions=["view"])
    def export_csv(
        self, request: HttpRequest, queryset: QuerySet[Payment]
    ) -> StreamingHttpResponse:
        def rows() -> Iterator[list[object]]:
            yield [
                "reference", "attempt", "flow", "status", "currency", "amount", "refunded",
                "created_at", "succeeded_at", "stripe_payment_intent",
            ]  # fmt: skip
            for payment in queryset.annotate(refunded=_refunded).order_by("created_at", "pk"):
                yield [
                    payment.payable_reference,
                    payment.attempt,
                    payment.flow,
                    payment.status,
                    payment.currency,
                    minor_units_to_decimal(payment.amount_cents, payment.currency),
                    minor_units_to_decimal(payment.refunded, payment.currency),
                    moment_cell(payment.created_at),
                    moment_cell(payment.succeeded_at),
                    payment.stripe_payment_intent_id or "",
                ]

        log_export(request, queryset)
        return csv_response(rows(), filename=f"payments-{timezone.localdate():%Y-%m-%d}.csv")


@admin.register(Refund)
class RefundAdmin(HistoryAdmin, ReadOnlyAdmin):
    list_display = ["payment", "amount", "reason", "status", "created_by", "created_at"]
    list_filter = ["status", "reason"]
    search_fields = ["payment__payable_reference", "stripe_refund_id"]
    list_select_related = ["payment", "created_by"]

    actions = ["export_csv"]

    @admin.display(description="amount")
    def amount(self, refund: Refund) -> str:
        return f"{format_amount(refund.amount_cents, refund.currency)} {refund.currency}"

    @admin.action(description="Export the selected refunds (CSV)", permissions=["view"])
    def export_csv(self, request: HttpRequest, queryset: QuerySet[Refund]) -> StreamingHttpResponse:
        def rows() -> Iterator[list[object]]:
            yield [
                "reference", "reason", "status", "currency", "amount", "created_at",
                "succeeded_at", "by", "stripe_refund", "error",
            ]  # fmt: skip
            refunds = queryset.select_related("payment", "created_by")
            for refund in refunds.order_by("created_at", "pk"):
                yield [
                    refund.payment.payable_reference,
                    refund.reason,
                    refund.status,
                    refund.currency,
                    minor_units_to_decimal(refund.amount_cents, refund.currency),
                    moment_cell(refund.created_at),
                    moment_cell(refund.succeeded_at),
                    refund.created_by.get_username() if refund.created_by else "automatic",
                    refund.stripe_refund_id or "",
                    refund.last_error,
                ]

        log_export(request, queryset)
        return csv_response(rows(), filename=f"refunds-{timezone.localdate():%Y-%m-%d}.csv")


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    list_display = ["stripe_id", "type", "received_at", "processed_at", "result"]
    list_filter = ["type", "processed_at"]
    search_fields = ["stripe_id", "type"]
    fields = readonly_fields = (
        "stripe_id",
        "type",
        "received_at",
        "processed_at",
        "result",
        "pretty_payload",
    )

    @admin.display(description="payload")
    def pretty_payload(self, event: StripeEvent) -> str:
        return format_html("<pre>{}</pre>", json.dumps(event.payload, indent=2, sort_keys=True))


class InvoiceLineInline(admin.TabularInline[InvoiceLine, Invoice]):
    model = InvoiceLine
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "description",
        "quantity",
        "unit_price_cents",
        "tax_rate",
        "net_cents",
        "tax_cents",
        "total_cents",
        "tax_note",
    )

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class InvoicePaymentInline(admin.TabularInline[InvoicePayment, Invoice]):
    model = InvoicePayment
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "received_on",
        "method",
        "amount_cents",
        "reference",
        "recorded_by",
        "created_at",
    )

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class BankTransferForm(forms.Form):
    amount = forms.DecimalField(min_value=Decimal("0.01"), decimal_places=2, max_digits=12)
    received_on = forms.DateField(
        help_text="As on the bank statement (YYYY-MM-DD).",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    reference = forms.CharField(max_length=100, required=False, help_text="The bank's reference.")


class CreditNoteForm(forms.Form):
    amount = forms.DecimalField(
        min_value=Decimal("0.01"),
        decimal_places=2,
        max_digits=12,
        required=False,
        help_text="Leave empty to credit everything not yet credited.",
    )
    reason = forms.CharField(max_length=200)


@admin.register(Invoice)
class InvoiceAdmin(HistoryAdmin, ReadOnlyAdmin):
    """The legal record: read, paid, credited; never edited. Overdue ones come first."""

    list_display = [
        "number",
        "kind",
        "status",
        "buyer",
        "total",
        "open",
        "due_at",
        "issued_at",
        "payable_reference",
    ]
    list_filter = ["kind", "status", "reverse_charge", "issued_at"]
    search_fields = ["number", "buyer_name", "buyer_company", "payable_reference", "po_number"]
    date_hierarchy = "issued_at"
    list_select_related = ["refers_to"]
    inlines = [InvoiceLineInline, InvoicePaymentInline]
    actions = ["record_bank_transfer", "issue_credit_note", "export_csv", "export_tax_totals"]
    exclude = ["token", "payable_type", "payable_id"]
    readonly_fields = ["links"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Invoice]:
        return super().get_queryset(request).prefetch_related("credit_notes")

    def get_ordering(self, request: HttpRequest) -> Any:
        return overdue_first(now=timezone.now())  # a column clicked orders by it instead

    @admin.display(description="buyer")
    def buyer(self, invoice: Invoice) -> str:
        return invoice.buyer_company or invoice.buyer_name

    @admin.display(description="total")
    def total(self, invoice: Invoice) -> str:
        return f"{format_amount(invoice.total_cents, invoice.currency)} {invoice.currency}"

    @admin.display(description="open")
    def open(self, invoice: Invoice) -> str:
        if invoice.kind != Invoice.Kind.INVOICE:
            return ""
        late = invoice.status == Invoice.Status.OPEN and invoice.due_at < timezone.now()
        amount = f"{format_amount(max(invoice.open_cents, 0), invoice.currency)} {invoice.currency}"
        return f"{amount} (overdue)" if late else amount

    @admin.display(description="invoice")
    def links(self, invoice: Invoice) -> str:
        return format_html(
            '<a href="/invoices/{}/">page</a> · <a href="/invoices/{}.pdf">PDF</a>',
            invoice.token,
            invoice.token,
        )

    def has_mark_paid_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("billing.mark_invoice_paid")

    def has_issue_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("billing.issue_invoice")

    def _one(self, request: HttpRequest, queryset: QuerySet[Invoice], what: str) -> Invoice | None:
        invoices = list(queryset.filter(kind=Invoice.Kind.INVOICE)[:2])
        if len(invoices) != 1 or queryset.count() != 1:
            self.message_user(request, f"Choose one invoice to {what} at a time.", messages.WARNING)
            return None
        return invoices[0]

    def _form_page(
        self, request: HttpRequest, invoice: Invoice, form: forms.Form, action: str, title: str
    ) -> TemplateResponse:
        buyer = invoice.buyer_company or invoice.buyer_name
        open_amount = format_amount(max(invoice.open_cents, 0), invoice.currency)
        return action_form(
            self,
            request,
            obj=invoice,
            action=action,
            form=form,
            intro=f"Invoice {invoice.number} to {buyer}: {open_amount} {invoice.currency} open "
            "in all. Invoices are never edited: a transfer is recorded against it, a correction "
            "is a credit note.",
            title=f"{title} {invoice.number}",
        )

    @admin.action(description="Record a bank transfer", permissions=["mark_paid"])
    def record_bank_transfer(
        self, request: HttpRequest, queryset: QuerySet[Invoice]
    ) -> HttpResponse | None:
        invoice = self._one(request, queryset, "record a transfer for")
        if invoice is None:
            return None
        form = BankTransferForm(
            request.POST if "apply" in request.POST else None,
            initial={
                "amount": minor_units_to_decimal(max(invoice.open_cents, 0), invoice.currency),
                "received_on": timezone.localdate(),
            },
        )
        if form.is_valid():
            cents = decimal_to_minor_units(form.cleaned_data["amount"], invoice.currency)
            try:
                invoice_record_payment(
                    invoice_id=invoice.pk,
                    amount_cents=cents,
                    received_on=form.cleaned_data["received_on"],
                    reference=form.cleaned_data["reference"],
                    by=request.user,
                )
            except DomainError as error:
                for message in (error.fields or {}).get("amount", [error.message]):
                    form.add_error("amount", message)
            else:
                amount = f"{format_amount(cents, invoice.currency)} {invoice.currency}"
                self.log_change(request, invoice, f"Recorded a bank transfer of {amount}.")
                self.message_user(
                    request, f"{amount} recorded against {invoice.number}.", messages.SUCCESS
                )
                return None
        return self._form_page(request, invoice, form, "record_bank_transfer", "Bank transfer for")

    @admin.action(description="Issue a credit note", permissions=["issue"])
    def issue_credit_note(
        self, request: HttpRequest, queryset: QuerySet[Invoice]
    ) -> HttpResponse | None:
        invoice = self._one(request, queryset, "credit")
        if invoice is None:
            return None
        form = CreditNoteForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            amount = form.cleaned_data["amount"]
            note = credit_note_issue(
                invoice_id=invoice.pk,
                reason=form.cleaned_data["reason"],
                total_cents=decimal_to_minor_units(amount, invoice.currency) if amount else None,
                by=request.user,
            )
            if note is None:
                self.message_user(request, f"{invoice.number} has nothing left to credit.")
            else:
                self.log_change(request, invoice, f"Credited by {note.number}.")
                self.message_user(request, f"Credit note {note.number} issued.", messages.SUCCESS)
            return None
        return self._form_page(request, invoice, form, "issue_credit_note", "Credit note for")

    @admin.action(description="Export as CSV (for the bookkeeping)", permissions=["view"])
    def export_csv(
        self, request: HttpRequest, queryset: QuerySet[Invoice]
    ) -> StreamingHttpResponse:
        def rows() -> Iterator[list[object]]:
            yield [
                "number", "kind", "refers_to", "issued_on", "due_on", "status", "buyer",
                "buyer_company", "buyer_country", "buyer_vat_id", "po_number", "reference",
                "currency", "net", "tax", "total", "paid", "reverse_charge",
            ]  # fmt: skip
            for invoice in queryset.select_related("refers_to").order_by("issued_at", "pk"):
                currency = invoice.currency
                yield [
                    invoice.number,
                    invoice.kind,
                    invoice.refers_to.number if invoice.refers_to else "",
                    timezone.localdate(invoice.issued_at).isoformat(),
                    timezone.localdate(invoice.due_at).isoformat(),
                    invoice.status,
                    invoice.buyer_name,
                    invoice.buyer_company,
                    invoice.buyer_country,
                    invoice.buyer_vat_id,
                    invoice.po_number,
                    invoice.payable_reference,
                    invoice.currency,
                    *(
                        minor_units_to_decimal(cents, currency)
                        for cents in (
                            invoice.net_cents,
                            invoice.tax_cents,
                            invoice.total_cents,
                            invoice.paid_cents,
                        )
                    ),
                    "yes" if invoice.reverse_charge else "no",
                ]

        log_export(request, queryset)
        return csv_response(rows(), filename=f"invoices-{timezone.localdate():%Y-%m-%d}.csv")

    @admin.action(description="Export totals per tax rate per month", permissions=["view"])
    def export_tax_totals(
        self, request: HttpRequest, queryset: QuerySet[Invoice]
    ) -> StreamingHttpResponse:
        totals = (
            InvoiceLine.objects.filter(invoice__in=queryset)
            .annotate(month=TruncMonth("invoice__issued_at"))
            .values("month", "invoice__currency", "tax_rate", "tax_note")
            .annotate(net=Sum("net_cents"), tax=Sum("tax_cents"), total=Sum("total_cents"))
            .order_by("month", "invoice__currency", "-tax_rate", "tax_note")
        )

        def rows() -> Iterator[list[object]]:
            yield ["month", "currency", "tax_rate", "note", "net", "tax", "total"]
            for row in totals:
                currency = row["invoice__currency"]
                yield [
                    f"{row['month']:%Y-%m}",
                    currency,
                    row["tax_rate"],
                    row["tax_note"],
                    minor_units_to_decimal(row["net"], currency),
                    minor_units_to_decimal(row["tax"], currency),
                    minor_units_to_decimal(row["total"], currency),
                ]

        log_export(request, queryset, "Exported in the totals per tax rate.")
        return csv_response(rows(), filename=f"tax-totals-{timezone.localdate():%Y-%m-%d}.csv")


# Events Stripe sent that the worker has not applied in this long are news; younger ones are
# on their way.
EVENT_LATE = timedelta(minutes=15)


def _overdue_invoices(user: Any) -> dashboard.Reading:
    overdue = Invoice.objects.filter(
        kind=Invoice.Kind.INVOICE, status=Invoice.Status.OPEN, due_at__lt=timezone.now()
    )
    return dashboard.reading(
        overdue.order_by("due_at", "id"),
        lambda invoice: dashboard.Line(
            text=(
                f"{invoice.number} · {invoice.buyer_company or invoice.payable_reference} · "
                f"{format_amount(invoice.total_cents - invoice.paid_cents, invoice.currency)} "
                f"{invoice.currency} · due {timesince(invoice.due_at, depth=1)} ago"
            ),
            url=reverse("admin:billing_invoice_change", args=[invoice.pk]),
        ),
    )


def _events_not_applied(user: Any) -> dashboard.Reading:
    waiting = StripeEvent.objects.filter(
        processed_at=None, received_at__lt=timezone.now() - EVENT_LATE
    )
    return dashboard.reading(
        waiting.order_by("received_at", "id"),
        lambda event: dashboard.Line(
            text=f"{event.type} · received {timesince(event.received_at, depth=1)} ago",
            url=reverse("admin:billing_stripeevent_change", args=[event.pk]),
        ),
    )


def _failed_refunds(user: Any) -> dashboard.Reading:
    failed = Refund.objects.filter(status=Refund.Status.FAILED)
    return dashboard.reading(
        failed.order_by("-id"),
        lambda refund: dashboard.Line(
            text=(
                f"{format_amount(refund.amount_cents, refund.currency)} {refund.currency} · "
                f"{refund.get_reason_display()} · {refund.last_error[:80] or 'no reason given'}"
            ),
            url=reverse("admin:billing_refund_change", args=[refund.pk]),
        ),
    )


for panel in (
    dashboard.Panel(
        key="overdue-invoices",
        title="Overdue invoices",
        permission="billing.view_invoice",
        read=_overdue_invoices,
        list_url=lambda: reverse("admin:billing_invoice_changelist"),
        empty="No invoice is overdue.",
        order=40,
    ),
    dashboard.Panel(
        key="stripe-events",
        title="Stripe events not applied",
        permission="billing.view_stripeevent",
        read=_events_not_applied,
        list_url=lambda: reverse("admin:billing_stripeevent_changelist"),
        empty="Every event Stripe sent has been applied.",
        order=60,
    ),
    dashboard.Panel(
        key="failed-refunds",
        title="Refunds with errors",
        permission="billing.view_refund",
        read=_failed_refunds,
        list_url=lambda: reverse("admin:billing_refund_changelist") + "?status__exact=failed",
        empty="No refund has failed.",
        order=70,
    ),
):
    dashboard.register(panel)
