"""The checkout pipeline: each step on its own, the whole run, and nothing left behind by a failure."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError
from django.db.models import F
from django.utils import timezone

from cart.models import Cart, CartLine
from catalog.models import Product, ProductVariant
from catalog.selectors import catalog_version
from notifications.models import Message
from orders import pipeline
from orders.models import Invoice, Order, OrderLine, OrderTransition
from orders.pipeline import STEPS, CartEmpty, PricesChanged, ProductUnavailable
from orders.services import OutOfStock, stock_reserve
from tests.factories import default_variant, make_category, make_product, stock_of
from tests.orders.conftest import ADDRESS, checkout_for, fill_cart, place

pytestmark = pytest.mark.django_db


def test_placing_an_order_snapshots_lines_address_and_totals(shopper, product, settings):
    settings.SHOP_CURRENCY = "EUR"
    other = make_product("Notebook", price=Decimal("3.25"), stock=9)
    fill_cart(shopper, (product, 2), (other, 3))

    order = place(shopper, shipping="express")

    assert order.status == Order.Status.PENDING_PAYMENT
    assert order.email == shopper.email
    assert order.subtotal == Decimal("29.75")
    assert order.shipping_cost == Decimal("12.00")
    assert order.total == Decimal("41.75")
    assert order.ship_city == ADDRESS["city"]
    lines = list(order.lines.values_list("name", "sku", "unit_price", "quantity", "line_total"))
    assert lines == [
        ("Brass gear", product.sku, Decimal("10.00"), 2, Decimal("20.00")),
        ("Notebook", other.sku, Decimal("3.25"), 3, Decimal("9.75")),
    ]
    assert order.invoice.amount_due == Decimal("41.75")
    assert order.invoice.status == Invoice.Status.OPEN
    assert order.reserved_until > timezone.now() + timedelta(minutes=14)


def test_placing_reserves_stock_and_empties_the_cart(shopper, product):
    fill_cart(shopper, (product, 2))
    place(shopper)
    product.refresh_from_db()
    assert stock_of(product) == 3
    assert not CartLine.objects.filter(cart__user=shopper).exists()


def test_stock_reservation_bumps_updated_at_for_the_catalog_cache(shopper, product):
    variant = default_variant(product)
    before, version = variant.updated_at, catalog_version()
    fill_cart(shopper, (product, 1))
    place(shopper)
    variant.refresh_from_db()
    assert variant.updated_at > before
    assert catalog_version() != version


def test_confirmation_mail_is_queued_with_the_order(shopper, product):
    fill_cart(shopper, (product, 1))
    order = place(shopper)
    mail = Message.objects.get(kind=Message.Kind.ORDER_CONFIRMATION)
    assert mail.to == shopper.email
    assert order.number in mail.subject
    assert mail.vouched_by == f"orders.order {order.pk}"


def test_history_starts_with_the_placement(order, shopper):
    assert list(order.transitions.values_list("from_status", "to_status")) == [("", "pending_payment")]


def test_invoice_numbers_are_sequential(shopper, product):
    numbers = []
    for _ in range(3):
        fill_cart(shopper, (product, 1))
        numbers.append(place(shopper).invoice.number)
    assert numbers == [numbers[0], numbers[0] + 1, numbers[0] + 2]


def test_order_numbers_are_unique_and_readable(shopper, product):
    fill_cart(shopper, (product, 1))
    first = place(shopper)
    fill_cart(shopper, (product, 1))
    second = place(shopper)
    assert first.number != second.number
    assert len(first.number) == 9
    assert first.number[4] == "-"


def test_the_fallback_rate_is_added_to_net_prices(shopper, product, settings):
    settings.ORDER_TAX_RATE = "0.2"  # no rates in the admin for the address's country: the fallback applies
    settings.SHOP_PRICES_INCLUDE_TAX = False
    fill_cart(shopper, (product, 1))
    order = place(shopper)
    assert order.tax == Decimal("2.98")  # 20 % of 10.00 + 4.90, rounded half up
    assert order.total == Decimal("17.88")


def test_the_fallback_rate_is_part_of_gross_prices(shopper, product, settings):
    settings.ORDER_TAX_RATE = "0.2"
    fill_cart(shopper, (product, 1))
    order = place(shopper)
    assert order.tax == Decimal("2.48")  # 14.90 × 20 / 120 = 2.4833…, rounded half up
    assert order.total == Decimal("14.90")


# --- Each step on its own ----------------------------------------------------------------------------


def test_step_cart_not_empty_refuses_an_empty_cart(shopper):
    Cart.objects.create(user=shopper)
    with pytest.raises(CartEmpty, match="empty"):
        pipeline.step_cart_not_empty(checkout_for(shopper))


def test_step_products_active_names_an_archived_product(shopper, product):
    fill_cart(shopper, (product, 1))
    checkout = checkout_for(shopper)
    pipeline.step_cart_not_empty(checkout)
    Product.objects.filter(pk=product.pk).update(is_archived=True, updated_at=timezone.now())
    checkout.lines = pipeline.checkout_lines(checkout.cart)
    with pytest.raises(ProductUnavailable, match="Brass gear"):
        pipeline.step_products_active(checkout)


def test_step_products_active_refuses_a_product_in_a_hidden_category(shopper):
    hidden = make_category("Hidden", is_active=False)
    product = make_product("Secret", category=hidden)
    fill_cart(shopper, (product, 1))
    checkout = checkout_for(shopper)
    pipeline.step_cart_not_empty(checkout)
    with pytest.raises(ProductUnavailable, match="Secret"):
        pipeline.step_products_active(checkout)


def test_step_prices_unchanged_shows_the_new_total(shopper, product):
    fill_cart(shopper, (product, 1))
    checkout = checkout_for(shopper)
    Product.objects.filter(pk=product.pk).update(price=Decimal("11.00"))
    pipeline.step_cart_not_empty(checkout)
    with pytest.raises(PricesChanged, match="15.90") as caught:
        pipeline.step_prices_unchanged(checkout)
    assert caught.value.totals.total == Decimal("15.90")


def test_step_prices_unchanged_notices_a_quantity_changed_in_another_tab(shopper, product):
    fill_cart(shopper, (product, 1))
    checkout = checkout_for(shopper)
    CartLine.objects.filter(cart__user=shopper).update(quantity=3)
    pipeline.step_cart_not_empty(checkout)
    with pytest.raises(PricesChanged):
        pipeline.step_prices_unchanged(checkout)


def test_step_stock_available_names_the_short_products(shopper, product):
    fill_cart(shopper, (product, 4))
    checkout = checkout_for(shopper)
    ProductVariant.objects.filter(product=product).update(stock=3)
    pipeline.step_cart_not_empty(checkout)
    with pytest.raises(OutOfStock, match=r"Brass gear \(only 3 left\)"):
        pipeline.step_stock_available(checkout)


def test_step_stock_available_enforces_the_per_line_limit(shopper, product, settings):
    fill_cart(shopper, (product, 4))
    checkout = checkout_for(shopper)
    settings.CART_MAX_QUANTITY_PER_LINE = 3
    pipeline.step_cart_not_empty(checkout)
    with pytest.raises(OutOfStock, match=r"At most 3 of each product per order: Brass gear"):
        pipeline.step_stock_available(checkout)


def test_stock_reserve_is_all_or_nothing_and_never_negative(product):
    other = make_product(stock=1)
    assert default_variant(other).pk != other.pk
    with pytest.raises(OutOfStock, match="only 1 left"):
        stock_reserve([(default_variant(product).pk, 2), (default_variant(other).pk, 2)])
    # The caller's transaction (here the test's) rolls back the first decrement; the constraint holds too.
    with pytest.raises(IntegrityError):
        ProductVariant.objects.filter(product=other).update(stock=F("stock") - 2)


def test_a_refused_checkout_keeps_the_cart(shopper, product):
    fill_cart(shopper, (product, 9))
    with pytest.raises(OutOfStock):
        place(shopper)
    assert CartLine.objects.filter(cart__user=shopper, quantity=9).exists()
    assert not Order.objects.exists()


# --- A fault at any step leaves nothing behind -------------------------------------------------------


class Injected(Exception):
    pass


def fail(checkout):
    raise Injected("fault injected after the previous step")


@pytest.mark.parametrize("after", range(len(STEPS)), ids=[step.__name__ for step in STEPS])
def test_a_fault_after_any_step_leaves_nothing_behind(shopper, product, after):
    """A test-only pipeline: the real steps up to `after`, then a step that raises."""
    fill_cart(shopper, (product, 2))
    with pytest.raises(Injected):
        place(shopper, steps=(*STEPS[: after + 1], fail))
    product.refresh_from_db()
    assert stock_of(product) == 5
    assert not Order.objects.exists()
    assert not OrderLine.objects.exists()
    assert not Invoice.objects.exists()
    assert not OrderTransition.objects.exists()
    assert not Message.objects.exists()
    assert CartLine.objects.filter(cart__user=shopper, quantity=2).exists()


def test_the_same_review_form_submitted_twice_places_one_order(shopper, product):
    fill_cart(shopper, (product, 1))
    first = place(shopper, token="tok-1")
    with pytest.raises(CartEmpty):
        place(shopper, token="tok-1")
    assert Order.objects.get() == first
