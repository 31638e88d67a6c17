"""Money is kept in integer minor units inside and shown as a decimal string at the API edge."""

from decimal import Decimal

from django.utils.formats import number_format
from django.utils.functional import lazy

# ISO 4217 currencies whose minor unit is not the cent.
_MINOR_UNIT_EXPONENT = {"JPY": 0, "KRW": 0, "ISK": 0, "CLP": 0, "VND": 0, "BHD": 3, "KWD": 3}


def minor_units_to_decimal(amount: int, currency: str) -> Decimal:
    exponent = _MINOR_UNIT_EXPONENT.get(currency.upper(), 2)
    return Decimal(amount).scaleb(-exponent).quantize(Decimal(1).scaleb(-exponent))


def format_amount(amount: int, currency: str) -> str:
    """`18000, "EUR"` -> `"180.00"`, as the HTTP contract shows money."""
    return str(minor_units_to_decimal(amount, currency))


def decimal_to_minor_units(amount: Decimal, currency: str) -> int:
    """`Decimal("180.50"), "EUR"` -> `18050`."""
    exponent = _MINOR_UNIT_EXPONENT.get(currency.upper(), 2)
    return int(amount.scaleb(exponent).to_integral_value())


def _for_people(amount: int, currency: str) -> str:
    value = minor_units_to_decimal(amount, currency)
    places = _MINOR_UNIT_EXPONENT.get(currency.upper(), 2)
    return number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)


# `18000, "EUR"` -> "180.00" in English, "180,00" in Dutch: in the language active when it
# is read (lazy), so an email written in the person's language shows their own decimals.
amount_for_people = lazy(_for_people, str)
