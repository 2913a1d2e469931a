"""The push channel over real HTTP (pytest-django's live server), on SQLite and PostgreSQL alike.

Events are raised by the shop's own services (a webhook settling a payment, a checkout taking stock, a cart
change); each stream is read as EventSource reads it. Who hears what, the caps, the idle and session ends.
"""

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.test import Client

from accounts.models import Session
from cart.services import line_add
from live import broker
from live import events as live_events
from orders.access import order_link_path
from orders.models import Order
from tests.factories import default_variant, make_product
from tests.live.streams import Stream, session_cookie
from tests.orders.conftest import ASYNC, DECLINE, fill_cart, make_shopper, pay, place, signed_webhook
from tests.orders.test_payments import event_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shopper():
    return make_shopper()


def buy(user, product, quantity: int) -> Order:
    fill_cart(user, (product, quantity))
    return place(user)


def names_within(stream: Stream, seconds: float) -> list[str]:
    """The events heard until `seconds` pass without one."""
    names = []
    while True:
        try:
            event = stream.next_event(timeout=seconds)
        except TimeoutError:
            return names
        names.append(event.name if event else "(closed)")


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def pending(shopper):
    """An order of `shopper` whose payment waits for the provider's webhook."""
    order = buy(shopper, make_product(stock=5), 1)
    return order, pay(order, ASYNC)


def test_order_page_stream_hears_the_webhook_that_settles_the_payment(live_server, shopper, pending):
    order, payment = pending
    stream = Stream(live_server.url, f"/live/?order={order.number}", session_cookie(logged_in(shopper))).opened()

    assert signed_webhook(Client(), event_for(payment)).content == b"settled"

    assert stream.next_event().name == f"order-{order.pk}"
    stream.close()


def test_a_browser_may_not_follow_someone_elses_order(live_server, pending):
    order, _ = pending
    stranger = logged_in(make_shopper("eve@example.com"))

    stream = Stream(live_server.url, f"/live/?order={order.number}", session_cookie(stranger))
    anonymous = Stream(live_server.url, f"/live/?order={order.number}")

    assert (stream.status, anonymous.status) == (403, 403)
    assert b"may not follow" in stream.body


def test_a_guest_holding_the_orders_grant_hears_it(live_server, shopper, pending):
    order, payment = pending
    Order.objects.filter(pk=order.pk).update(user=None)
    guest = Client()
    assert guest.get(order_link_path(order)).status_code in (200, 302)  # the mailed link grants this browser

    stream = Stream(live_server.url, f"/live/?order={order.number}", session_cookie(guest)).opened()
    signed_webhook(Client(), event_for(payment))

    assert stream.next_event().name == f"order-{order.pk}"


def test_the_cart_badge_hears_changes_made_on_another_device_of_the_same_account(live_server, shopper):
    other = make_shopper("bob@example.com")
    phone, laptop, elsewhere = logged_in(shopper), logged_in(shopper), logged_in(other)
    on_laptop = Stream(live_server.url, "/live/", session_cookie(laptop)).opened()
    on_other_account = Stream(live_server.url, "/live/", session_cookie(elsewhere)).opened()

    phone.post("/cart/add/", {"product": make_product(stock=3).pk, "quantity": 1})

    assert on_laptop.next_event().name == "cart-changed"
    assert names_within(on_other_account, 1) == []


def test_product_pages_hear_stock_taken_by_a_checkout(live_server, shopper):
    product, other = make_product(stock=3), make_product(stock=3)
    watching = Stream(live_server.url, f"/live/?product={product.pk}").opened()
    watching_other = Stream(live_server.url, f"/live/?product={other.pk}").opened()

    buy(shopper, product, 2)

    assert watching.next_event().name == f"stock-{product.pk}"
    assert names_within(watching_other, 1) == []


def test_staff_hear_new_orders_and_failed_payments_and_shoppers_do_not(live_server, shopper, django_user_model):
    staff = django_user_model.objects.create_user(email="staff@example.com", password="x-Staff-pass-1", is_staff=True)
    staff_stream = Stream(live_server.url, "/live/", session_cookie(logged_in(staff))).opened()
    shopper_stream = Stream(live_server.url, "/live/", session_cookie(logged_in(shopper))).opened()

    order = buy(shopper, make_product(stock=5), 1)

    event = staff_stream.next_event()
    assert event.name == "staff-order"
    assert json.loads(event.data)["number"] == order.number
    # The checkout emptied the shopper's own cart: that, and nothing meant for staff.
    assert names_within(shopper_stream, 1.5) == ["cart-changed"]

    pay(order, DECLINE)

    failed = staff_stream.next_event()
    assert failed.name == "staff-payment"
    data = json.loads(failed.data)
    assert (data["kind"], data["number"], data["text"]) == (
        "payment",
        order.number,
        f"Payment failed: order {order.number}",
    )
    assert "staff-payment" not in names_within(shopper_stream, 1.5)  # never the staff text to a shopper


