"""Invoices from the cart through the checkout pipeline; pay starts the provider's hosted payment."""

import pytest
from django.test import Client

from api.models import Webhook, WebhookDelivery
from orders.models import Invoice, Order, Payment
from tests.api.conftest import api_for, problem
from tests.factories import stock_of
from tests.orders.conftest import fill_cart, place

ADDRESS = {"name": "Ada Lovelace", "line1": "12 Engine Street", "city": "London", "postcode": "N1 7AA", "country": "GB"}


def test_an_invoice_from_the_cart_places_the_order(shopper_api, shopper, product):
    fill_cart(shopper, (product, 2))
    response = shopper_api.post("/invoices", {"address": ADDRESS})
    assert response.status_code == 201, response.content
    body = response.json()
    invoice = Invoice.objects.get(pk=body["id"])
    assert body["amount_due"] == str(invoice.amount_due)
    assert invoice.order.user == shopper
    assert invoice.order.lines.get().quantity == 2
    product.refresh_from_db()
    assert stock_of(product) == 3  # reserved
    assert shopper_api.get(f"/user/{shopper.pk}/cart/").json()["items"] == []


def test_an_empty_cart_gives_no_invoice(shopper_api):
    problem(shopper_api.post("/invoices", {"address": ADDRESS}), 409)


def test_a_stale_quote_is_refused(shopper_api, shopper, product):
    fill_cart(shopper, (product, 1))
    problem(shopper_api.post("/invoices", {"address": ADDRESS, "quote": "0" * 32}), 409)
    assert not Order.objects.exists()


def test_bad_shipping_or_country_is_a_422(shopper_api, shopper, product):
    fill_cart(shopper, (product, 1))
    problem(shopper_api.post("/invoices", {"address": ADDRESS, "shipping": "teleport"}), 422)
    problem(shopper_api.post("/invoices", {"address": {**ADDRESS, "country": "XX"}}), 422)
    problem(shopper_api.post("/invoices", {}), 422)


def test_another_users_address_is_a_404(shopper_api, shopper, other, product):
    from accounts.services import address_create

    address = address_create(user=other, data=dict(ADDRESS))
    fill_cart(shopper, (product, 1))
    problem(shopper_api.post("/invoices", {"address_id": address.pk}), 404)


def test_the_invoice_of_an_existing_order(shopper_api, shopper, product):
    fill_cart(shopper, (product, 1))
    order = place(shopper)
    assert shopper_api.post("/invoices", {"order": order.number}).json()["id"] == order.invoice.pk


def test_a_replayed_invoice_create_places_one_order(shopper_api, shopper, product):
    fill_cart(shopper, (product, 1))
    first = shopper_api.post("/invoices", {"address": ADDRESS}, Idempotency_Key="checkout-1")
    again = shopper_api.post("/invoices", {"address": ADDRESS}, Idempotency_Key="checkout-1")
    assert first.content == again.content
    assert Order.objects.count() == 1


@pytest.fixture
def invoice(shopper, product):
    fill_cart(shopper, (product, 2))
    return place(shopper).invoice


def test_pay_returns_the_providers_page_and_the_payments_state(shopper_api, invoice):
    response = shopper_api.post(f"/invoices/{invoice.pk}/pay")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "processing"
    assert body["redirect_url"].startswith("/sandbox-pay/") or "/sandbox-pay/" in body["redirect_url"]
    assert Payment.objects.get().redirect_url == body["redirect_url"]


def test_pay_is_idempotent_one_attempt_one_page(shopper_api, invoice):
    pages = {shopper_api.post(f"/invoices/{invoice.pk}/pay").json()["redirect_url"] for _ in range(3)}
    assert len(pages) == 1
    assert Payment.objects.count() == 1


def test_the_outcome_arrives_as_for_the_site_and_the_order_paid_webhook_is_queued(shopper_api, shopper, invoice, db):
    Webhook.objects.create(url="https://erp.example/hook", events=["order.paid"], secret="x")
    url = shopper_api.post(f"/invoices/{invoice.pk}/pay").json()["redirect_url"]
    browser = Client()
    browser.force_login(shopper)
    answer = browser.post(url, {"number": "4242424242424242"})
    browser.get(answer["Location"])  # back at our return URL, which asks the provider
    assert shopper_api.get(f"/invoices/{invoice.pk}").json()["status"] == "paid"
    assert shopper_api.get(f"/orders/{invoice.order.number}").json()["status"] == "paid"
    delivery = WebhookDelivery.objects.get(event="order.paid")
    assert delivery.payload["number"] == invoice.order.number


def test_a_paid_invoice_cannot_be_paid_again(shopper_api, invoice):
    Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.PAID)
    problem(shopper_api.post(f"/invoices/{invoice.pk}/pay"), 409)


def test_another_users_invoice_is_a_404(other, invoice):
    api = api_for(other)
    problem(api.get(f"/invoices/{invoice.pk}"), 404)
    problem(api.post(f"/invoices/{invoice.pk}/pay"), 404)
    problem(api.post("/invoices", {"order": invoice.order.number}), 404)
    assert not Payment.objects.exists()


def test_an_invoice_from_the_cart_counts_as_an_order_placed_in_the_statistics(shopper_api, shopper, product):
    from analytics.models import Event
    from analytics.services import events_flush

    fill_cart(shopper, (product, 1))
    invoice_id = shopper_api.post("/invoices", {"address": ADDRESS}).json()["id"]
    events_flush()
    event = Event.objects.get(name="order_placed")
    assert (event.user_id, event.object_id) == (shopper.pk, Invoice.objects.get(pk=invoice_id).order_id)
