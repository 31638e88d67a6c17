"""The invoice as the holder of its link reads it (DESIGN.md, Organizations, invoices)."""

from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_stubs_ext import StrOrPromise
from rest_framework import serializers

from billing.models import Invoice
from billing.tax import vat_id_fits
from config.money import format_amount
from enrollments.serializers import PaymentOutput
from workshops.serializers import MoneyField


class PartyOutput(serializers.Serializer[Any]):
    name = serializers.CharField()
    company = serializers.CharField(required=False)
    address = serializers.CharField()
    postal_code = serializers.CharField(required=False)
    city = serializers.CharField(required=False)
    country = serializers.CharField()
    vat_id = serializers.CharField()


class InvoiceLineOutput(serializers.Serializer[Any]):
    description = serializers.CharField()
    quantity = serializers.IntegerField()
    unit_price = MoneyField()
    tax_rate = serializers.CharField(help_text='Percent, such as "21.00".')
    tax_note = serializers.CharField()
    net = MoneyField()
    tax = MoneyField()
    total = MoneyField()


class InvoiceOutput(serializers.Serializer[Any]):
    number = serializers.CharField()
    kind = serializers.ChoiceField(choices=Invoice.Kind.choices)
    status = serializers.ChoiceField(choices=Invoice.Status.choices)
    issued_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField()
    seller = PartyOutput()
    buyer = PartyOutput()
    po_number = serializers.CharField()
    lines = InvoiceLineOutput(many=True)
    net = MoneyField()
    tax = MoneyField()
    total = MoneyField()
    paid = MoneyField()
    open = MoneyField()
    currency = serializers.CharField()
    reverse_charge = serializers.BooleanField()
    notes = serializers.CharField()
    refers_to = serializers.CharField(
        allow_null=True, help_text="The number a credit note corrects."
    )
    pdf_url = serializers.URLField()
    pay_url = serializers.URLField(allow_null=True)

    @staticmethod
    def build(invoice: Invoice) -> dict[str, Any]:
        money = lambda cents: format_amount(cents, invoice.currency)  # noqa: E731
        link = f"{settings.SITE_URL}/api/v1/invoices/{invoice.token}"
        payable = invoice.kind == Invoice.Kind.INVOICE and invoice.status == Invoice.Status.OPEN
        return {
            "number": invoice.number,
            "kind": invoice.kind,
            "status": invoice.status,
            "issued_at": invoice.issued_at,
            "due_at": invoice.due_at,
            "seller": {
                "name": invoice.seller_name,
                "address": invoice.seller_address,
                "country": invoice.seller_country,
                "vat_id": invoice.seller_vat_id,
            },
            "buyer": {
                "name": invoice.buyer_name,
                "company": invoice.buyer_company,
                "address": invoice.buyer_address,
                "postal_code": invoice.buyer_postal_code,
                "city": invoice.buyer_city,
                "country": invoice.buyer_country,
                "vat_id": invoice.buyer_vat_id,
            },
            "po_number": invoice.po_number,
            "lines": [
                {
                    "description": line.description,
                    "quantity": line.quantity,
                    "unit_price": money(line.unit_price_cents),
                    "tax_rate": f"{line.tax_rate:.2f}",
                    "tax_note": line.tax_note,
                    "net": money(line.net_cents),
                    "tax": money(line.tax_cents),
                    "total": money(line.total_cents),
                }
                for line in invoice.lines.all()
            ],
            "net": money(invoice.net_cents),
            "tax": money(invoice.tax_cents),
            "total": money(invoice.total_cents),
            "paid": money(invoice.paid_cents),
            "open": money(max(invoice.open_cents, 0)),
            "currency": invoice.currency,
            "reverse_charge": invoice.reverse_charge,
            "notes": invoice.notes,
            "refers_to": invoice.refers_to.number if invoice.refers_to else None,
            "pdf_url": f"{settings.SITE_URL}/invoices/{invoice.token}.pdf",
            "pay_url": f"{link}/pay/" if payable else None,
        }


InvoicePaymentOutput = PaymentOutput


def _text(what: StrOrPromise, longest: int, too_long: StrOrPromise) -> serializers.CharField:
    return serializers.CharField(
        max_length=longest,
        error_messages={
            "required": what,
            "blank": what,
            "null": what,
            "invalid": what,
            "max_length": too_long,
        },
    )


class BillingInput(serializers.Serializer[Any]):
    """Who an invoice is made out to, as a business buyer gives it (the booking page, and
    accepting a proposal). Every field is checked with a kind sentence."""

    company = _text(
        _("Please give the organization's name, as the invoice should show it."),
        200,
        _("Please keep the organization's name to 200 characters."),
    )
    address = _text(
        _("Please give the street and number for the invoice."),
        300,
        _("Please keep the address to 300 characters."),
    )
    postal_code = _text(
        _("Please give the postal code."), 20, _("Please keep the postal code to 20 characters.")
    )
    city = _text(_("Please give the city."), 100, _("Please keep the city to 100 characters."))
    country = serializers.CharField(
        max_length=2,
        min_length=2,
        help_text="ISO 3166 country code, such as NL or DE.",
        error_messages={
            key: _("Please give the country as its two-letter code, such as NL, BE or DE.")
            for key in ("required", "blank", "null", "invalid", "max_length", "min_length")
        },
    )
    vat_id = serializers.CharField(
        max_length=20,
        required=False,
        allow_blank=True,
        default="",
        error_messages={
            "max_length": _("A VAT ID is at most 20 characters; could you check it?"),
            "invalid": _("Please write the VAT ID as text, such as NL123456789B01."),
        },
    )

    def validate_country(self, value: str) -> str:
        code = value.strip().upper()
        if countries.alpha2(code) != code:
            raise serializers.ValidationError(
                _("Please give the country as its two-letter code, such as NL, BE or DE.")
            )
        return code

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        vat_id = data.get("vat_id", "").strip().upper().replace(" ", "").replace(".", "")
        data["vat_id"] = vat_id
        if vat_id and not vat_id_fits(vat_id, data["country"]):
            raise serializers.ValidationError(
                {
                    "vat_id": [
                        _(
                            "This VAT ID doesn't look like one from %(country)s. Please check "
                            "it against your registration, or leave it empty."
                        )
                        % {"country": countries.name(data["country"])}
                    ]
                }
            )
        return data