def test_a_stream_that_asks_for_nothing_is_told_so_and_bad_input_is_a_400(live_server):
    assert Stream(live_server.url, "/live/").status == 204
    bad = Stream(live_server.url, "/live/?product=42x")
    assert (bad.status, bad.body) == (400, b"product must be a product id (a whole number).")
    assert Stream(live_server.url, "/live/?product=" + "9" * 30).status == 400
    too_many = "&".join(f"product={n}" for n in range(1, 60))
    assert Stream(live_server.url, f"/live/?{too_many}").status == 400


def test_connections_are_capped_per_visitor_and_per_process(live_server, settings, shopper):
    settings.LIVE_MAX_PER_VISITOR = 2
    settings.LIVE_MAX_CONNECTIONS = broker.hub.connections + 3  # streams of earlier tests may still be ending
    cookie = session_cookie(logged_in(shopper))
    tabs = [Stream(live_server.url, "/live/", cookie).opened() for _ in range(2)]

    third_tab = Stream(live_server.url, "/live/", cookie)
    assert third_tab.status == 429
    assert b"close some tabs" in third_tab.body

    other = session_cookie(logged_in(make_shopper("bob@example.com")))
    Stream(live_server.url, "/live/", other).opened()
    over = Stream(live_server.url, "/live/", other)
    assert over.status == 429
    assert over.response.getheader("Retry-After") == "30"
    for tab in tabs:
        tab.close()


def test_an_idle_stream_is_closed(live_server, settings):
    settings.LIVE_IDLE_TIMEOUT = 1
    stream = Stream(live_server.url, "/live/?product=1").opened()

    assert stream.next_event(timeout=5) is None  # the server ended it


def test_the_stream_ends_when_the_session_expires_and_does_not_keep_it_alive(live_server, settings, shopper):
    settings.SESSION_IDLE_TIMEOUT = 2
    client = logged_in(shopper)
    row = Session.objects.get(session_key=session_cookie(client))

    stream = Stream(live_server.url, "/live/", session_cookie(client)).opened()

    assert stream.next_event(timeout=6) is None
    assert Session.objects.get(pk=row.pk).expire_date == row.expire_date  # the open stream was no activity


def test_one_fan_out_per_event_and_no_query_per_connected_client(live_server, django_assert_max_num_queries, settings):
    settings.LIVE_MAX_PER_VISITOR = 20  # a dozen anonymous viewers from one address
    streams = [Stream(live_server.url, "/live/?product=7").opened() for _ in range(12)]

    with django_assert_max_num_queries(1):  # the NOTIFY on PostgreSQL; none on SQLite
        live_events.stock_changed([7])

    assert [stream.next_event().name for stream in streams] == ["stock-7"] * 12


def test_a_slow_client_never_holds_up_the_others(settings):
    """A stream whose queue is full is dropped (closed, to reconnect); delivery to the rest goes on at once."""
    import asyncio

    settings.LIVE_QUEUE_SIZE = 2
    hub = broker.Hub()

    async def scenario():
        loop = asyncio.get_running_loop()
        slow = hub.subscribe(frozenset({"product:1"}), loop)
        fast = hub.subscribe(frozenset({"product:1"}), loop)
        received = []
        for n in range(5):
            hub.dispatch(broker.Message(topic="product:1", event=f"stock-{n}"))
            await asyncio.sleep(0)  # the loop runs the offers; only `fast` reads
            received.append((await asyncio.wait_for(fast.queue.get(), 1)).event)
        return slow, received

    # On a thread of its own: the browser tests' Playwright may own this thread's event loop.
    with ThreadPoolExecutor(1) as pool:
        slow, received = pool.submit(asyncio.run, scenario()).result()
    assert received == [f"stock-{n}" for n in range(5)]
    assert slow.overflowed
    assert slow.queue.qsize() == 2


def test_a_cart_change_in_a_rolled_back_transaction_pushes_nothing(live_server, shopper):
    from django.db import transaction

    stream = Stream(live_server.url, "/live/", session_cookie(logged_in(shopper))).opened()
    product = make_product(stock=3)
    cart = cart_get_for(shopper)
    try:
        with transaction.atomic():
            line_add(cart, default_variant(product), 1)
            raise RuntimeError("rolled back")
    except RuntimeError:
        pass

    assert names_within(stream, 1) == []


def cart_get_for(user):
    from cart.models import Cart

    return Cart.objects.get_or_create(user=user)[0]
