"""Money in one place: rounding to the currency's minor unit, formatting by language, plain CSV."""

import csv
import decimal
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.template import Context, Template
from django.utils import translation

from catalog.money import InvalidMoney, format_money, money, money_round
from tests.factories import make_category, make_product

NBSP = "\xa0"  # Babel puts a no-break space between a German amount and its sign: it never wraps


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("4.905", Decimal("4.91")),
        ("4.904999", Decimal("4.90")),
        ("0.125", Decimal("0.13")),
        ("2.675", Decimal("2.68")),
        ("0.005", Decimal("0.01")),
        ("0.0049", Decimal("0.00")),
        ("-0.005", Decimal("-0.01")),
    ],
)
def test_money_round_is_half_up_at_the_third_place(raw, expected):
    assert money_round(Decimal(raw), "EUR") == expected


def test_jpy_has_no_minor_unit():
    assert money_round(Decimal("1620.5"), "JPY") == Decimal("1621")
    assert money_round(Decimal("1620.49"), "JPY") == Decimal("1620")
    assert money("1620.5", "JPY") == Decimal("1621")
    assert format_money(Decimal("1620.50"), "JPY") == "¥1,621"


def test_the_minor_unit_follows_the_shop_currency(settings):
    settings.SHOP_CURRENCY = "JPY"
    assert money("99.5") == Decimal("100")
    assert money_round(Decimal("0.4")) == Decimal("0")
    settings.SHOP_CURRENCY = "EUR"
    assert money("99.5") == Decimal("99.50")


def test_english_puts_the_sign_first_with_grouped_thousands():
    with translation.override("en"):
        assert format_money(Decimal("1620.44"), "EUR") == "€1,620.44"
        assert format_money(Decimal("1620.44"), "USD") == "$1,620.44"


def test_german_puts_the_sign_last_with_a_comma():
    with translation.override("de"):
        assert format_money(Decimal("1620.44"), "EUR") == f"1.620,44{NBSP}€"
        assert format_money(Decimal("1620"), "JPY") == f"1.620{NBSP}¥"


def test_formatting_rounds_half_up_not_half_even_as_babel_alone_would():
    assert format_money(Decimal("0.125"), "EUR") == "€0.13"
    assert format_money(Decimal("0.135"), "EUR") == "€0.14"


def test_negative_and_zero_amounts():
    assert format_money(Decimal("-5"), "EUR") == "-€5.00"
    assert format_money(Decimal("-0.001"), "EUR") == "€0.00"


def test_an_unknown_language_falls_back_to_english():
    with translation.override("xx"):
        assert format_money(Decimal("1620.44"), "EUR") == "€1,620.44"


def test_floats_are_refused_when_formatting():
    with pytest.raises(TypeError):
        format_money(1.5, "EUR")


def test_the_template_filters_format_in_the_active_language(settings):
    settings.SHOP_CURRENCY = "EUR"
    template = Template("{% load catalog %}{{ price|money }} / {{ price|money_in:'USD' }}")
    context = Context({"price": Decimal("1620.44")})
    assert template.render(context) == "€1,620.44 / $1,620.44"
    with translation.override("de"):
        assert template.render(context) == f"1.620,44{NBSP}€ / 1.620,44{NBSP}$"


def test_a_price_typed_with_too_many_places_is_rounded_once_by_the_one_rule():
    assert money("4.905") == Decimal("4.91")
    with pytest.raises(InvalidMoney, match="negative"):
        money("-5")
    with pytest.raises(InvalidMoney, match="too large"):
        money("1e400")
    with pytest.raises(InvalidMoney, match="negative"):
        money("-1e400")


@pytest.mark.django_db
def test_the_product_pages_show_prices_in_the_active_language(client):
    lamp = make_product("Desk Lamp", price=Decimal("1620.44"))

    assert "€1,620.44" in client.get("/products/").content.decode()
    german = {"HTTP_ACCEPT_LANGUAGE": "de", "follow": True}  # redirected to the /de/ page
    assert f"1.620,44{NBSP}€" in client.get("/products/", **german).content.decode()
    assert f"1.620,44{NBSP}€" in client.get(lamp.get_absolute_url(), **german).content.decode()


@pytest.mark.django_db
def test_the_product_csv_keeps_plain_machine_readable_decimals(tmp_path):
    make_product("Desk Lamp", sku="LAMP-1", price=Decimal("1620.44"), category=make_category("Home"))
    path = tmp_path / "products.csv"

    with translation.override("de"):
        call_command("export_products", str(path), stdout=StringIO())

    [row] = list(csv.DictReader(path.open(encoding="utf-8")))
    assert row["price"] == "1620.44"


@pytest.mark.django_db
def test_no_float_reaches_money_on_the_product_pages(client):
    lamp = make_product("Desk Lamp", price=Decimal("1620.44"))
    with decimal.localcontext() as context:
        context.traps[decimal.FloatOperation] = True
        for url in ("/products/", lamp.get_absolute_url()):
            assert client.get(url).status_code == 200
