"""Tax at checkout through real HTTP: the shipping country's rates, the business fields, the invoice."""

import re
from decimal import Decimal

import pytest

from orders.models import Order
from tests.factories import make_product
from tests.orders.conftest import ADDRESS, fill_cart, make_shopper

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def cart_client(client, rates):
    shopper = make_shopper()
    book = make_product("Atlas of Birds", price=D("21.40"), tax_class_id="reduced", stock=5)
    lamp = make_product("Desk lamp", price=D("23.80"), stock=5)
    fill_cart(shopper, (book, 1), (lamp, 1))
    client.force_login(shopper)
    return client


POSTCODES = {"DE": ("10115", "Berlin"), "FR": ("75001", "Paris")}


def address_data(country: str) -> dict:
    postcode, city = POSTCODES[country]
    address = {**ADDRESS, "country": country, "postcode": postcode, "city": city}
    return {"address": "new", **{f"new-{k}": v for k, v in address.items()}}


def address_step(client, country: str, **business):
    data = address_data(country)
    data.update({f"business-{k}": v for k, v in business.items()})
    return client.post("/checkout/", data)


def to_review(client, country: str, **business) -> tuple[str, str, str]:
    assert address_step(client, country, **business).url == "/checkout/shipping/"
    assert client.post("/checkout/shipping/", {"method": "standard"}).url == "/checkout/review/"
    page = client.get("/checkout/review/").content.decode()
    return (
        page,
        re.search(r'name="quote" value="([^"]+)"', page)[1],
        re.search(r'name="token" value="([^"]+)"', page)[1],
    )


def place(client, country: str, **business) -> Order:
    _, quote, token = to_review(client, country, **business)
    response = client.post("/checkout/place/", {"quote": quote, "token": token})
    assert response.status_code == 302, response.content.decode()
    return Order.objects.get()


def test_checkout_applies_the_shipping_countrys_rates_per_class(cart_client):
    page, _, _ = to_review(cart_client, "DE")
    # standard 23.80 + shipping 4.90 = 28.70 × 19/119 = 4.58; reduced 21.40 × 7/107 = 1.40
    assert "Including VAT 19 % on €24.12" in page
    assert "Including VAT 7 % on €20.00" in page
    order = place(cart_client, "DE")
    assert (order.tax, order.total, order.prices_include_tax, order.reverse_charge) == (
        D("5.98"),
        D("50.10"),
        True,
        False,
    )
    assert sorted(order.lines.values_list("name", "tax_rate")) == [
        ("Atlas of Birds", D("7.00")),
        ("Desk lamp", D("19.00")),
    ]
    assert list(order.tax_lines.values_list("rate", "net", "tax", "gross")) == [
        (D("19.00"), D("24.12"), D("4.58"), D("28.70")),
        (D("7.00"), D("20.00"), D("1.40"), D("21.40")),
    ]


def test_another_country_another_tax(cart_client):
    order = place(cart_client, "FR")
    # standard 28.70 × 20/120 = 4.78; reduced 21.40 × 5.5/105.5 = 1.1156… → 1.12
    assert order.tax == D("5.90")
    assert order.total == D("50.10")  # gross prices: the shopper pays what the shop showed


def test_net_prices_show_excl_vat_and_add_the_tax(cart_client, settings):
    settings.SHOP_PRICES_INCLUDE_TAX = False
    page, _, _ = to_review(cart_client, "DE")
    assert "excl. VAT" in page
    assert "VAT 19 % on €28.70" in page
    order = place(cart_client, "DE")
    # 28.70 × 19 % = 5.453 → 5.45; 21.40 × 7 % = 1.498 → 1.50
    assert (order.tax, order.total, order.prices_include_tax) == (D("6.95"), D("57.05"), False)


def test_a_business_in_another_eu_country_gets_reverse_charge_on_the_invoice(cart_client, settings):
    settings.SHOP_SELLER_NAME = "Lovelace Engines GmbH"
    settings.SHOP_SELLER_ADDRESS = "Hauptstraße 1|10115 Berlin|Germany"
    settings.SHOP_SELLER_VAT_NUMBER = "DE136695976"
    page, _, _ = to_review(cart_client, "FR", company="Babbage SARL", vat_number="fr 40 303 265 045")
    assert "VAT 0 % (reverse charge)" in page
    order = place(cart_client, "FR", company="Babbage SARL", vat_number="fr 40 303 265 045")
    assert (order.reverse_charge, order.tax, order.buyer_company, order.buyer_vat_number) == (
        True,
        D("0.00"),
        "Babbage SARL",
        "FR40303265045",
    )
    # The VAT the gross prices contain is not charged: 28.70 × 20/120 = 4.78, 21.40 × 5.5/105.5 = 1.12.
    assert (order.total, order.reverse_charge_deduction) == (D("44.20"), D("5.90"))
    assert order.invoice.amount_due == D("44.20")
    invoice = cart_client.get(f"/orders/{order.number}/invoice/").content.decode()
    assert "Reverse charge: VAT to be accounted for by the recipient, Art. 196 Directive 2006/112/EC" in invoice
    assert "Lovelace Engines GmbH" in invoice
    assert "10115 Berlin" in invoice
    assert "VAT number: DE136695976" in invoice
    assert "Babbage SARL" in invoice
    assert "VAT number: FR40303265045" in invoice
    assert "Reverse charge" in cart_client.get(f"/orders/{order.number}/").content.decode()


def test_a_business_in_the_sellers_country_pays_vat(cart_client):
    order = place(cart_client, "DE", company="Engines GmbH", vat_number="DE136695976")
    assert (order.reverse_charge, order.tax, order.buyer_company) == (False, D("5.98"), "Engines GmbH")


@pytest.mark.parametrize("htmx", [False, True])
def test_a_vat_number_of_invalid_format_gets_a_message_on_the_field(cart_client, htmx):
    headers = {"HX-Request": "true"} if htmx else {}
    data = address_data("FR")
    data.update({"business-company": "Babbage SARL", "business-vat_number": "FR40303265046"})
    response = cart_client.post("/checkout/", data, headers=headers)
    assert response.status_code == (200 if htmx else 400)
    page = response.content.decode()
    assert "This is not a valid EU VAT number" in page
    assert 'aria-invalid="true"' in page
    assert 'id="id_business-vat_number"' in page


def test_a_vat_number_needs_the_company_name(cart_client):
    response = address_step(cart_client, "FR", vat_number="FR40303265045")
    assert response.status_code == 400
    assert "Enter the company name" in response.content.decode()


def test_the_invoice_and_confirmation_mail_show_the_breakdown(cart_client, settings):
    settings.SHOP_SELLER_NAME = "Lovelace Engines GmbH"
    order = place(cart_client, "DE")
    invoice = cart_client.get(f"/orders/{order.number}/invoice/").content.decode()
    assert "Including VAT 19 % on €24.12" in invoice
    assert "Including VAT 7 % on €20.00" in invoice
    assert "Lovelace Engines GmbH" in invoice
    assert "Reverse charge" not in invoice
    from notifications.models import Message

    mail = Message.objects.get(kind=Message.Kind.ORDER_CONFIRMATION)
    assert "Including VAT 19 % on €24.12: €4.58" in mail.body_text
    assert "Including VAT 7 % on €20.00: €1.40" in mail.body_text
    assert "Including VAT 19 % on €24.12" in mail.body_html
