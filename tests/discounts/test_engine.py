"""The discount engine: promotions, vouchers, allocation to lines, caps, and Decimals only."""

import decimal
from decimal import Decimal

import pytest

from cart.services import cart_lines
from discounts.engine import allocate, discounts_for
from discounts.models import Promotion, Voucher
from tests.discounts.conftest import cart_with, make_voucher
from tests.factories import make_category, make_product

pytestmark = pytest.mark.django_db
D = Decimal


def lines_of(*items):
    return cart_lines(cart_with(*items))


def test_an_order_wide_amount_is_shared_in_proportion_with_the_remainder_on_the_largest_line():
    shares = allocate(D("10.00"), {1: D("33.33"), 2: D("33.33"), 3: D("33.34")})
    assert sum(shares.values()) == D("10.00")
    assert shares == {1: D("3.33"), 2: D("3.33"), 3: D("3.34")}
    # 1/3 each would round to 0.33 three times (0.99): the missing cent goes to the largest line
    shares = allocate(D("1.00"), {1: D("10.00"), 2: D("10.00"), 3: D("10.01")})
    assert sum(shares.values()) == D("1.00")
    assert shares[3] == D("0.34")


def test_a_percentage_voucher_on_the_whole_order(boot, sock):
    lines = lines_of((boot, 1), (sock, 3))
    found = discounts_for(lines, shipping_cost=D("4.90"), voucher=make_voucher(value=D("10")))
    assert found.goods == D("7.50")  # 10 % of 75.00
    assert found.lines == {lines[0].pk: D("6.00"), lines[1].pk: D("1.50")}
    assert [a.label for a in found.applied] == ["Code SAVE10"]
    assert found.shipping_discount == 0
    assert found.total == D("7.50")


def test_a_voucher_larger_than_the_goods_caps_them_at_zero(boot):
    lines = lines_of((boot, 1))
    found = discounts_for(lines, shipping_cost=D("4.90"), voucher=make_voucher(kind="fixed", value=D("100.00")))
    assert found.goods == D("60.00")
    assert found.lines[lines[0].pk] == D("60.00")  # the goods cost nothing; shipping is still paid
    assert found.shipping_discount == 0


def test_a_free_shipping_voucher_takes_the_shipping_only(boot):
    found = discounts_for(lines_of((boot, 1)), shipping_cost=D("4.90"), voucher=make_voucher(kind="free_shipping"))
    assert found.goods == 0
    assert found.shipping_discount == D("4.90")


def test_a_voucher_for_a_category_counts_its_subcategories_and_nothing_else(shoes, boot, sock):
    sandal = make_product("Sandal", category=make_category("Sandals", parent=shoes), price=D("20.00"))
    voucher = make_voucher(kind="fixed", value=D("50.00"))
    voucher.categories.add(shoes)
    lines = lines_of((boot, 1), (sandal, 1), (sock, 2))
    found = discounts_for(lines, shipping_cost=D("0"), voucher=Voucher.objects.get(pk=voucher.pk))
    assert found.lines == {lines[0].pk: D("37.50"), lines[1].pk: D("12.50"), lines[2].pk: D("0.00")}


def test_a_voucher_for_products(boot, sock):
    voucher = make_voucher(value=D("50"))
    voucher.products.add(sock)
    lines = lines_of((boot, 1), (sock, 2))
    found = discounts_for(lines, shipping_cost=D("0"), voucher=Voucher.objects.get(pk=voucher.pk))
    assert found.lines == {lines[0].pk: D("0.00"), lines[1].pk: D("5.00")}


def test_promotions_apply_by_priority_to_what_is_left(shoes, boot):
    Promotion.objects.create(name="Shoes −10 %", kind="category_percent", category=shoes, percent=10, priority=1)
    Promotion.objects.create(
        name="3 for 2 boots", kind="buy_n_pay_m", product=boot, buy_quantity=3, pay_quantity=2, priority=5
    )
    Promotion.objects.create(name="Free shipping over 100", kind="free_shipping_over", threshold=D("100.00"))
    lines = lines_of((boot, 4))  # 240.00: one boot free (60.00), then 10 % of the 180.00 left
    found = discounts_for(lines, shipping_cost=D("4.90"))
    assert [(a.label, a.amount) for a in found.applied] == [
        ("3 for 2 boots", D("60.00")),
        ("Shoes −10 %", D("18.00")),
        ("Free shipping over 100", D("4.90")),
    ]
    assert found.goods == D("78.00")
    assert found.total == D("82.90")


def test_free_shipping_over_an_amount_counts_the_goods_after_discounts(boot):
    Promotion.objects.create(name="Free shipping over 60", kind="free_shipping_over", threshold=D("60.00"))
    assert discounts_for(lines_of((boot, 1)), shipping_cost=D("4.90")).shipping_discount == D("4.90")
    found = discounts_for(
        lines_of((boot, 1)), shipping_cost=D("4.90"), voucher=make_voucher("ONE", kind="fixed", value=D("0.01"))
    )
    assert found.shipping_discount == 0  # 59.99 left


def test_a_promotion_that_does_not_stack_gives_way_to_a_better_voucher(shoes, boot):
    Promotion.objects.create(
        name="Shoes −10 %", kind="category_percent", category=shoes, percent=10, stacks_with_vouchers=False
    )
    lines = lines_of((boot, 1))
    better = discounts_for(lines, shipping_cost=D("0"), voucher=make_voucher("TWENTY", value=D("20")))
    assert [a.label for a in better.applied] == ["Code TWENTY"]
    assert better.goods == D("12.00")
    worse = discounts_for(lines, shipping_cost=D("0"), voucher=make_voucher("FIVE", value=D("5")))
    assert [a.label for a in worse.applied] == ["Shoes −10 %"]
    assert worse.goods == D("6.00")
    assert worse.voucher is None
    assert "does not combine" in worse.voucher_note


def test_a_promotion_that_stacks_applies_with_the_voucher(shoes, boot):
    Promotion.objects.create(name="Shoes −10 %", kind="category_percent", category=shoes, percent=10)
    found = discounts_for(
        lines_of((boot, 1)), shipping_cost=D("0"), voucher=make_voucher(kind="fixed", value=D("4.00"))
    )
    assert found.goods == D("10.00")  # 6.00 + 4.00


def test_inactive_and_out_of_window_promotions_do_not_apply(shoes, boot):
    Promotion.objects.create(name="Off", kind="category_percent", category=shoes, percent=10, is_active=False)
    assert discounts_for(lines_of((boot, 1)), shipping_cost=D("0")).applied == []


def test_no_float_reaches_money(shoes, boot, sock):
    """Every amount the engine computes is Decimal arithmetic: a float anywhere would raise here."""
    Promotion.objects.create(name="Shoes −12.5 %", kind="category_percent", category=shoes, percent=D("12.5"))
    Promotion.objects.create(name="Free shipping", kind="free_shipping_over", threshold=D("10.00"))
    lines = lines_of((boot, 3), (sock, 7))
    voucher = make_voucher(value=D("7.5"))
    with decimal.localcontext() as context:
        context.traps[decimal.FloatOperation] = True
        found = discounts_for(lines, shipping_cost=D("4.90"), voucher=voucher)
        from orders.pipeline import checkout_totals

        totals = checkout_totals(lines, "standard", voucher=voucher)
    assert all(isinstance(v, Decimal) for v in [*found.lines.values(), found.shipping_discount, found.total])
    assert (
        totals.total == totals.subtotal - totals.discount + totals.shipping_cost - totals.shipping_discount + totals.tax
    )
