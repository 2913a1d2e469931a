"""In a real browser: picking a variant on sale swaps in its struck-through price, and the page passes axe."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.browser.checkers import axe_violations
from tests.factories import make_product, make_product_type, make_variant


@pytest.fixture
def tee():
    tee_type = make_product_type("Tee", {"Size": ["S", "M"]})
    product = make_product("Sale Tee", product_type=tee_type, price=Decimal("20.00"))
    product.variants.all().delete()
    make_variant(product, "S", stock=4, sku="TEE-S")
    make_variant(product, "M", stock=4, sku="TEE-M", sale_price_override=Decimal("15.00"))  # an open-ended sale
    return product


def test_the_variant_swap_shows_the_sale_struck_through(page, live_server, tee, console_errors):
    page.goto(live_server.url + f"/products/{tee.slug}/")
    price = page.locator(".summary .price")
    expect(price).to_have_text("€20.00")
    expect(price.locator("del")).to_have_count(0)
    loads = []
    page.on("load", lambda: loads.append(1))

    page.get_by_label("Size").select_option(label="M")

    expect(page.locator(".summary .sku")).to_have_text("SKU: TEE-M")
    expect(price.locator("del")).to_have_text("Regular price €20.00")
    expect(price.locator("ins")).to_have_text("Sale price €15.00")
    assert loads == []
    assert axe_violations(page) == []
    assert console_errors == []
