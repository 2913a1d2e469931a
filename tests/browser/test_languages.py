"""The language switcher in a real browser: with and without JavaScript, and a German browser."""

import pytest
from playwright.sync_api import expect

from tests.browser.checkers import axe_violations
from tests.factories import make_category, make_product


@pytest.fixture
def catalog():
    lighting = make_category("Lighting", slug="lighting")
    make_product("Desk lamp", category=lighting, slug="desk-lamp", stock=5)


def _switch_to_german_and_back(page, live_server):
    page.goto(live_server.url + "/products/?q=lamp")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    switcher = page.get_by_role("navigation", name="Language")
    expect(switcher.get_by_role("link", name="English")).to_have_attribute("aria-current", "true")
    switcher.get_by_role("link", name="Deutsch").click()
    page.wait_for_url(live_server.url + "/de/products/?q=lamp")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("heading", level=1)).to_have_text("Produkte")
    expect(page.get_by_role("button", name="In den Warenkorb")).to_be_visible()
    # The cookie remembers the choice: an unprefixed address now leads to the German page.
    page.goto(live_server.url + "/products/desk-lamp/")
    assert page.url == live_server.url + "/de/products/desk-lamp/"
    page.get_by_role("navigation", name="Sprache").get_by_role("link", name="English").click()
    page.wait_for_url(live_server.url + "/products/desk-lamp/")
    expect(page.get_by_role("button", name="Add to cart")).to_be_visible()


def test_the_switcher_shows_the_same_page_in_german_and_back(page, live_server, catalog):
    _switch_to_german_and_back(page, live_server)
    page.goto(live_server.url + "/de/products/")
    assert axe_violations(page) == []


def test_the_switcher_works_without_javascript(browser, live_server, catalog):
    context = browser.new_context(java_script_enabled=False)
    _switch_to_german_and_back(context.new_page(), live_server)
    context.close()


def test_a_german_browser_lands_on_german_pages(browser, live_server, catalog):
    context = browser.new_context(locale="de-DE", extra_http_headers={"Accept-Language": "de-DE,de;q=0.9"})
    page = context.new_page()
    page.goto(live_server.url + "/")
    assert page.url == live_server.url + "/de/"
    expect(page.locator("html")).to_have_attribute("lang", "de")
    page.get_by_role("link", name="Alle Produkte", exact=True).click()
    page.wait_for_url(live_server.url + "/de/products/")
    context.close()
