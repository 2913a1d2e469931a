"""Live updates in a real browser: the order page changes without a reload, across two ASGI instances.

The instances are `make live`'s server (gunicorn with uvicorn workers) on the PostgreSQL test database; a
webhook settles the payment on instance A while the page is open on instance B. Then B restarts and the
open page reconnects by itself. On SQLite (one machine) the same page on the in-process live server.
"""

import re
import time

from django.test import Client
from playwright.sync_api import expect

from live import broker
from tests.factories import make_product
from tests.live.conftest import instances  # noqa: F401 - the fixture
from tests.live.streams import session_cookie
from tests.orders.conftest import ASYNC, fill_cart, make_shopper, pay, place, signed_webhook
from tests.orders.test_payments import event_for


def open_order_page(page, base: str, shopper, order):
    client = Client()
    client.force_login(shopper)
    page.context.add_cookies([{"name": "sessionid", "value": session_cookie(client), "url": base}])
    refetches = []
    page.on(
        "request",
        lambda request: (
            refetches.append(time.monotonic())
            if request.url.endswith(order.get_absolute_url()) and request.headers.get("hx-request")
            else None
        ),
    )
    page.goto(base + order.get_absolute_url())
    expect(page.locator("html")).to_have_attribute("data-live-open", "")
    return refetches


def pending_order():
    shopper = make_shopper()
    fill_cart(shopper, (make_product(stock=5), 1))
    order = place(shopper)
    return shopper, order, pay(order, ASYNC)


def webhook_to(base: str, payment) -> bytes:
    import json
    import urllib.request

    from sandbox.provider import SIGNATURE_HEADER, webhook_sign

    body = json.dumps(event_for(payment)).encode()
    request = urllib.request.Request(
        base + "/payments/webhook/sandbox/",
        data=body,
        headers={"Content-Type": "application/json", SIGNATURE_HEADER: webhook_sign(body, int(time.time()))},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
        return response.read()


def test_webhook_on_one_instance_changes_the_order_page_open_on_the_other(page, instances):  # noqa: F811
    a, b = instances
    shopper, order, payment = pending_order()
    refetches = open_order_page(page, b.base, shopper, order)
    status = page.get_by_test_id("order-status")
    expect(status).to_have_text("Awaiting payment")

    time.sleep(4.5)  # two poll intervals: with the stream open, the page does not poll
    assert len(refetches) <= 1  # only the one re-fetch made when the stream opened

    assert webhook_to(a.base, payment) == b"settled"

    expect(status).to_have_text("Paid", timeout=3000)
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1  # no reload


def test_the_open_page_reconnects_after_its_server_restarts(page, instances):  # noqa: F811
    a, b = instances
    shopper, order, payment = pending_order()
    open_order_page(page, b.base, shopper, order)
    streams = []
    page.on("request", lambda request: streams.append(request.url) if "/live/" in request.url else None)

    b.stop()
    expect(page.locator("html")).not_to_have_attribute("data-live-open", "", timeout=10000)
    b.start()
    expect(page.locator("html")).to_have_attribute("data-live-open", "", timeout=20000)
    assert streams  # the page opened a new stream by itself

    assert webhook_to(a.base, payment) == b"settled"
    expect(page.get_by_test_id("order-status")).to_have_text("Paid", timeout=3000)


def test_on_one_machine_the_order_page_changes_without_a_reload(page, live_server):
    shopper, order, payment = pending_order()
    refetches = open_order_page(page, live_server.url, shopper, order)
    # The re-fetch the opening stream makes must be over: the test's SQLite database in memory locks a
    # table read by the server while this thread writes it.
    expect(page.get_by_test_id("order-status")).to_be_visible()
    deadline = time.monotonic() + 5
    while not refetches and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    page.wait_for_timeout(500)

    assert signed_webhook(Client(), event_for(payment)).content == b"settled"

    expect(page.get_by_test_id("order-status")).to_have_text("Paid", timeout=3000)


def test_a_product_page_shows_the_last_units_sold_out_when_someone_else_buys(page, live_server):
    product = make_product(stock=2)
    page.goto(live_server.url + product.get_absolute_url())
    expect(page.locator("html")).to_have_attribute("data-live-open", "")
    expect(page.locator(".stock")).to_have_text("Only 2 left")

    buyer = make_shopper("bob@example.com")
    fill_cart(buyer, (product, 2))
    place(buyer)

    expect(page.locator(".stock")).to_have_text("Out of stock", timeout=3000)
    expect(page.locator(f"#product-stock-{product.pk} button")).to_be_disabled()


def test_the_cart_badge_follows_the_same_account_in_another_tab(page, live_server):
    shopper = make_shopper()
    client = Client()
    client.force_login(shopper)
    page.context.add_cookies([{"name": "sessionid", "value": session_cookie(client), "url": live_server.url}])
    page.goto(live_server.url + "/")
    expect(page.locator("html")).to_have_attribute("data-live-open", "")

    client.post("/cart/add/", {"product": make_product(stock=3).pk, "quantity": 2})  # the other device

    expect(page.locator("#cart-badge .cart-count")).to_have_text("2", timeout=3000)


def test_staff_see_a_toast_and_a_counter_for_a_new_order_in_the_admin(page, live_server, django_user_model):
    staff = django_user_model.objects.create_user(
        email="staff@example.com", password="x-Staff-pass-1", is_staff=True, is_superuser=True
    )
    client = Client()
    client.force_login(staff)
    page.context.add_cookies([{"name": "sessionid", "value": session_cookie(client), "url": live_server.url}])
    page.goto(live_server.url + "/admin/")
    deadline = time.monotonic() + 5
    while not broker.hub.connections and time.monotonic() < deadline:
        time.sleep(0.05)

    shopper = make_shopper()
    fill_cart(shopper, (make_product(stock=3), 1))
    order = place(shopper)

    expect(page.locator(".live-toast")).to_have_text(re.compile(f"New order {order.number}"), timeout=3000)
    expect(page.locator("[data-live-count]")).to_have_text("1")
