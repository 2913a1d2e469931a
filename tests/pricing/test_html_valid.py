"""The pages with sales and tax pass the Nu Html Checker: struck-through prices, the business fields (with an
error), the review's breakdown, the order page and the invoice under reverse charge."""

import shutil
from decimal import Decimal

import pytest

from tests.browser.checkers import require
from tests.factories import make_product
from tests.orders.conftest import fill_cart, make_shopper
from tests.pricing.test_checkout import address_data, place
from tests.storefront.test_html_valid import VNU, vnu_errors


@pytest.mark.django_db
def test_sale_and_tax_pages_are_valid_html(client, rates, tmp_path, settings):
    jar = require(VNU)
    if shutil.which("java") is None:
        pytest.skip("java is not installed")
    settings.SHOP_SELLER_ADDRESS = "Hauptstraße 1|10115 Berlin"
    settings.SHOP_SELLER_VAT_NUMBER = "DE136695976"
    lamp = make_product("Desk lamp", slug="desk-lamp", price=Decimal("20.00"), sale_price=Decimal("15.00"))
    book = make_product("Atlas", price=Decimal("21.40"), tax_class_id="reduced")
    shopper = make_shopper()
    fill_cart(shopper, (lamp, 1), (book, 1))
    client.force_login(shopper)
    pages = {url: client.get(url).content for url in ("/products/", "/products/desk-lamp/", "/cart/")}
    bad = {**address_data("FR"), "business-company": "Babbage SARL", "business-vat_number": "FR1"}
    pages["address step with an error"] = client.post("/checkout/", bad).content
    business = {"company": "Babbage SARL", "vat_number": "FR40303265045"}
    order = place(client, "FR", **business)
    pages["order"] = client.get(f"/orders/{order.number}/").content
    pages["invoice"] = client.get(f"/orders/{order.number}/invoice/").content
    fill_cart(shopper, (lamp, 1), (book, 1))
    client.post("/checkout/", address_data("DE"))
    client.post("/checkout/shipping/", {"method": "standard"})
    pages["review"] = client.get("/checkout/review/").content
    assert b"Including VAT 7 %" in pages["review"]
    files = {}
    for n, (name, content) in enumerate(pages.items()):
        files[name] = tmp_path / f"page-{n}.html"
        files[name].write_bytes(content)
    assert vnu_errors(jar, files) == []
