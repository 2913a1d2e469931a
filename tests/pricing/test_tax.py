"""pricing.tax: the rate of each line's class in the shipping country, the breakdown, rounding, reverse charge."""

from decimal import Decimal, FloatOperation, localcontext
from io import StringIO

import pytest

from cart.models import Cart, CartLine
from orders.pipeline import checkout_lines, checkout_totals
from pricing.models import TaxRate
from pricing.tax import rates_for, tax_compute
from tests.factories import default_variant, make_product

pytestmark = pytest.mark.django_db
D = Decimal


def test_the_rate_is_the_shipping_countrys_for_the_lines_class(rates):
    assert rates_for("DE") == {"standard": D("19.00"), "reduced": D("7.00"), "zero": D("0.00")}
    assert rates_for("FR")["reduced"] == D("5.50")
    result = tax_compute([("standard", D("11.90")), ("reduced", D("10.70"))], D("0"), country="FR")
    assert result.line_rates == (D("20.00"), D("5.50"))


def test_a_regions_own_rate_wins_over_the_countrys(rates):
    TaxRate.objects.create(tax_class=rates["standard"], country="AT", region="Jungholz", rate=D("19"))
    assert rates_for("AT", "Jungholz")["standard"] == D("19.00")
    assert rates_for("AT", "Jungholz")["reduced"] == D("10.00")  # no regional reduced rate: the country's
    assert rates_for("AT")["standard"] == D("20.00")


def test_gross_prices_contain_the_tax_two_rates_in_the_breakdown(rates):
    result = tax_compute(
        [("standard", D("10.00")), ("reduced", D("20.00"))], D("4.90"), country="DE", prices_include_tax=True
    )
    # standard: 10.00 + shipping 4.90 = 14.90 × 19/119 = 2.3789… → 2.38; reduced: 20.00 × 7/107 = 1.3084… → 1.31
    assert [(line.rate, line.net, line.tax, line.gross) for line in result.lines] == [
        (D("19.00"), D("12.52"), D("2.38"), D("14.90")),
        (D("7.00"), D("18.69"), D("1.31"), D("20.00")),
    ]
    assert (result.tax, result.gross) == (D("3.69"), D("34.90"))


def test_net_prices_get_the_tax_added(rates):
    result = tax_compute(
        [("standard", D("10.00")), ("reduced", D("20.00"))], D("4.90"), country="DE", prices_include_tax=False
    )
    # standard: 14.90 × 19 % = 2.831 → 2.83; reduced: 20.00 × 7 % = 1.40
    assert [(line.rate, line.net, line.tax, line.gross) for line in result.lines] == [
        (D("19.00"), D("14.90"), D("2.83"), D("17.73")),
        (D("7.00"), D("20.00"), D("1.40"), D("21.40")),
    ]
    assert result.gross == D("39.13")


@pytest.mark.parametrize(
    ("net", "tax"),
    [
        (D("0.25"), D("0.03")),  # 0.025: exactly half a cent rounds up (half-even would give 0.02)
        (D("0.24"), D("0.02")),  # 0.024: below half
        (D("0.35"), D("0.04")),  # 0.035: up again (half-even would give 0.04 too; half-down 0.03)
        (D("0.05"), D("0.01")),  # 0.005: the smallest half cent
    ],
)
def test_tax_rounds_half_up_at_the_cent(rates, net, tax):
    TaxRate.objects.filter(country="AT", tax_class__code="reduced").update(rate=D("10"))
    result = tax_compute([("reduced", net)], D("0"), country="AT", prices_include_tax=False)
    assert result.tax == tax


def test_the_tax_of_one_rate_is_rounded_once_over_its_lines(rates):
    # Three lines of 0.05 at 10 %: 3 × 0.005 rounded per line would be 0.03; once over 0.15 it is 0.02.
    result = tax_compute([("reduced", D("0.05"))] * 3, D("0"), country="AT", prices_include_tax=False)
    assert result.tax == D("0.02")


def test_zero_class_goods_pay_no_tax(rates):
    result = tax_compute([("zero", D("15.00"))], D("0"), country="NL", prices_include_tax=False)
    assert (result.tax, result.gross) == (D("0.00"), D("15.00"))


def test_a_country_without_rates_uses_the_fallback_setting(rates, settings):
    settings.ORDER_TAX_RATE = "0.25"
    result = tax_compute([("reduced", D("10.00"))], D("0"), country="NO", prices_include_tax=False)
    assert (result.line_rates, result.tax) == ((D("25.00"),), D("2.50"))


