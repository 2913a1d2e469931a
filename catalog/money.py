"""The shop's one money rule: prices are Decimals with two places, rounded half up, never negative.

Every place that turns outside input into a price (forms, the CSV importer, demo data) or shows one
calls these functions, so the rule lives here only.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

MONEY_DECIMAL_PLACES = 2
MONEY_MAX_DIGITS = 10
_QUANTUM = Decimal(1).scaleb(-MONEY_DECIMAL_PLACES)
MONEY_MAX = Decimal(10 ** (MONEY_MAX_DIGITS - MONEY_DECIMAL_PLACES)) - _QUANTUM


class InvalidMoney(ValueError):
    """The value is not a usable price; the message says why, for the person who typed it."""


def money(value: Decimal | int | str) -> Decimal:
    """Parse a price (a Decimal, an int or a string such as "12.5") to a Decimal with two places.

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
    amount = amount.quantize(_QUANTUM, rounding=ROUND_HALF_UP)
    if amount < 0:
        raise InvalidMoney(f"{value!r} is negative; a price must be 0 or more")
    if amount > MONEY_MAX:
        raise InvalidMoney(f"{value!r} is too large; the largest price is {MONEY_MAX}")
    return amount


def money_round(amount: Decimal) -> Decimal:
    """Round a computed amount (tax, a discount share) to the minor unit, half up. Never raises."""
    return amount.quantize(_QUANTUM, rounding=ROUND_HALF_UP)


def format_money(amount: Decimal, currency: str) -> str:
    """ "1,234.50 EUR": thousands separated, two places, the ISO code after the amount."""
    return f"{amount:,.{MONEY_DECIMAL_PLACES}f} {currency}"
