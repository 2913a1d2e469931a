import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.factories import make_category, make_product, make_products


@pytest.fixture
def shop():
    home = make_category("Home", slug="home")
    garden = make_category("Garden", slug="garden")
    make_product("Desk Lamp", category=home, price=Decimal("19.90"), stock=3, description="Warm light.")
    make_product("Floor Lamp", category=home, price=Decimal("79.00"))
    make_product("Kettle", category=home, price=Decimal("25.00"), stock=0)
    make_products(30, category=garden)


def test_search_as_you_type_updates_results_and_url_and_back_restores(page, live_server, shop, console_errors):
    page.goto(live_server.url + "/products/")
    expect(page.locator(".result-count")).to_contain_text("33 products")
    loads = []
    page.on("load", lambda: loads.append(1))

    search = page.get_by_label("Search", exact=True)
    # A pause longer than the 300 ms debounce (a slow typist, or a loaded machine between two key presses):
    # results for "la" arrive in between, and still typing the search adds one history entry, not two.
    search.press_sequentially("la", delay=40)
    expect(page).to_have_url(re.compile(r"/products/\?q=la(&|$)"))
    search.press_sequentially("mp", delay=40)

    expect(page.locator(".result-count")).to_contain_text("2 products for “lamp”")
    expect(page).to_have_url(re.compile(r"/products/\?q=lamp"))
    expect(page.locator(".product-name")).to_have_text(["Desk Lamp", "Floor Lamp"])
    assert loads == []  # updated in place, no page load

    page.go_back()

    expect(page).to_have_url(live_server.url + "/products/")
    expect(page.locator(".result-count")).to_contain_text("33 products")
    assert console_errors == []


def test_filter_sort_and_paginate(page, live_server, shop, console_errors):
    page.goto(live_server.url + "/products/")

    page.get_by_label("Category").select_option("garden")
    expect(page.locator(".result-count")).to_contain_text("30 products")
    page.get_by_label("Sort by").select_option("-price")
    expect(page).to_have_url(re.compile(r"sort=-price"))
    expect(page.locator(".product-name").first).to_have_text(re.compile("Bulk product"))
    first_page = page.locator(".product-name").all_text_contents()
    page.get_by_role("link", name="Next").click()

    expect(page.locator(".pagination")).to_contain_text("Page 2 of 2")
    expect(page).to_have_url(re.compile(r"category=garden.*page=2|page=2.*category=garden"))
    assert set(page.locator(".product-name").all_text_contents()).isdisjoint(first_page)

    page.get_by_label("Category").select_option("home")
    page.get_by_label("In stock only").check()
    expect(page.locator(".product-name")).to_have_text(["Floor Lamp", "Desk Lamp"])
    assert console_errors == []


def test_the_filter_form_works_without_javascript(browser, live_server, shop):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/products/")

    page.get_by_label("Search", exact=True).fill("kettle")
    page.get_by_role("button", name="Apply", exact=True).click()

    expect(page).to_have_url(re.compile(r"q=kettle"))
    expect(page.locator(".product-name")).to_have_text(["Kettle"])
    context.close()


def test_header_search_then_open_a_product(page, live_server, shop, console_errors):
    page.goto(live_server.url + "/")

    page.get_by_label("Search products").fill("desk")
    page.get_by_label("Search products").press("Enter")
    page.get_by_role("link", name="Desk Lamp").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Desk Lamp")
    expect(page.locator(".summary .stock")).to_have_text("Only 3 left")
    expect(page.get_by_role("navigation", name="Breadcrumb")).to_contain_text("Home")
    expect(page.get_by_role("heading", name="You may also like")).to_be_visible()
    assert console_errors == []
