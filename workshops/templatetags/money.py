"""`{{ cents|money:currency }}`: an amount as the page's language writes it (180,00 in
Dutch), from the integer minor units Regard keeps."""

from django import template

from config.money import amount_for_people

register = template.Library()


@register.filter
def money(cents: int, currency: str) -> str:
    return f"{amount_for_people(cents, currency)} {currency}"
