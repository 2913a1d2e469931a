"""Outbound webhooks: rows written with the change, a real worker POSTs them to a real local HTTP server."""

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.utils import timezone

from api.models import Webhook, WebhookDelivery
from api.webhooks import backoff, delivery_send
from catalog.models import Product
from catalog.services import product_archive
from tests.factories import make_product
from tests.notifications.conftest import drain_tasks


class Receiver:
    """A local HTTP server that records what it is sent and answers with `status`."""

    def __init__(self):
        self.status = 200
        self.received: list[tuple[dict, bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.server.shutdown()


@pytest.fixture
def hook(db, receiver):
    return Webhook.objects.create(url=receiver.url, events=["product.updated"], secret="s3cret")


def test_no_webhook_no_delivery(staff_api, product):
    staff_api.put(f"/product/{product.pk}", {"price": "3.00"})
    assert not WebhookDelivery.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_product_change_is_delivered_signed(staff_api, product, hook, receiver):
    staff_api.put(f"/product/{product.pk}", {"price": "3.00"})
    drain_tasks()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.DELIVERED
    headers, body = receiver.received[0]
    assert headers["X-Shop-Event"] == "product.updated"
    payload = json.loads(body)
    assert payload["data"]["price"] == "3.00"
    timestamp, mac = (part.split("=", 1)[1] for part in headers["X-Shop-Signature"].split(","))
    expected = hmac.new(b"s3cret", f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(mac, expected)


def test_archiving_tells_subscribers_the_product_is_deleted(product, hook):
    product_archive(Product.objects.filter(pk=product.pk))
    assert WebhookDelivery.objects.get().payload["is_deleted"] is True


def test_a_webhook_not_subscribed_to_the_event_gets_nothing(product, receiver):
    Webhook.objects.create(url=receiver.url, events=["order.paid"], secret="x")
    product_archive(Product.objects.filter(pk=product.pk))
    assert not WebhookDelivery.objects.exists()


def test_a_failed_delivery_is_retried_with_backoff_then_dead(product, hook, receiver, settings):
    settings.API_WEBHOOK_MAX_ATTEMPTS = 2
    receiver.status = 500
    product_archive(Product.objects.filter(pk=product.pk))
    delivery = WebhookDelivery.objects.get()
    before = timezone.now()
    assert delivery_send(delivery.pk) == "failed"
    delivery.refresh_from_db()
    assert delivery.response_status == 500
    assert delivery.next_attempt_at >= before + backoff(1)
    assert delivery_send(delivery.pk) == "skipped"  # not due yet
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert delivery_send(delivery.pk) == "dead"


def test_backoff_doubles_and_is_capped(settings):
    settings.API_WEBHOOK_BACKOFF_SECONDS, settings.API_WEBHOOK_BACKOFF_MAX_SECONDS = 30, 100
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 100, 100]


def test_an_unreachable_url_fails_without_raising(product, db, settings):
    Webhook.objects.create(url="http://127.0.0.1:9/nothing", events=["product.updated"], secret="x")
    settings.API_WEBHOOK_TIMEOUT = 2
    product_archive(Product.objects.filter(pk=product.pk))
    assert delivery_send(WebhookDelivery.objects.get().pk) == "failed"


def test_the_admin_shows_the_delivery_log(admin_client, product, hook):
    product_archive(Product.objects.filter(pk=product.pk))
    response = admin_client.get("/admin/api/webhookdelivery/")
    assert response.status_code == 200
    assert "product.updated" in response.content.decode()


def test_a_product_saved_in_the_admin_is_announced(admin_client, product, hook):
    from tests.catalog.test_admin import change_form

    data = change_form(product, name="Renamed gear", price="10.00", description="")
    response = admin_client.post(f"/admin/catalog/product/{product.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert WebhookDelivery.objects.get().payload["name"] == "Renamed gear"


def test_shipping_an_order_is_announced(shopper, product, receiver):
    from orders.models import Order
    from orders.services import order_ship
    from tests.orders.conftest import fill_cart, place

    Webhook.objects.create(url=receiver.url, events=["order.shipped"], secret="x")
    fill_cart(shopper, (product, 1))
    order = place(shopper)
    Order.objects.filter(pk=order.pk).update(status=Order.Status.PAID)
    order.refresh_from_db()
    order_ship(order=order, actor="staff")
    assert WebhookDelivery.objects.get(event="order.shipped").payload["number"] == order.number


def test_stock_falling_to_the_threshold_is_announced_once(shopper, other, category, receiver):
    from tests.orders.conftest import fill_cart, place

    Webhook.objects.create(url=receiver.url, events=["stock.low"], secret="x")
    gear = make_product("Gear", category=category, stock=7)
    fill_cart(shopper, (gear, 2))
    place(shopper)  # 7 → 5: reaches the threshold
    fill_cart(other, (gear, 1))
    place(other)  # 5 → 4: already low, no new event
    delivery = WebhookDelivery.objects.get(event="stock.low")
    assert delivery.payload["stock"] == 5
