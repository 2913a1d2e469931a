import re
from decimal import Decimal

import pytest
from django.db import connection
from playwright.sync_api import expect

from tests.factories import make_category, make_product, make_products

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="typo tolerance is PostgreSQL-only")


@pytest.fixture
def shop():
    home = make_category("Home", slug="home")
    make_product("Desk Lamp", category=home, price=Decimal("19.90"), description="Warm light.")
    make_product("Floor Lamp", category=home, price=Decimal("79.00"))
    make_products(10, category=home)


def test_a_typo_typed_into_search_shows_lamps_and_a_did_you_mean_link(page, live_server, shop, console_errors):
    page.goto(live_server.url + "/products/")

    page.get_by_label("Search", exact=True).press_sequentially("lmap", delay=40)

    expect(page.locator(".did-you-mean")).to_contain_text("Did you mean lamp?")
    expect(page.locator(".product-name")).to_have_text(["Desk Lamp", "Floor Lamp"])
    page.get_by_role("link", name="lamp", exact=True).click()

    expect(page).to_have_url(re.compile(r"/products/\?q=lamp$"))
    expect(page.get_by_label("Search", exact=True)).to_have_value("lamp")
    expect(page.locator(".product-name")).to_have_text(["Desk Lamp", "Floor Lamp"])
    expect(page.locator(".did-you-mean")).to_have_count(0)
    assert console_errors == []
