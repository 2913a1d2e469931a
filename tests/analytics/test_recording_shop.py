"""The shop's events recorded from the real cart, checkout and payment flows (issue 8), and never under DNT."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analytics.models import Event, EventName
from analytics.services import VISITOR_COOKIE, events_flush
from cart.models import CartLine
from orders.models import Order, Payment
from orders.payments import payment_settle
from sandbox.gateway import SandboxGateway
from tests.accounts.conftest import PASSWORD
from tests.analytics.conftest import BROWSER
from tests.factories import make_category, make_product, set_stock
from tests.notifications.conftest import drain_tasks
from tests.orders.conftest import ADDRESS, ASYNC, DECLINE, INSUFFICIENT, SUCCESS, TIMEOUT, fill_cart, pay_over_http

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture
def lamp():
    return make_product("Desk Lamp", category=make_category("Home", slug="home"), price=Decimal("19.90"), stock=3)


@pytest.fixture
def kettle():
    return make_product("Kettle", price=Decimal("25.00"), stock=50)


def recorded(*names: str) -> list[tuple]:
    """(name, object id, count, amount) of what was recorded, oldest first; only `names` when given."""
    events_flush()
    events = Event.objects.order_by("pk")
    if names:
        events = events.filter(name__in=names)
    return [(e.name, e.object_id, e.count, e.amount) for e in events]


def add(client, product, quantity=1, **headers):
    return client.post("/cart/add/", {"product": product.pk, "quantity": quantity}, headers=headers)


# --- Cart -----------------------------------------------------------------------------------------


def test_adding_records_cart_add_with_the_quantity_actually_added(shopper_client, lamp):
    add(shopper_client, lamp, 2)  # without JavaScript
    add(shopper_client, lamp, 5, **HTMX)  # capped: the stock is 3, so 1 more went in
    add(shopper_client, lamp, 1, **HTMX)  # already at the cap: nothing went in

    assert recorded() == [
        (EventName.CART_ADD, lamp.pk, 2, None),
        (EventName.CART_ADD, lamp.pk, 1, None),
    ]
    assert CartLine.objects.get().quantity == 3


def test_a_refused_add_records_nothing(shopper_client, lamp):
    set_stock(lamp, 0)

    add(shopper_client, lamp, 1, **HTMX)

    assert recorded() == []


def test_removing_a_line_or_setting_it_to_zero_records_cart_remove(shopper_client, lamp, kettle):
    add(shopper_client, lamp, 2)
    add(shopper_client, kettle, 4)
    lamp_line, kettle_line = CartLine.objects.order_by("pk")

    shopper_client.post(f"/cart/lines/{lamp_line.pk}/remove/", headers=HTMX)
    shopper_client.post("/cart/undo/", headers=HTMX)  # the removal stays counted; Undo is not an add
    shopper_client.post(f"/cart/lines/{kettle_line.pk}/", {"quantity": 3}, headers=HTMX)  # a change, not a removal
    shopper_client.post(f"/cart/lines/{kettle_line.pk}/", {"quantity": 0})

    assert recorded(EventName.CART_REMOVE) == [
        (EventName.CART_REMOVE, lamp.pk, 2, None),
        (EventName.CART_REMOVE, kettle.pk, 3, None),
    ]


def test_emptying_the_cart_records_one_removal_per_line(shopper_client, lamp, kettle):
    add(shopper_client, lamp, 1)
    add(shopper_client, kettle, 4)

    shopper_client.post("/cart/clear/", headers=HTMX)

    assert recorded(EventName.CART_REMOVE) == [
        (EventName.CART_REMOVE, lamp.pk, 1, None),
        (EventName.CART_REMOVE, kettle.pk, 4, None),
    ]


def test_recording_costs_the_add_to_cart_request_no_query(shopper_client, lamp, kettle):
    add(shopper_client, lamp, 1, **HTMX)  # the cart exists; its cookie is set
    with CaptureQueriesContext(connection) as recording:
        add(shopper_client, kettle, 1, **HTMX)
    with CaptureQueriesContext(connection) as not_recording:
        add(shopper_client, kettle, 1, DNT="1", **HTMX)

    assert len(recording) == len(not_recording)
    assert [name for name, *_ in recorded()] == [EventName.CART_ADD, EventName.CART_ADD]


# --- Checkout and order -------------------------------------------------------------------------------


@pytest.fixture
def buyer(shopper_client, user, lamp, kettle):
    fill_cart(user, (lamp, 2), (kettle, 1))
    shopper_client.force_login(user)
    return shopper_client


def new_address() -> dict:
    return {"address": "new", **{f"new-{k}": v for k, v in ADDRESS.items()}}


def to_review(client) -> dict:
    assert client.post("/checkout/", new_address()).url == "/checkout/shipping/"
    assert client.post("/checkout/shipping/", {"method": "standard"}).url == "/checkout/review/"
    page = client.get("/checkout/review/").text
    return {name: re.search(rf'name="{name}" value="([^"]+)"', page)[1] for name in ("quote", "token")}


def test_checkout_started_is_recorded_once_per_checkout_with_the_cart_subtotal(buyer, user, lamp):
    assert buyer.get("/checkout/").status_code == 200
    buyer.get("/checkout/")  # a reload
    buyer.get("/checkout/", headers=HTMX)  # Back from a later step, with htmx
    buyer.post("/checkout/", {"address": "new"})  # a form error shows the step again
    review = to_review(buyer)
    assert buyer.post("/checkout/place/", review).status_code == 302

    assert recorded(EventName.CHECKOUT_STARTED) == [(EventName.CHECKOUT_STARTED, None, None, Decimal("64.80"))]

    fill_cart(user, (lamp, 1))  # a new checkout after the order: recorded again
    buyer.get("/checkout/")
    assert len(recorded(EventName.CHECKOUT_STARTED)) == 2


def test_an_empty_cart_starts_no_checkout(shopper_client, user):
    shopper_client.force_login(user)

    assert shopper_client.get("/checkout/").url == "/cart/"
    assert recorded() == []


def test_placing_an_order_records_order_placed_once_and_the_order_keeps_the_visitor(buyer, user):
    review = to_review(buyer)
    buyer.post("/checkout/place/", review)
    buyer.post("/checkout/place/", review)  # a double click lands on the same order

    order = Order.objects.get()
    assert recorded(EventName.ORDER_PLACED) == [(EventName.ORDER_PLACED, order.pk, None, order.total)]
    placed = Event.objects.get(name=EventName.ORDER_PLACED)
    assert placed.user_id == user.pk
    assert order.analytics_visitor == placed.visitor == buyer.cookies[VISITOR_COOKIE].value


@pytest.fixture
def placed(buyer) -> Order:
    buyer.post("/checkout/place/", to_review(buyer))
    events_flush()
    Event.objects.all().delete()
    return Order.objects.get()


def pay(client, order: Order, number: str):
    return pay_over_http(client, order, number)


def test_paying_records_payment_succeeded_once_even_when_settled_twice(
    buyer, placed, user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert pay(buyer, placed, SUCCESS).url == placed.get_absolute_url()
    payment = Payment.objects.get()
    answer = SandboxGateway().payment_retrieve(idempotency_key=payment.idempotency_key)
    with django_capture_on_commit_callbacks(execute=True):
        assert payment_settle(payment=payment, answer=answer) == "unchanged"  # the second settle changes nothing

    assert recorded() == [(EventName.PAYMENT_SUCCEEDED, placed.pk, None, placed.total)]
    event = Event.objects.get()
    assert (event.user_id, event.visitor) == (user.pk, placed.analytics_visitor)


def test_each_failed_attempt_records_payment_failed_once(buyer, placed, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        pay_page = f"/checkout/pay/{placed.number}/"
        assert pay(buyer, placed, DECLINE).url == pay_page
        assert pay(buyer, placed, INSUFFICIENT).url == pay_page
        assert pay(buyer, placed, TIMEOUT).status_code == 504  # the provider never sends the shopper back
        assert pay(buyer, placed, SUCCESS).status_code == 402  # Pay again: the provider says it failed
        assert pay(buyer, placed, SUCCESS).url == placed.get_absolute_url()

    assert recorded() == [
        (EventName.PAYMENT_FAILED, placed.pk, None, placed.total),
        (EventName.PAYMENT_FAILED, placed.pk, None, placed.total),
        (EventName.PAYMENT_FAILED, placed.pk, None, placed.total),
        (EventName.PAYMENT_SUCCEEDED, placed.pk, None, placed.total),
    ]


def test_the_payment_is_recorded_only_once_its_transaction_commits(buyer, placed, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        pay(buyer, placed, SUCCESS)
    assert recorded() == []  # the test's transaction never commits: nothing yet

    for callback in callbacks:  # what a commit runs
        callback()
    assert [name for name, *_ in recorded()] == [EventName.PAYMENT_SUCCEEDED]


def test_the_whole_journey_with_do_not_track_records_nothing(
    shopper_client, user, lamp, django_capture_on_commit_callbacks
):
    shopper_client.defaults["HTTP_DNT"] = "1"
    add(shopper_client, lamp, 2, **HTMX)
    shopper_client.post("/accounts/login/", {"username": user.email, "password": PASSWORD})  # merges the cart
    assert shopper_client.get("/checkout/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        shopper_client.post("/checkout/place/", to_review(shopper_client))
        order = Order.objects.get()
        pay(shopper_client, order, DECLINE)
        pay(shopper_client, order, SUCCESS)

    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert order.analytics_visitor == ""  # so the payment, learned without a request, records nothing either
    assert recorded() == []
    assert VISITOR_COOKIE not in shopper_client.cookies


# --- Without a request: the provider's webhook, run by the task worker ---------------------------------


@pytest.mark.django_db(transaction=True)  # the real worker runs outside the test transaction
def test_a_payment_confirmed_by_the_webhook_is_recorded_for_the_orders_visitor(client, user, lamp):
    client.defaults["HTTP_USER_AGENT"] = BROWSER
    fill_cart(user, (lamp, 1))
    client.force_login(user)
    client.post("/checkout/place/", to_review(client))
    order = Order.objects.get()
    assert pay(client, order, ASYNC).url == order.get_absolute_url()
    assert recorded(EventName.PAYMENT_SUCCEEDED) == []  # accepted, not paid yet

    drain_tasks()  # the provider's webhook, delivered by a task: no request, no cookie

    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert recorded(EventName.PAYMENT_SUCCEEDED) == [(EventName.PAYMENT_SUCCEEDED, order.pk, None, order.total)]
    event = Event.objects.get(name=EventName.PAYMENT_SUCCEEDED)
    assert (event.user_id, event.visitor) == (user.pk, order.analytics_visitor)
    assert len(order.analytics_visitor) == 32
