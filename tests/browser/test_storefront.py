"""The designed storefront in a real browser: axe finds nothing, phones get a one-row header with a menu
that works without JavaScript, and no page scrolls sideways at 390 px."""

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from accounts.models import User
from tests.browser.checkers import axe_violations
from tests.factories import make_category, make_product
from tests.orders.conftest import fill_cart, make_shopper, pay, place

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
ANONYMOUS_PAGES = [
    "/",
    "/products/",
    "/products/?q=lamp",
    "/products/?q=nothing-matches-this",
    "/categories/lighting/",
    "/products/desk-lamp/",
    "/cart/",
    "/accounts/login/",
    "/accounts/register/",
    "/orders/lookup/",
    "/pages/terms/",
    "/pages/imprint/",
    "/no-such-page/",
]


@pytest.fixture
def catalog():
    lighting = make_category("Lighting", slug="lighting")
    make_product("Desk lamp", category=lighting, slug="desk-lamp", description="A brass desk lamp.")
    make_product("Floor lamp", category=lighting, slug="floor-lamp", stock=2)
    make_product("Pendant lamp", category=lighting, slug="pendant-lamp", stock=0)


def _logged_in(page, live_server, user):
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])


def _no_sideways_scroll(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_axe_finds_no_violation_on_the_shoppers_pages(page, live_server, catalog, viewport):
    page.set_viewport_size(viewport)
    found = {}
    for url in ANONYMOUS_PAGES:
        page.goto(live_server.url + url)
        problems = axe_violations(page)
        if problems:
            found[url] = problems
        assert _no_sideways_scroll(page) <= viewport["width"], url
    if viewport is PHONE:  # and with the menu open
        page.goto(live_server.url + "/")
        page.get_by_text("Menu", exact=True).click()
        if problems := axe_violations(page):
            found["/ (menu open)"] = problems
    assert found == {}


def test_the_phone_header_is_one_row_with_a_menu_that_needs_no_javascript(browser, live_server, catalog):
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/")
    boxes = [page.locator(sel).bounding_box() for sel in (".brand", "#cart-badge", ".menu-toggle")]
    centres = [b["y"] + b["height"] / 2 for b in boxes]
    assert max(centres) - min(centres) < 8  # one row
    assert page.locator(".site-header").bounding_box()["height"] < 80
    products = page.get_by_role("navigation", name="Main").get_by_role("link", name="Products")
    expect(products).to_be_hidden()
    page.get_by_text("Menu", exact=True).click()
    expect(products).to_be_visible()
    expect(page.get_by_role("searchbox", name="Search products")).to_be_visible()
    products.click()
    expect(page.get_by_role("heading", name="Products", level=1)).to_be_visible()
    context.close()


def test_on_a_desktop_the_menu_is_always_open_and_its_button_hidden(page, live_server, catalog):
    page.set_viewport_size(DESKTOP)
    page.goto(live_server.url + "/")
    expect(page.locator(".menu-toggle")).to_be_hidden()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Log in")).to_be_visible()
    expect(page.get_by_role("searchbox", name="Search products")).to_be_visible()
    header = page.locator(".site-header").bounding_box()
    assert header["height"] < 90


def test_order_invoice_sessions_and_analytics_fit_a_phone_and_pass_axe(page, live_server, catalog):
    shopper = make_shopper()
    fill_cart(shopper, *[(p, 1) for p in make_product_set()])
    order = place(shopper)
    pay(order)
    _logged_in(page, live_server, shopper)
    page.set_viewport_size(PHONE)
    found = {}
    for url in [f"/orders/{order.number}/", f"/orders/{order.number}/invoice/", "/accounts/sessions/", "/orders/"]:
        page.goto(live_server.url + url)
        assert page.locator("h1").count() == 1, url
        assert _no_sideways_scroll(page) <= PHONE["width"], url
        if problems := axe_violations(page):
            found[url] = problems
    boss = User.objects.create_superuser("boss@example.com", "a-long-password-1")
    page.context.clear_cookies()
    _logged_in(page, live_server, boss)
    page.goto(live_server.url + "/staff/analytics/?days=7")
    assert _no_sideways_scroll(page) <= PHONE["width"]
    if problems := axe_violations(page):
        found["/staff/analytics/"] = problems
    assert found == {}


def make_product_set():
    category = make_category("Textiles", slug="textiles")
    return [
        make_product("Linen throw with a rather long name that wraps", category=category, slug="linen-throw"),
        make_product("Wool blanket", category=category, slug="wool-blanket"),
    ]
