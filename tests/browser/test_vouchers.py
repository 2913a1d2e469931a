"""A voucher code in a real browser: applied and removed on the cart page with htmx (the totals box
changes in place, no page load), a refusal on the field, and the page stays accessible."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from cart.models import Cart
from discounts.models import Promotion, Voucher
from tests.browser.checkers import axe_violations
from tests.factories import make_category, make_product


@pytest.fixture
def shop():
    home = make_category("Home", slug="home")
    Voucher.objects.create(code="SAVE10", kind="percentage", value=Decimal("10"))
    Promotion.objects.create(name="Free shipping over 30", kind="free_shipping_over", threshold=Decimal("30.00"))
    return make_product("Kettle", category=home, price=Decimal("25.00"), stock=20)


def test_applying_a_voucher_updates_the_totals_without_a_reload(page, live_server, shop, console_errors):
    page.goto(live_server.url + "/products/")
    page.locator(".product-card", has_text="Kettle").get_by_role("button", name="Add to cart").click()
    expect(page.locator("#cart-badge .cart-count")).to_have_text("1")
    page.goto(live_server.url + "/cart/")
    loads = []
    page.on("load", lambda: loads.append(1))

    code = page.get_by_label("Voucher code")
    code.fill("nope")
    with page.expect_response(re.compile(r"/cart/voucher/$")) as answered:
        page.get_by_role("button", name="Apply").click()
    assert answered.value.request.headers.get("hx-request") == "true"
    expect(page.locator("#voucher-error")).to_have_text("This code is not valid. Check it and try again.")
    expect(page.get_by_label("Voucher code")).to_have_attribute("aria-invalid", "true")

    page.get_by_label("Voucher code").fill("save10")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_test_id("voucher-code")).to_have_text("SAVE10")
    expect(page.get_by_test_id("you-save")).to_have_text("You save €2.50")
    expect(page.get_by_test_id("cart-total")).to_have_text("€22.50")
    assert Cart.objects.get().voucher.code == "SAVE10"
    assert axe_violations(page) == []

    page.get_by_role("button", name="Remove code SAVE10").click()
    expect(page.get_by_label("Voucher code")).to_be_visible()
    expect(page.get_by_test_id("you-save")).to_have_count(0)
    assert loads == []  # every change came back as a fragment
    assert Cart.objects.get().voucher is None
    assert console_errors == []


def test_the_voucher_box_works_without_javascript(browser, live_server, shop):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + shop.get_absolute_url())
    page.get_by_role("button", name="Add to cart").click()
    page.goto(live_server.url + "/cart/")
    page.get_by_label("Voucher code").fill("SAVE10")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(live_server.url + "/cart/")
    expect(page.get_by_test_id("you-save")).to_have_text("You save €2.50")
    context.close()
