"""In a real browser: picking a variant swaps price, stock and the add button in place; facet links swap the
results, combine in the URL, and the back button restores the previous filters."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from catalog.models import Attribute, AttributeChoice, ProductAttributeValue
from tests.factories import make_category, make_product, make_product_type, make_variant


@pytest.fixture
def tee():
    tee_type = make_product_type("Tee", {"Size": ["S", "M", "L"], "Colour": ["Blue", "Red"]})
    material = Attribute.objects.create(product_type=tee_type, name="Material", kind="choice", is_facetable=True)
    cotton = AttributeChoice.objects.create(attribute=material, value="Cotton")
    tees = make_category("Tees", slug="tees")
    product = make_product("Cotton Tee", category=tees, product_type=tee_type, price=Decimal("20.00"))
    product.variants.all().delete()
    make_variant(product, "S", "Blue", stock=4, sku="TEE-S-BLU")
    make_variant(product, "M", "Blue", stock=2, sku="TEE-M-BLU", price_override=Decimal("22.00"))
    make_variant(product, "M", "Red", stock=0, sku="TEE-M-RED")
    ProductAttributeValue.objects.create(product=product, attribute=material, value_choice=cotton)
    other = make_product("Linen Tee", category=tees, product_type=tee_type, price=Decimal("30.00"))
    other.variants.all().delete()
    make_variant(other, "L", "Red", stock=1, sku="LIN-L-RED")
    make_product("Mug", price=Decimal("5.00"))
    return product


def test_picking_options_swaps_the_variant_in_place_and_adds_it(page, live_server, tee, console_errors):
    page.goto(live_server.url + f"/products/{tee.slug}/")
    expect(page.locator(".summary .sku")).to_have_text("SKU: TEE-S-BLU")
    loads = []
    page.on("load", lambda: loads.append(1))

    page.get_by_label("Size").select_option(label="M")

    expect(page.locator(".summary .sku")).to_have_text("SKU: TEE-M-BLU")
    expect(page.locator(".summary .price")).to_contain_text("22.00")
    expect(page.locator(".summary .stock")).to_have_text("Only 2 left")
    expect(page).to_have_url(re.compile(r"option-\d+="))

    page.get_by_label("Colour").select_option(label="Red (sold out)")
    expect(page.locator(".summary .cart-add-button")).to_have_text("Sold out")
    expect(page.locator(".summary .cart-add-button")).to_be_disabled()

    page.get_by_label("Colour").select_option(label="Blue")
    page.locator(".summary").get_by_role("button", name="Add to cart").click()
    expect(page.locator(".summary .cart-add-note")).to_contain_text("Cotton Tee (M / Blue)")
    assert loads == []
    assert console_errors == []


def test_facet_links_swap_results_combine_and_go_back(page, live_server, tee, console_errors):
    page.goto(live_server.url + "/products/")
    expect(page.locator(".result-count")).to_contain_text("3 products")
    loads = []
    page.on("load", lambda: loads.append(1))

    page.locator(".facet-o a", has_text="Red").click()
    expect(page.locator(".result-count")).to_contain_text("2 products")
    page.locator(".facet-o a", has_text="M").click()
    expect(page.locator(".product-name")).to_have_text(["Cotton Tee"])
    expect(page).to_have_url(re.compile(r"o=\d+&o=\d+"))
    assert loads == []

    page.go_back()
    expect(page.locator(".result-count")).to_contain_text("2 products")
    assert console_errors == []
