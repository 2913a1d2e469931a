"""Address rules that django-countries and django-phonenumber-field leave to us: postcode formats.

Countries with one fixed postcode format are checked against it (the table below); elsewhere a
postcode is free text, and may be empty where a country has none (Hong Kong, most of the Gulf).
"""

import re

from django.utils.translation import gettext

_FIVE_DIGITS = r"\d{5}"
_FOUR_DIGITS = r"\d{4}"
_THREE_TWO = r"\d{3} ?\d{2}"

# ISO 3166-1 alpha-2 → the format, with an example for the message. Upper-cased input is matched whole.
POSTCODE_FORMATS: dict[str, tuple[str, str]] = {
    "AT": (_FOUR_DIGITS, "1010"),
    "AU": (_FOUR_DIGITS, "2000"),
    "BE": (_FOUR_DIGITS, "1000"),
    "CA": (r"[A-Z]\d[A-Z] ?\d[A-Z]\d", "K1A 0B1"),
    "CH": (_FOUR_DIGITS, "8001"),
    "CZ": (_THREE_TWO, "110 00"),
    "DE": (_FIVE_DIGITS, "10115"),
    "DK": (_FOUR_DIGITS, "1050"),
    "EE": (_FIVE_DIGITS, "10111"),
    "ES": (_FIVE_DIGITS, "28001"),
    "FI": (_FIVE_DIGITS, "00100"),
    "FR": (_FIVE_DIGITS, "75001"),
    "GB": (r"[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}", "SW1A 1AA"),
    "GR": (_THREE_TWO, "105 57"),
    "HR": (_FIVE_DIGITS, "10000"),
    "HU": (_FOUR_DIGITS, "1051"),
    "IE": (r"[A-Z]\d[\dW] ?[\dA-Z]{4}", "D02 X285"),
    "IT": (_FIVE_DIGITS, "00184"),
    "JP": (r"\d{3}-?\d{4}", "100-0001"),
    "NL": (r"\d{4} ?[A-Z]{2}", "1012 AB"),
    "NO": (_FOUR_DIGITS, "0150"),
    "NZ": (_FOUR_DIGITS, "6011"),
    "PL": (r"\d{2}-\d{3}", "00-001"),
    "PT": (r"\d{4}-\d{3}", "1000-001"),
    "SE": (_THREE_TWO, "111 22"),
    "SI": (_FOUR_DIGITS, "1000"),
    "SK": (_THREE_TWO, "811 01"),
    "US": (r"\d{5}(-\d{4})?", "20500"),
}


def postcode_problem(country: str, postcode: str) -> str | None:
    """Why `postcode` cannot be right for `country`, or None when it can."""
    rule = POSTCODE_FORMATS.get(country)
    if rule is None:
        return None
    pattern, example = rule
    if not postcode:
        return gettext("Enter the postcode (for example %(example)s).") % {"example": example}
    if not re.fullmatch(pattern, postcode.strip().upper()):
        return gettext("This is not a postcode of that country (for example %(example)s).") % {"example": example}
    return None
