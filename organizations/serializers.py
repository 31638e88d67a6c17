"""Proposals as the holder of their link reads and answers them (DESIGN.md)."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise
from rest_framework import serializers

from billing.serializers import BillingInput
from config.money import format_amount
from enrollments.services.roster import ParticipantInput
from organizations.models import Proposal
from organizations.services import proposal_priced
from workshops.serializers import MoneyField


def _kindly(missing: StrOrPromise, **others: StrOrPromise) -> dict[str, StrOrPromise]:
    """Error messages: `missing` for a field left out or empty, and the others by code."""
    return {"required": missing, "blank": missing, "null": missing, **others}


class ContactInput(serializers.Serializer[Any]):
    name = serializers.CharField(
        max_length=200,
        error_messages=_kindly(
            _("Please tell us the contact's name."),
            max_length=_("Please keep the name to 200 characters."),
        ),
    )
    email = serializers.EmailField(
        max_length=254,
        error_messages=_kindly(
            _("Please give an email address, so we can send the confirmation."),
            invalid=_("This doesn't look like an email address yet. Could you check it?"),
        ),
    )


class ProposalAcceptInput(serializers.Serializer[Any]):
    contact = ContactInput()
    billing = BillingInput(required=False)
    po_number = serializers.CharField(
        max_length=50,
        required=False,
        allow_blank=True,
        default="",
        error_messages={
            "max_length": _("A PO number is at most 50 characters; could you check it?")
        },
    )
    date_option = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        error_messages={"invalid": _("Please choose one of the times offered.")},
    )
    payment = serializers.ChoiceField(
        choices=Proposal.Payment.choices,
        default=Proposal.Payment.INVOICE,
        error_messages={"invalid_choice": _("Please choose to pay by invoice or by card.")},
    )

    @staticmethod
    def answer(data: dict[str, Any]) -> dict[str, Any]:
        """The validated answer as `services.proposal_accept` takes it."""
        contact = data["contact"]
        return {
            "contact": ParticipantInput(name=contact["name"], email=contact["email"]),
            "billing": data.get("billing"),
            "po_number": data.get("po_number", ""),
            "date_option": data.get("date_option"),
            "payment": data.get("payment", Proposal.Payment.INVOICE),
        }


class ProposalDeclineInput(serializers.Serializer[Any]):
    reason = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        default="",
        error_messages={"max_length": _("Please keep it to 2,000 characters.")},
    )


class DateOptionOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()


class ProposalOutput(serializers.Serializer[Any]):
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=Proposal.Status.choices)
    organization = serializers.CharField(allow_null=True)
    offering = serializers.CharField()
    date_options = DateOptionOutput(many=True)
    seats = serializers.IntegerField()
    lines = serializers.ListField(child=serializers.DictField())
    net = MoneyField()
    tax = MoneyField()
    total = MoneyField()
    currency = serializers.CharField()
    valid_until = serializers.DateField()
    terms = serializers.CharField()
    payment_methods = serializers.ListField(child=serializers.CharField())
    booking = serializers.DictField(allow_null=True)
    invoice = serializers.DictField(allow_null=True)

    @staticmethod
    def build(proposal: Proposal) -> dict[str, Any]:
        currency = proposal.offering.currency
        money = lambda cents: format_amount(cents, currency)  # noqa: E731
        priced = proposal_priced(proposal)
        minutes = proposal.offering.duration_minutes
        return {
            "reference": proposal.reference,
            "status": proposal.status,
            "organization": proposal.organization.name if proposal.organization else None,
            "offering": proposal.offering.shown_title,
            "date_options": [
                {
                    "id": option.pk,
                    "starts_at": option.starts_at,
                    "ends_at": option.starts_at + timedelta(minutes=minutes),
                }
                for option in proposal.options.all()
            ],
            "seats": proposal.seats,
            "lines": [
                {
                    "description": line.description,
                    "quantity": line.quantity,
                    "unit_price": money(line.unit_price_cents),
                    "tax_rate": f"{line.tax_rate:.2f}",
                    "net": money(line.net_cents),
                    "tax": money(line.tax_cents),
                    "total": money(line.total_cents),
                }
                for line in priced
            ],
            "net": money(sum(line.net_cents for line in priced)),
            "tax": money(sum(line.tax_cents for line in priced)),
            "total": money(sum(line.total_cents for line in priced)),
            "currency": currency,
            "valid_until": proposal.valid_until,
            "terms": proposal.terms,
            "payment_methods": ["invoice", "card"] if proposal.for_organization else ["card"],
            "booking": (
                {"token": proposal.enrollment.token, "reference": proposal.enrollment.reference}
                if proposal.enrollment
                else None
            ),
            "invoice": (
                {
                    "token": proposal.invoice.token,
                    "number": proposal.invoice.number,
                    "url": f"{settings.SITE_URL}/invoices/{proposal.invoice.token}/",
                }
                if proposal.invoice
                else None
            ),
        }


class AcceptedOutput(serializers.Serializer[Any]):
    enrollment = serializers.DictField()
    invoice = serializers.DictField(allow_null=True)
    payment = serializers.DictField(allow_null=True)