@pytest.mark.parametrize("include_tax", [True, False])
def test_reverse_charge_for_a_business_in_another_eu_country(rates, include_tax):
    result = tax_compute(
        [("standard", D("10.00"))], D("4.90"), country="FR", vat_number="FR40303265045", prices_include_tax=include_tax
    )
    assert result.reverse_charge
    assert result.tax == D("0.00")
    assert [line.rate for line in result.lines] == [D("0.00")]
    # Gross prices: the French VAT they contain (14.90 × 20/120 = 2.48) is not charged; net prices stay as they are.
    assert result.gross == (D("12.42") if include_tax else D("14.90"))
    assert result.not_charged == (D("2.48") if include_tax else D("0.00"))


@pytest.mark.parametrize(
    ("country", "vat_number"),
    [
        ("DE", "DE136695976"),  # a business in the seller's own country pays VAT
        ("FR", "FR40303265046"),  # a wrong check digit is not a valid VAT number
        ("FR", "DE136695976"),  # a German (the seller's country) VAT number shipped to France
        ("NO", "ATU13585627"),  # shipped outside the EU
    ],
)
def test_no_reverse_charge(rates, country, vat_number, settings):
    settings.ORDER_TAX_RATE = "0"
    result = tax_compute([("standard", D("10.00"))], D("0"), country=country, vat_number=vat_number)
    assert not result.reverse_charge


def test_same_country_business_pays_the_countrys_vat(rates):
    result = tax_compute([("standard", D("11.90"))], D("0"), country="DE", vat_number="DE136695976")
    assert (result.reverse_charge, result.tax) == (False, D("1.90"))


def _cart_lines(*products):
    cart = Cart.objects.create(token="t" * 32)
    for product, quantity in products:
        CartLine.objects.create(
            cart=cart, product=product, variant=default_variant(product), quantity=quantity, price_seen=product.price
        )
    return checkout_lines(cart)


def test_a_variants_own_tax_class_wins_over_the_products(rates):
    product = make_product("Book bundle", price=D("10.70"))
    product.variants.update(tax_class="reduced")
    totals = checkout_totals(_cart_lines((product, 1)), "standard", country="DE")
    assert totals.line_tax_rates == (D("7.00"),)


@pytest.mark.parametrize("include_tax", [True, False])
@pytest.mark.parametrize("vat_number", ["", "FR40303265045"])
def test_no_float_reaches_money_in_the_tax_path(rates, settings, include_tax, vat_number):
    settings.SHOP_PRICES_INCLUDE_TAX = include_tax
    settings.ORDER_TAX_RATE = "0.19"
    book = make_product("Book", price=D("12.99"), tax_class_id="reduced")
    lamp = make_product("Lamp", price=D("49.95"))
    with localcontext() as context:
        context.traps[FloatOperation] = True  # any float mixed into a Decimal raises
        lines = _cart_lines((book, 3), (lamp, 1))
        for country in ("FR", "DE", "NO"):
            totals = checkout_totals(lines, "express", country=country, vat_number=vat_number)
            amounts = [totals.subtotal, totals.shipping_cost, totals.tax, totals.total, totals.tax_rate]
            amounts += [value for line in totals.tax_lines for value in (line.rate, line.net, line.tax, line.gross)]
            assert all(type(value) is Decimal for value in amounts)
            assert all(type(rate) is Decimal for rate in totals.line_tax_rates)


def test_the_demo_data_has_eu_rates_reduced_goods_and_sales(db):
    from django.core.management import call_command

    from catalog.models import Product

    call_command("seed_demo", "--products", "30", stdout=StringIO(), stderr=StringIO())
    assert rates_for("DE") == {"standard": D("19.00"), "reduced": D("7.00"), "zero": D("0.00")}
    assert rates_for("FR")["reduced"] == D("5.50")
    assert Product.objects.filter(tax_class="reduced", category__name="Plants").exists()
    assert not Product.objects.filter(tax_class="reduced").exclude(category__name="Plants").exists()
    on_sale = [p for p in Product.objects.filter(sku__startswith="DEMO-") if p.on_sale]
    assert on_sale
    assert all(p.sale_price < p.price for p in on_sale)
    call_command("seed_demo", "--products", "30", stdout=StringIO(), stderr=StringIO())  # idempotent
    assert TaxRate.objects.filter(country="DE").count() == 3
