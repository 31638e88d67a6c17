import json
from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html

from billing.models import Payment, Refund, StripeEvent
from config.admin_site import HistoryAdmin
from config.money import format_amount


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    """Records of what Stripe did: looked at, never edited by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


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

    @admin.display(description="amount")
    def amount(self, payment: Payment) -> str:
        return f"{format_amount(payment.amount_cents, payment.currency)} {payment.currency}"


@admin.register(Refund)
class RefundAdmin(HistoryAdmin, ReadOnlyAdmin):
    list_display = ["payment", "amount", "reason", "status", "created_by", "created_at"]
    list_filter = ["status", "reason"]
    search_fields = ["payment__payable_reference", "stripe_refund_id"]
    list_select_related = ["payment", "created_by"]

    @admin.display(description="amount")
    def amount(self, refund: Refund) -> str:
        return f"{format_amount(refund.amount_cents, refund.currency)} {refund.currency}"


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
