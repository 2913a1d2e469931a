"""Tax on an order's amounts: the rate of each line's tax class in the shipping country, a breakdown per rate.

Rounding: the amounts of one rate are summed first and that rate's tax is rounded once, half up to the
minor unit (catalog.money.money_round), so the breakdown adds up exactly. When prices include tax
(SHOP_PRICES_INCLUDE_TAX) the tax is extracted from the gross (tax = gross × rate / (100 + rate)), else it
is added to the net (tax = net × rate / 100). Shipping is taxed at the standard rate.

EU reverse charge: a buyer's VAT number of valid format from another EU member state than the seller's,
shipping to an EU country other than the seller's, pays no VAT (0 %); with gross prices the VAT the
prices contain is taken off, so the business pays the net price.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils.translation import gettext_lazy
from stdnum.eu import vat as eu_vat

from catalog.money import money_round
from pricing.models import STANDARD, TaxRate

ZERO = Decimal("0.00")
HUNDRED = Decimal(100)
REVERSE_CHARGE_NOTE = gettext_lazy(
    "Reverse charge: VAT to be accounted for by the recipient, Art. 196 Directive 2006/112/EC"
)
# VAT numbers say EL for Greece, ISO 3166 says GR.
_VAT_PREFIX_COUNTRY = {"EL": "GR"}


@dataclass(frozen=True)
class TaxLine:
    """One rate's part of an order: the net base, the tax on it and the two together."""

    rate: Decimal  # percent
    net: Decimal
    tax: Decimal
    gross: Decimal


@dataclass(frozen=True)
class TaxResult:
    lines: tuple[TaxLine, ...]  # the breakdown, highest rate first
    line_rates: tuple[Decimal, ...]  # the rate (percent) of each goods amount, in the order given
    shipping_rate: Decimal
    reverse_charge: bool
    prices_include_tax: bool
    not_charged: Decimal = ZERO  # reverse charge with gross prices: the VAT the prices contain, taken off

    @property
    def tax(self) -> Decimal:
        return sum((line.tax for line in self.lines), ZERO)

    @property
    def gross(self) -> Decimal:
        return sum((line.gross for line in self.lines), ZERO)


def fallback_rate() -> Decimal:
    """ORDER_TAX_RATE (a fraction) in percent: the rate where the admin has none (pricing.checks vets it)."""
    return Decimal(str(settings.ORDER_TAX_RATE).strip()) * HUNDRED


def rates_for(country: str, region: str = "") -> dict[str, Decimal]:
    """{tax class code: rate in percent} in a country; a region's own rates win over the country's. One query."""
    rows = TaxRate.objects.filter(country=country.upper(), region__in=["", region]).values_list(
        "tax_class__code", "region", "rate"
    )
    rates: dict[str, Decimal] = {}
    for code, row_region, rate in sorted(rows, key=lambda row: row[1] != ""):  # country rows, then the region's
        if row_region == "" or row_region == region:
            rates[code] = rate
    return rates


def vat_number_country(vat_number: str) -> str:
    """The ISO country of an EU VAT number's prefix ("EL…" is Greece, GR)."""
    prefix = eu_vat.compact(vat_number)[:2].upper()
    return _VAT_PREFIX_COUNTRY.get(prefix, prefix)


def vat_number_valid(vat_number: str) -> bool:
    """An EU VAT number of valid format (checksum included; no network look-up)."""
    return bool(vat_number) and eu_vat.is_valid(vat_number)


def is_eu(country: str) -> bool:
    code = country.upper()
    return code.lower() in eu_vat.MEMBER_STATES


def reverse_charge_applies(*, country: str, vat_number: str) -> bool:
    """B2B inside the EU across a border: the buyer accounts for the VAT."""
    seller = settings.SHOP_SELLER_COUNTRY.upper()
    if not vat_number_valid(vat_number) or not is_eu(country) or country.upper() == seller:
        return False
    buyer = vat_number_country(vat_number)
    return is_eu(buyer) and buyer != seller


def _part(gross_or_net: Decimal, rate: Decimal, include_tax: bool) -> tuple[Decimal, Decimal]:
    """(net, tax) of one rate's summed amount."""
    if include_tax:
        tax = money_round(gross_or_net * rate / (HUNDRED + rate))
        return gross_or_net - tax, tax
    return gross_or_net, money_round(gross_or_net * rate / HUNDRED)


def tax_compute(
    amounts: Sequence[tuple[str, Decimal]],
    shipping: Decimal,
    *,
    country: str,
    region: str = "",
    vat_number: str = "",
    prices_include_tax: bool | None = None,
) -> TaxResult:
    """The tax on goods amounts (tax class code, amount after discounts) and shipping, in the entry basis."""
    include_tax = settings.SHOP_PRICES_INCLUDE_TAX if prices_include_tax is None else prices_include_tax
    rates = rates_for(country, region) if country else {}
    fallback = fallback_rate()
    line_rates = tuple(rates.get(code, fallback) for code, _ in amounts)
    shipping_rate = rates.get(STANDARD, fallback)
    by_rate: dict[Decimal, Decimal] = {}
    for rate, (_, amount) in zip(line_rates, amounts, strict=True):
        by_rate[rate] = by_rate.get(rate, ZERO) + amount
    if shipping:
        by_rate[shipping_rate] = by_rate.get(shipping_rate, ZERO) + shipping
    reverse_charge = reverse_charge_applies(country=country, vat_number=vat_number)
    if reverse_charge:
        net = sum((_part(amount, rate, include_tax)[0] for rate, amount in by_rate.items()), ZERO)
        entered = sum(by_rate.values(), ZERO)
        zero = Decimal("0.00")
        lines = (TaxLine(zero, net, ZERO, net),)
        return TaxResult(lines, tuple(zero for _ in amounts), zero, True, include_tax, entered - net)
    lines = []
    for rate in sorted(by_rate, reverse=True):
        net, tax = _part(by_rate[rate], rate, include_tax)
        lines.append(TaxLine(rate, net, tax, net + tax))
    return TaxResult(tuple(lines), line_rates, shipping_rate, False, include_tax)


def tax_rate_setting_error(value: str) -> str | None:
    """Why ORDER_TAX_RATE cannot be used, or None."""
    try:
        rate = Decimal(str(value).strip())
    except InvalidOperation:
        return f"ORDER_TAX_RATE={value!r} is not a number; give a fraction such as 0.19 for 19 %."
    if not rate.is_finite() or not 0 <= rate <= 1:
        return f"ORDER_TAX_RATE={value!r} must be a fraction from 0 to 1 (0.19 for 19 %)."
    return None
