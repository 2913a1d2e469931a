"""Sales: a sale price between optional start and end, struck through beside it, used at the time of ordering."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from cart.models import Cart
from catalog.models import ProductVariant
from orders.models import Order
from tests.factories import default_variant, make_product, make_product_type, make_variant
from tests.orders.conftest import ADDRESS, checkout_for, fill_cart, make_shopper, place

pytestmark = pytest.mark.django_db
D = Decimal
START = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)
END = datetime(2026, 12, 12, 9, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)
STRUCK = re.compile(
    r"<del><span class=\"visually-hidden\">Regular price </span>€10.00</del>\s*"
    r"<ins><span class=\"visually-hidden\">Sale price </span>€7.50</ins>"
)


@pytest.fixture
def kettle(db):
    return make_product("Kettle", price=D("10.00"), sale_price=D("7.50"), sale_starts_at=START, sale_ends_at=END)


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.mark.parametrize(
    ("moment", "price"),
    [
        (START - SECOND, D("10.00")),  # the last second before the sale
        (START, D("7.50")),  # its first second
        (END - SECOND, D("7.50")),  # its last second
        (END, D("10.00")),  # over
    ],
)
def test_the_sale_runs_from_its_start_up_to_but_not_including_its_end(kettle, moment, price):
    variant = ProductVariant.objects.select_related("product").get(product=kettle)
    with time_machine.travel(moment, tick=False):
        assert variant.current_price == price
        assert kettle.current_price == price


def test_an_open_ended_sale(db):
    product = make_product("Mug", price=D("10.00"), sale_price=D("8.00"))
    with time_machine.travel(datetime(2030, 1, 1, tzinfo=UTC)):
        assert product.on_sale
        assert product.current_price == D("8.00")


def test_a_variants_own_sale_price_in_the_products_window(kettle):
    variant = default_variant(kettle)
    variant.sale_price_override = D("6.00")
    variant.save()
    variant = ProductVariant.objects.select_related("product").get(pk=variant.pk)
    with time_machine.travel(START, tick=False):
        assert variant.price_now() == (D("10.00"), D("6.00"))
    with time_machine.travel(END, tick=False):
        assert variant.price_now() == (D("10.00"), D("10.00"))


def test_the_list_detail_and_cart_strike_the_regular_price_through(client, kettle):
    with time_machine.travel(START + SECOND, tick=False):
        assert STRUCK.search(text(client.get("/products/")))
        assert STRUCK.search(text(client.get(f"/products/{kettle.slug}/")))
        client.post("/cart/add/", {"product": kettle.pk, "quantity": 1})
        assert STRUCK.search(text(client.get("/cart/")))
    with time_machine.travel(END, tick=False):
        page = text(client.get(f"/products/{kettle.slug}/"))
        assert "<del>" not in page
        assert "€10.00" in page


def test_the_htmx_variant_swap_shows_the_variants_sale(client, db):
    tee_type = make_product_type("Tee", {"Size": ["S", "M"]})
    tee = make_product("Tee", product_type=tee_type, price=D("10.00"), sale_starts_at=START, sale_ends_at=END)
    tee.variants.all().delete()
    make_variant(tee, "S", sku="TEE-S")
    medium = make_variant(tee, "M", sku="TEE-M", sale_price_override=D("7.50"))
    with time_machine.travel(START, tick=False):
        swapped = text(client.get(f"/products/{tee.slug}/", {"variant": medium.pk}, headers={"HX-Request": "true"}))
        assert "<html" not in swapped
        assert STRUCK.search(swapped)
        small = default_variant(tee)
        plain = text(client.get(f"/products/{tee.slug}/", {"variant": small.pk}, headers={"HX-Request": "true"}))
        assert "<del>" not in plain


def test_a_cached_list_does_not_outlive_the_sales_start_or_end(client, kettle):
    with time_machine.travel(START - SECOND, tick=False):
        assert "<del>" not in text(client.get("/products/"))  # now cached for this catalog version
    with time_machine.travel(START, tick=False):
        assert STRUCK.search(text(client.get("/products/")))
        assert STRUCK.search(text(client.get(f"/products/{kettle.slug}/")))
    with time_machine.travel(END, tick=False):
        assert "<del>" not in text(client.get("/products/"))
        assert "<del>" not in text(client.get(f"/products/{kettle.slug}/"))


def test_the_order_line_keeps_the_sale_price_after_the_sale_ends(client, kettle):
    shopper = make_shopper()
    with time_machine.travel(START, tick=False):
        fill_cart(shopper, (kettle, 2))
        order = place(shopper)
    assert (order.lines.get().unit_price, order.subtotal) == (D("7.50"), D("15.00"))
    with time_machine.travel(END + timedelta(days=3), tick=False):
        client.force_login(shopper)
        page = text(client.get(f"/orders/{order.number}/"))
        assert "€7.50" in page
        assert "€15.00" in page
        assert Order.objects.get().lines.get().unit_price == D("7.50")


def test_a_sale_starting_between_review_and_place_asks_to_confirm_again(client, kettle):
    shopper = make_shopper()
    fill_cart(shopper, (kettle, 1))
    with time_machine.travel(START - timedelta(minutes=1), tick=False):
        client.force_login(shopper)  # the session's idle clock starts in the travelled time
        client.post("/checkout/", {"address": "new", **{f"new-{k}": v for k, v in ADDRESS.items()}})
        client.post("/checkout/shipping/", {"method": "standard"})
        page = client.get("/checkout/review/").content.decode()
        quote = re.search(r'name="quote" value="([^"]+)"', page)[1]
        token = re.search(r'name="token" value="([^"]+)"', page)[1]
    with time_machine.travel(START, tick=False):
        response = client.post("/checkout/place/", {"quote": quote, "token": token})
        assert response.status_code == 409
        page = response.content.decode()
        assert "prices changed" in page
        assert "Confirm the new total and place order" in page
        assert "€12.40" in page  # 7.50 + shipping 4.90
    assert not Order.objects.exists()
    assert Cart.objects.get(user=shopper).lines.count() == 1


def test_a_sale_ending_between_review_and_place_asks_to_confirm_again(kettle):
    shopper = make_shopper()
    fill_cart(shopper, (kettle, 1))
    with time_machine.travel(END - SECOND, tick=False):
        checkout = checkout_for(shopper)
    from orders.pipeline import PricesChanged, checkout_place

    with time_machine.travel(END, tick=False), pytest.raises(PricesChanged):
        checkout_place(checkout)
    assert not Order.objects.exists()


def test_a_sale_price_must_be_below_the_price_in_the_admin(client, django_user_model, kettle):
    client.force_login(django_user_model.objects.create_superuser("boss@example.com", "a-long-passphrase-42"))
    from tests.catalog.test_admin import change_form

    response = client.post(f"/admin/catalog/product/{kettle.pk}/change/", change_form(kettle, sale_price="10.00"))
    assert response.status_code == 200
    assert "A sale price is lower than the price" in response.content.decode()
    ends_first = change_form(kettle, sale_starts_at_0="2026-12-12", sale_starts_at_1="09:00:00")
    ends_first.update(sale_ends_at_0="2026-12-10", sale_ends_at_1="09:00:00", sale_price="7.50")
    response = client.post(f"/admin/catalog/product/{kettle.pk}/change/", ends_first)
    assert "The sale must end after it starts." in response.content.decode()


def test_net_prices_are_shown_excl_vat(client, settings, kettle):
    settings.SHOP_PRICES_INCLUDE_TAX = False
    with time_machine.travel(END, tick=False):
        assert '€10.00 <small class="tax-note">excl. VAT</small>' in text(client.get(f"/products/{kettle.slug}/"))
        assert "excl. VAT" in text(client.get("/products/"))


def test_gross_prices_carry_no_tax_note(client, kettle):
    assert "excl. VAT" not in text(client.get(f"/products/{kettle.slug}/"))


def test_the_api_and_the_structured_data_give_the_price_now(client, kettle):
    """Integrations and search engines see the price the page and the checkout charge, not the regular one."""
    with time_machine.travel(START + SECOND, tick=False):
        item = client.get(f"/api/v1/product/{kettle.pk}").json()
        assert (item["price"], item["regular_price"]) == ("7.50", "10.00")
        assert (item["variants"][0]["price"], item["variants"][0]["regular_price"]) == ("7.50", "10.00")
        page = client.get(f"/products/{kettle.slug}/").content.decode()
        assert '"price":"7.50"' in page
        assert '<meta property="product:price:amount" content="7.50">' in page
    with time_machine.travel(END, tick=False):
        item = client.get(f"/api/v1/product/{kettle.pk}").json()
        assert (item["price"], item["regular_price"]) == ("10.00", "10.00")
