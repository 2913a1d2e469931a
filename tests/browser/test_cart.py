"""The cart in a real browser: add from the list (the badge follows without a reload), change quantity,
remove and undo, the anonymous cart merged at login, and everything again without JavaScript."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.models import User
from cart.models import Cart, CartLine
from tests.factories import default_variant, make_category, make_product

PASSWORD = "a-long-and-unusual-passphrase-42"


@pytest.fixture
def shop():
    home = make_category("Home", slug="home")
    return {
        "lamp": make_product("Desk Lamp", category=home, price=Decimal("19.90"), stock=3),
        "kettle": make_product("Kettle", category=home, price=Decimal("25.00"), stock=20),
    }


def badge(page):
    return page.locator("#cart-badge .cart-count")


def card(page, name):
    return page.locator(".product-card", has_text=name)


def test_add_from_the_list_updates_button_and_badge_without_a_reload(page, live_server, shop, console_errors):
    page.goto(live_server.url + "/products/")
    expect(badge(page)).to_have_text("0")
    loads = []
    page.on("load", lambda: loads.append(1))

    with page.expect_response(re.compile(r"/cart/add/$")) as added:
        card(page, "Desk Lamp").get_by_role("button", name="Add to cart").click()
    assert added.value.request.headers.get("hx-request") == "true"

    expect(card(page, "Desk Lamp").get_by_role("button")).to_have_text("In cart (1)")
    expect(badge(page)).to_have_text("1")
    card(page, "Desk Lamp").get_by_role("button", name="In cart (1)").click()
    expect(card(page, "Desk Lamp").get_by_role("button")).to_have_text("In cart (2)")
    expect(badge(page)).to_have_text("2")
    card(page, "Kettle").get_by_role("button", name="Add to cart").click()
    expect(badge(page)).to_have_text("3")
    assert loads == []  # no page load
    assert CartLine.objects.count() == 2
    assert console_errors == []


def test_change_quantity_remove_and_undo_on_the_cart_page(page, live_server, shop, console_errors):
    page.goto(live_server.url + "/products/")
    card(page, "Desk Lamp").get_by_role("button", name="Add to cart").click()
    expect(badge(page)).to_have_text("1")
    card(page, "Kettle").get_by_role("button", name="Add to cart").click()
    expect(badge(page)).to_have_text("2")
    page.get_by_role("link", name=re.compile("^Cart")).click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    loads = []
    page.on("load", lambda: loads.append(1))

    # Typing updates the cart after a pause; totals change in place.
    quantity = page.get_by_label("Quantity of Kettle")
    quantity.fill("")
    quantity.press_sequentially("3", delay=50)
    expect(page.locator("#cart-subtotal")).to_have_text("€94.90")  # 19.90 + 3 × 25.00
    expect(page.locator("tr", has_text="Kettle").locator(".line-total")).to_have_text("€75.00")
    expect(badge(page)).to_have_text("4")

    # More than the stock: capped, with a message.
    lamp_quantity = page.get_by_label("Quantity of Desk Lamp")
    lamp_quantity.fill("7")
    expect(page.locator("#cart")).to_contain_text("Only 3 of “Desk Lamp” in stock: your cart has 3.")
    expect(page.get_by_label("Quantity of Desk Lamp")).to_have_value("3")
    expect(badge(page)).to_have_text("6")

    page.get_by_role("button", name="Remove Desk Lamp").click()
    expect(page.locator("#cart")).to_contain_text("Removed “Desk Lamp”.")
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(badge(page)).to_have_text("3")

    page.get_by_role("button", name="Undo").click()
    expect(page.locator("tbody tr")).to_have_count(2)
    expect(page.get_by_role("button", name="Undo")).to_have_count(0)
    expect(badge(page)).to_have_text("6")
    assert loads == []
    assert console_errors == []


def test_the_anonymous_cart_is_merged_at_login(page, live_server, shop, console_errors):
    user = User.objects.create_user("shopper@example.org", PASSWORD)
    earlier = Cart.objects.create(user=user)
    CartLine.objects.create(
        cart=earlier,
        product=shop["lamp"],
        variant=default_variant(shop["lamp"]),
        quantity=2,
        price_seen=Decimal("19.90"),
    )

    page.goto(live_server.url + shop["lamp"].get_absolute_url())
    page.get_by_label("Quantity").fill("2")
    page.get_by_role("article").get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("article").get_by_role("button", name="In cart (2)")).to_be_visible()
    page.goto(live_server.url + shop["kettle"].get_absolute_url())
    page.get_by_role("article").get_by_role("button", name="Add to cart").click()
    expect(badge(page)).to_have_text("3")

    page.get_by_role("link", name="Log in").click()
    page.get_by_label("E-mail address").fill("shopper@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page.locator("#messages")).to_contain_text("Only 3 of “Desk Lamp” in stock: your cart has 3.")
    expect(badge(page)).to_have_text("4")
    page.goto(live_server.url + "/cart/")
    expect(page.get_by_label("Quantity of Desk Lamp")).to_have_value("3")
    expect(page.get_by_label("Quantity of Kettle")).to_have_value("1")
    assert not any(c["name"] == "shop_cart" for c in page.context.cookies())
    assert console_errors == []


def test_the_cart_works_without_javascript(browser, live_server, shop):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/products/")

    card(page, "Desk Lamp").get_by_role("button", name="Add to cart").click()
    expect(page).to_have_url(live_server.url + "/products/")
    expect(page.locator("#messages")).to_contain_text("Added “Desk Lamp” to your cart.")
    expect(card(page, "Desk Lamp").get_by_role("button")).to_have_text("In cart (1)")
    expect(badge(page)).to_have_text("1")

    page.get_by_role("link", name=re.compile("^Cart")).click()
    page.get_by_label("Quantity of Desk Lamp").fill("2")
    page.get_by_role("button", name="Update").click()
    expect(page.locator("#cart-subtotal")).to_have_text("€39.80")
    expect(badge(page)).to_have_text("2")

    page.get_by_role("button", name="Remove Desk Lamp").click()
    expect(page.locator("#cart")).to_contain_text("Your cart is empty.")
    page.get_by_role("button", name="Undo").click()
    expect(page.get_by_label("Quantity of Desk Lamp")).to_have_value("2")

    page.get_by_role("button", name="Empty the cart").click()
    expect(page.locator("#cart")).to_contain_text("Your cart is empty.")
    expect(badge(page)).to_have_text("0")
    context.close()


def test_the_same_products_buttons_elsewhere_on_the_page_follow(page, live_server, shop, console_errors):
    """Home shows a featured product twice (Featured, New in): adding from one updates both, no reload."""
    type(shop["lamp"]).objects.filter(pk=shop["lamp"].pk).update(is_featured=True)
    page.goto(live_server.url + "/")
    buttons = page.locator(f'.cart-add-button[data-product="{shop["lamp"].pk}"]')
    expect(buttons).to_have_count(2)
    loads = []
    page.on("load", lambda: loads.append(1))

    page.locator("section", has_text="Featured").get_by_role("button", name="Add to cart").click()

    expect(buttons.nth(0)).to_have_text("In cart (1)")
    expect(buttons.nth(1)).to_have_text("In cart (1)")
    expect(badge(page)).to_have_text("1")
    page.locator("section", has_text="New in").locator(".product-card", has_text="Desk Lamp").get_by_role(
        "button", name="In cart (1)"
    ).click()
    expect(buttons.nth(0)).to_have_text("In cart (2)")
    expect(buttons.nth(1)).to_have_text("In cart (2)")
    expect(badge(page)).to_have_text("2")
    expect(card(page, "Kettle").get_by_role("button")).to_have_text("Add to cart")  # only that product's
    assert loads == []
    assert console_errors == []
