"""A page from a shared cache in a real browser: the badge loads after the page and shows the visitor's own
count, the beacon loads, and adding to the cart works from the token-less page."""

import re
from decimal import Decimal

import pytest
from django.test import Client
from playwright.sync_api import expect

from cart.models import Cart, CartLine
from tests.factories import default_variant, make_category, make_product


@pytest.fixture
def lamp():
    return make_product("Desk Lamp", category=make_category("Home", slug="home"), price=Decimal("19.90"), stock=9)


def test_the_badge_loads_after_a_cached_page_and_shows_the_visitors_count(page, live_server, lamp, console_errors):
    # What a shared cache holds for /products/: the page as any visitor without state gets it.
    cached = Client().get("/products/")
    assert "public" in cached["Cache-Control"]
    assert 'class="cart-count">0<' in cached.text
    cart = Cart.objects.create(token="b" * 43)
    CartLine.objects.create(cart=cart, product=lamp, variant=default_variant(lamp), quantity=3, price_seen=lamp.price)
    page.context.add_cookies([{"name": "shop_cart", "value": cart.token, "url": live_server.url}])
    # The cache answers the page (a CDN that ignored the cookie, or the browser's back button).
    page.route(
        re.compile(r".*/products/$"),
        lambda route: route.fulfill(
            status=200, body=cached.content, headers={"Content-Type": "text/html; charset=utf-8"}
        ),
    )

    with page.expect_response(re.compile(r"/cart/badge/$")) as badge:
        page.goto(live_server.url + "/products/")
    assert "no-store" in badge.value.headers["cache-control"]
    expect(page.locator("#cart-badge .cart-count")).to_have_text("3")
    assert console_errors == []


def test_a_shared_product_page_records_its_view_and_adds_to_the_cart(page, live_server, lamp, console_errors):
    with page.expect_response(re.compile(r"/seen/\?product=")) as seen:
        response = page.goto(live_server.url + lamp.get_absolute_url())
    assert "public" in response.headers["cache-control"]
    assert seen.value.status == 204  # (headless Chromium counts as a bot: what it records is tested over HTTP)
    # No token on the page: the first add starts the cart, the second sends the CSRF cookie's token.
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator("#cart-badge .cart-count")).to_have_text("1")
    page.get_by_role("button", name="In cart (1)").click()
    expect(page.locator("#cart-badge .cart-count")).to_have_text("2")
    assert CartLine.objects.get().quantity == 2
    assert console_errors == []
