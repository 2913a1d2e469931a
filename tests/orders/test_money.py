"""Money on the checkout, order and invoice pages: formatted by language, Decimal all the way."""

import decimal
import re
from decimal import Decimal

import pytest

from orders.models import Order
from tests.factories import make_product
from tests.orders.conftest import ADDRESS, fill_cart, place

pytestmark = pytest.mark.django_db
NBSP = "\xa0"


@pytest.fixture
def dear(db):
    return make_product("Brass orrery", price=Decimal("1620.44"), stock=5)


@pytest.fixture
def dear_order(shopper, dear):
    fill_cart(shopper, (dear, 1))
    return place(shopper)


def test_the_invoice_formats_money_like_every_other_page(client, shopper, dear_order):
    client.force_login(shopper)

    invoice = client.get(f"/orders/{dear_order.number}/invoice/").content.decode()

    assert "<td>€1,620.44</td>" in invoice  # unit price and amount
    assert "<td>€4.90</td>" in invoice  # shipping
    assert "<td>€1,625.34</td>" in invoice  # amount due
    assert not re.search(r"<td>[\d,]+\.\d\d</td>", invoice), "an amount without its currency"


def test_the_invoice_and_order_page_in_german(client, shopper, dear_order):
    client.force_login(shopper)

    german = {"HTTP_ACCEPT_LANGUAGE": "de", "follow": True}  # redirected to the /de/ page
    invoice = client.get(f"/orders/{dear_order.number}/invoice/", **german).content.decode()
    detail = client.get(f"/orders/{dear_order.number}/", **german).content.decode()
    history = client.get("/orders/", **german).content.decode()

    assert f"<td>1.625,34{NBSP}€</td>" in invoice
    assert f"<td>4,90{NBSP}€</td>" in invoice
    assert f"1.620,44{NBSP}€" in detail
    assert f"1.625,34{NBSP}€" in history


def test_the_shipping_methods_show_their_price_formatted(client, shopper, dear):
    fill_cart(shopper, (dear, 1))
    client.force_login(shopper)
    client.post("/checkout/", {"address": "new", **{f"new-{k}": v for k, v in ADDRESS.items()}})

    assert "Standard delivery: €4.90" in client.get("/checkout/shipping/").content.decode()
    german = client.get("/checkout/shipping/", HTTP_ACCEPT_LANGUAGE="de", follow=True).content.decode()
    assert f"Standardversand: 4,90{NBSP}€" in german  # the default method's name is translated


def test_tax_is_rounded_once_on_the_total_half_up(shopper, settings):
    settings.ORDER_TAX_RATE = Decimal("0.1")
    settings.SHOP_PRICES_INCLUDE_TAX = False  # net prices: the tax is added
    settings.ORDER_SHIPPING_RATES = {"free": ("Free", Decimal("0.00"))}
    # 3 × 0.35 = 1.05; 10 % of the total is 0.105 → 0.11. Rounded line by line (0.035 → 0.04 each) it would be 0.12.
    fill_cart(shopper, (make_product("Washer", price=Decimal("0.35")), 3))

    order = place(shopper, shipping="free")

    assert (order.subtotal, order.tax, order.total) == (Decimal("1.05"), Decimal("0.11"), Decimal("1.16"))


def test_no_float_reaches_money_from_cart_to_invoice(client, shopper, dear, settings):
    settings.ORDER_TAX_RATE = Decimal("0.2")
    settings.SHOP_PRICES_INCLUDE_TAX = False  # net prices: the tax is added
    client.force_login(shopper)
    with decimal.localcontext() as context:
        context.traps[decimal.FloatOperation] = True
        client.post("/cart/add/", {"product": dear.pk, "quantity": 2})
        assert "€3,240.88" in client.get("/cart/").content.decode()
        client.post("/checkout/", {"address": "new", **{f"new-{k}": v for k, v in ADDRESS.items()}})
        client.post("/checkout/shipping/", {"method": "standard"})
        review = client.get("/checkout/review/").content.decode()
        assert "€649.16" in review  # 20 % of 3,240.88 + 4.90
        quote = re.search(r'name="quote" value="([^"]+)"', review)[1]
        token = re.search(r'name="token" value="([^"]+)"', review)[1]
        assert client.post("/checkout/place/", {"quote": quote, "token": token}).status_code == 302
        order = Order.objects.get()
        for url in (f"/orders/{order.number}/", f"/orders/{order.number}/invoice/", "/orders/"):
            assert client.get(url).status_code == 200
    assert order.total == Decimal("3894.94")
