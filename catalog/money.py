"""Money in one place: amounts, parsing, rounding and formatting.

- Amounts are `Decimal`, never floats, stored with `MONEY_DECIMAL_PLACES` places (`money_field`).
- Rounding is half up to the currency's minor unit, taken from Babel's currency data: EUR has two
  places, JPY none.
- Rounding policy: per total. A unit price is already a whole number of minor units, so a line total
  (unit price × quantity) is exact; a computed amount (tax, a discount share) is rounded once, on the
  sum it applies to (on an invoice with several tax rates: once per rate), never line by line.
- Formatting follows the active Django language with Babel: `€1,620.44` in English, `1.620,44 €` in
  German (with a no-break space before the sign). Machine formats (CSV, the JSON API) keep the plain
  decimal `1620.44` beside a currency code instead.

Everything that turns outside input into a price (forms, the CSV importer, settings, demo data) or
shows one calls these functions.
"""

from copy import copy
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.numbers import NumberPattern, get_currency_precision, get_currency_symbol, list_currencies
from django.conf import settings
from django.utils import translation

MONEY_DECIMAL_PLACES = 2
MONEY_MAX_DIGITS = 10
_STORED = Decimal(1).scaleb(-MONEY_DECIMAL_PLACES)
MONEY_MAX = Decimal(10 ** (MONEY_MAX_DIGITS - MONEY_DECIMAL_PLACES)) - _STORED


class InvalidMoney(ValueError):
    """The value is not a usable price; the message says why, for the person who typed it."""


def money_field(**kwargs):
    """The model field every amount is stored in (enough places for any currency the shop sells in)."""
    from django.db import models

    return models.DecimalField(max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES, **kwargs)


def currency_known(currency: str) -> bool:
    """Whether `currency` is an ISO 4217 code Babel knows (and so can format and round)."""
    return currency in _currencies()


@lru_cache(maxsize=1)
def _currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def currency_places(currency: str | None = None) -> int:
    """How many decimal places the currency's amounts have (the shop's currency unless given)."""
    return -_quantum(currency or settings.SHOP_CURRENCY).as_tuple().exponent


@lru_cache(maxsize=64)
def _quantum(currency: str) -> Decimal:
    """One minor unit of the currency: 0.01 for EUR, 1 for JPY (at most the places we store)."""
    return Decimal(1).scaleb(-min(get_currency_precision(currency), MONEY_DECIMAL_PLACES))


def money_round(amount: Decimal, currency: str | None = None) -> Decimal:
    """Round a computed amount (tax, a discount share) half up to the currency's minor unit. Never raises."""
    return amount.quantize(_quantum(currency or settings.SHOP_CURRENCY), rounding=ROUND_HALF_UP)


def money(value: Decimal | int | str, currency: str | None = None) -> Decimal:
    """Parse a price (a Decimal, an int or a string such as "12.5") and round it with `money_round`.

    The currency is the shop's unless given (the settings module passes it: settings are not ready yet).
    Floats are refused: they cannot represent most prices exactly.
    """
    if isinstance(value, float):
        raise TypeError("Prices are never floats; pass a Decimal or a string.")
    try:
        amount = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        raise InvalidMoney(f"{value!r} is not a number") from None
    if not amount.is_finite():
        raise InvalidMoney(f"{value!r} is not a number")
    # Checked before rounding too: quantizing a number such as 1e400 would overflow the decimal context.
    rounded = money_round(amount, currency) if abs(amount) <= MONEY_MAX + 1 else amount
    if rounded < 0:
        raise InvalidMoney(f"{value!r} is negative; a price must be 0 or more")
    if rounded > MONEY_MAX:
        raise InvalidMoney(f"{value!r} is too large; the largest price is {MONEY_MAX}")
    return rounded.quantize(_STORED)


@lru_cache(maxsize=64)
def _locale(language: str) -> Locale:
    """The Babel locale of a Django language code ("en-us" → en_US); English when Babel has none."""
    try:
        return Locale.parse(translation.to_locale(language))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


@lru_cache(maxsize=256)
def _pattern(language: str, currency: str) -> tuple[Locale, NumberPattern]:
    """The locale's currency pattern with this currency's sign and minor unit filled in, once.

    `NumberPattern.apply(currency=...)` would look up the sign, the precision and the currency's
    plural names on every call; a filled-in copy formats the same text about twice as fast.
    """
    locale = _locale(language)
    pattern = copy(locale.currency_formats["standard"])
    sign = get_currency_symbol(currency, locale).replace("'", "''")
    pattern.prefix = tuple(part.replace("¤", f"'{sign}'") for part in pattern.prefix)
    pattern.suffix = tuple(part.replace("¤", f"'{sign}'") for part in pattern.suffix)
    places = currency_places(currency)
    pattern.frac_prec = (places, places)
    return locale, pattern


def format_money(amount: Decimal | int | str, currency: str | None = None) -> str:
    """An amount as a person reads it in the active language: "€1,620.44", "1.620,44 €", "¥1,620".

    Rounded by `money_round` first (Babel alone would round half even). The pattern is cached per
    language and currency and the text per amount: this runs once per product card.
    """
    if isinstance(amount, float):
        raise TypeError("Amounts are never floats; pass a Decimal.")
    if not isinstance(amount, Decimal):
        amount = Decimal(amount)  # an int or a decimal string (a mail context, a template literal)
    return _formatted(translation.get_language() or settings.LANGUAGE_CODE, currency or settings.SHOP_CURRENCY, amount)


@lru_cache(maxsize=4096)
def _formatted(language: str, currency: str, amount: Decimal) -> str:
    """The text of one amount: a catalogue shows the same prices on every page, so they are kept."""
    locale, pattern = _pattern(language, currency)
    rounded = money_round(amount, currency)
    return pattern.apply(rounded if rounded else abs(rounded), locale)  # never "-€0.00"
