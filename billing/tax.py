"""Tax on an invoice's lines: per line, rounded per line, so that net + tax = total on each.

Whoever bills passes a `TaxRule` with every line (billing never reads the catalog). What the
rule comes to for one buyer is `treatment_for`: the offering's rate; nothing, with the note
the law asks for, when it is exempt; or nothing, with the reverse-charge note, for an online
session bought by a business in another EU country that gave a well-formed VAT ID.
In-person and hybrid sessions are taxed where they take place, the practice's country.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from stdnum.eu import vat as eu_vat

# EU member states as VAT numbers name them (Greece is EL there, GR in ISO 3166).
EU_COUNTRIES = frozenset(
    {
        "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
        "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
    }
)  # fmt: skip
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class TaxRule:
    """What the law says of a line's tax: a rate in percent, or exempt; and whether the
    service is given online (its place of supply follows a business buyer)."""

    rate: Decimal = Decimal(0)
    exempt: bool = False
    online: bool = False


@dataclass(frozen=True)
class Treatment:
    """The rate a line is charged at for one buyer, and the note that explains a zero."""

    rate: Decimal
    note: str = ""
    reverse_charge: bool = False


@dataclass(frozen=True)
class Amounts:
    net_cents: int
    tax_cents: int
    total_cents: int


def vat_id_country(vat_id: str) -> str:
    """The ISO 3166 country a VAT ID belongs to (EL is Greece), or "" if it has no prefix."""
    prefix = eu_vat.compact(vat_id)[:2].upper() if vat_id else ""
    return "GR" if prefix == "EL" else prefix


def vat_id_fits(vat_id: str, country: str) -> bool:
    """Whether a VAT ID is well formed (its check digits included) for the buyer's country."""
    try:
        eu_vat.validate(vat_id)
    except Exception:  # stdnum raises its own ValidationError subclasses
        return False
    return vat_id_country(vat_id) == country.upper()


def treatment_for(rule: TaxRule, *, buyer_country: str = "", buyer_vat_id: str = "") -> Treatment:
    if rule.exempt:
        return Treatment(rate=Decimal(0), note=settings.TAX_EXEMPT_NOTE)
    abroad_in_eu = (
        buyer_country.upper() in EU_COUNTRIES and buyer_country.upper() != settings.PRACTICE_COUNTRY
    )
    if rule.online and abroad_in_eu and buyer_vat_id and vat_id_fits(buyer_vat_id, buyer_country):
        return Treatment(rate=Decimal(0), note=settings.REVERSE_CHARGE_NOTE, reverse_charge=True)
    return Treatment(rate=rule.rate)


def _cents(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def line_amounts(
    *,
    quantity: int,
    unit_price_cents: int,
    rule: TaxRule,
    treatment: Treatment,
    prices_include_tax: bool | None = None,
) -> Amounts:
    """A line's net, tax and total in minor units. With prices including tax, the price is
    the total at the offering's own rate; where no tax is charged (reverse charge) the buyer
    pays the net of it, and an exempt price is its own net."""
    include = settings.PRICES_INCLUDE_TAX if prices_include_tax is None else prices_include_tax
    price = Decimal(quantity * unit_price_cents)
    listed_rate = Decimal(0) if rule.exempt else rule.rate
    net = _cents(price * HUNDRED / (HUNDRED + listed_rate)) if include else _cents(price)
    tax = _cents(Decimal(net) * treatment.rate / HUNDRED)
    if include and treatment.rate == listed_rate:
        tax = _cents(price) - net  # the listed price is the total, to the cent
    return Amounts(net_cents=net, tax_cents=tax, total_cents=net + tax)


def charged_cents(*, quantity: int, unit_price_cents: int, rule: TaxRule) -> int:
    """What a booking costs before anyone's billing details are known: the listed price,
    with tax on top when prices are listed without it."""
    treatment = treatment_for(rule)
    return line_amounts(
        quantity=quantity, unit_price_cents=unit_price_cents, rule=rule, treatment=treatment
    ).total_cents
