"""`{{ cents|money:currency }}`: an amount as the page's language writes it (180,00 in
Dutch), from the integer minor units Regard keeps."""

from decimal import Decimal

from django import template

from config.money import amount_for_people, decimal_to_minor_units

register = template.Library()


@register.filter
def money(cents: int, currency: str) -> str:
    return f"{amount_for_people(cents, currency)} {currency}"


@register.filter
def money_text(amount: str, currency: str) -> str:
    """`{{ "180.00"|money_text:"EUR" }}`: an amount as the API writes it, as the page's
    language does."""
    return money(decimal_to_minor_units(Decimal(amount), currency), currency)
