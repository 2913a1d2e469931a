"""Proof under concurrency, on PostgreSQL: real threads, each with its own database connection.

SQLite serialises every writer (one lock for the whole file), so these races cannot happen there; the
suite runs them in CI on PostgreSQL. The threads call our services and views exactly as requests do.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections
from django.test import Client

from catalog.models import ProductVariant
from notifications.models import Message
from orders.models import CreditNote, Order, OrderTransition, Payment, Refund, WebhookEvent
from orders.payments import payment_key
from orders.services import OrderError
from sandbox.models import SandboxCharge
from tests.factories import default_variant, make_product, stock_of
from tests.orders.conftest import ASYNC, SUCCESS, checkout_for, fill_cart, make_shopper, pay, place
from tests.orders.test_payments import event_for

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row-lock races need PostgreSQL (SQLite serialises writers)"
    ),
]


def race(count: int, work):
    """Run work(i) in `count` threads released together; returns results or the exceptions raised."""
    barrier = threading.Barrier(count)

    def run(i):
        try:
            barrier.wait(timeout=30)
            return work(i)
        except Exception as exc:  # noqa: BLE001 - the test inspects what each racer got
            return exc
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def test_twenty_buyers_racing_for_five_units_get_exactly_five_orders():
    product = make_product("Last few", stock=5)
    buyers = [make_shopper(f"buyer{i}@example.com") for i in range(20)]
    for buyer in buyers:
        fill_cart(buyer, (product, 1))
    checkouts = [checkout_for(buyer) for buyer in buyers]

    from orders.pipeline import checkout_place

    results = race(20, lambda i: checkout_place(checkouts[i]))

    orders = [r for r in results if isinstance(r, Order)]
    refused = [r for r in results if isinstance(r, OrderError)]
    assert len(orders) == 5, results
    assert len(refused) == 15
    assert all("sold out" in str(r) for r in refused)
    product.refresh_from_db()
    assert stock_of(product) == 0
    assert Order.objects.filter(status=Order.Status.PENDING_PAYMENT).count() == 5
    assert Message.objects.filter(kind=Message.Kind.ORDER_CONFIRMATION).count() == 5


def test_guests_racing_for_the_last_units_get_exactly_as_many_orders():
    from cart.models import Cart, CartLine
    from orders.pipeline import Checkout, checkout_lines, checkout_place, checkout_quote, checkout_totals
    from tests.orders.conftest import ADDRESS

    product = make_product("Last few", stock=3)
    checkouts = []
    for i in range(10):
        cart = Cart.objects.create(token=f"guest-cart-{i}")
        CartLine.objects.create(
            cart=cart, product=product, variant=default_variant(product), quantity=1, price_seen=product.price
        )
        lines = checkout_lines(cart)
        quote = checkout_quote(lines, checkout_totals(lines, "standard"))
        checkouts.append(
            Checkout(
                user=None,
                email=f"guest{i}@example.org",
                cart=cart,
                address=dict(ADDRESS),
                shipping="standard",
                quote=quote,
            )
        )

    results = race(10, lambda i: checkout_place(checkouts[i]))

    orders = [r for r in results if isinstance(r, Order)]
    assert len(orders) == 3, results
    assert all(isinstance(r, OrderError) and "sold out" in str(r) for r in results if not isinstance(r, Order))
    product.refresh_from_db()
    assert stock_of(product) == 0
    assert Order.objects.filter(user__isnull=True).count() == 3


def test_ten_concurrent_pay_submissions_make_one_session_and_one_charge():
    buyer = make_shopper()
    fill_cart(buyer, (make_product(stock=3), 1))
    order = place(buyer)
    key = payment_key(invoice=order.invoice)
    clients = []
    for _ in range(10):
        client = Client()
        client.force_login(buyer)
        clients.append(client)

    results = race(10, lambda i: clients[i].post(f"/checkout/pay/{order.number}/", {"key": key}))

    assert all(not isinstance(r, Exception) and r.status_code == 302 for r in results), results
    charge = SandboxCharge.objects.get()  # one provider session for the ten clicks
    assert {r.url for r in results} == {f"/sandbox-pay/{charge.reference}/"}
    assert Payment.objects.count() == 1
    back = clients[0].post(results[0].url, {"number": SUCCESS})
    clients[0].get(back.url)
    charge.refresh_from_db()
    assert charge.confirmations == 1
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert OrderTransition.objects.filter(order=order, to_status="paid").count() == 1


def test_a_webhook_delivered_five_times_at_once_makes_one_transition():
    buyer = make_shopper()
    fill_cart(buyer, (make_product(stock=3), 1))
    order = place(buyer)
    payment = pay(order, ASYNC)
    from tests.orders.conftest import signed_webhook

    event = event_for(payment, event_id="evt_race")
    results = race(5, lambda i: signed_webhook(Client(), event).content)

    assert sorted(results) == [b"duplicate"] * 4 + [b"settled"], results
    assert WebhookEvent.objects.count() == 1
    assert OrderTransition.objects.filter(order=order, to_status="paid").count() == 1


def test_five_different_events_for_one_payment_settle_it_once():
    """Browser, webhooks and reconciliation may all arrive together: the settle function decides once."""
    buyer = make_shopper()
    fill_cart(buyer, (make_product(stock=3), 1))
    order = place(buyer)
    payment = pay(order, ASYNC)
    from tests.orders.conftest import signed_webhook

    results = race(5, lambda i: signed_webhook(Client(), event_for(payment, event_id=f"evt_{i}")).content)

    assert sorted(results) == [b"settled"] + [b"unchanged"] * 4, results
    assert OrderTransition.objects.filter(order=order, to_status="paid").count() == 1
    assert Message.objects.filter(kind=Message.Kind.PAYMENT_RECEIPT).count() == 1


def test_stock_never_goes_negative_under_mixed_quantities():
    product = make_product("Scarce", stock=7)
    buyers = [make_shopper(f"mixed{i}@example.com") for i in range(12)]
    for i, buyer in enumerate(buyers):
        fill_cart(buyer, (product, 1 + i % 3))
    checkouts = [checkout_for(buyer) for buyer in buyers]

    from orders.pipeline import checkout_place

    results = race(12, lambda i: checkout_place(checkouts[i]))

    sold = sum(order.lines.get().quantity for order in results if isinstance(order, Order))
    product.refresh_from_db()
    assert stock_of(product) == 7 - sold
    assert stock_of(product) >= 0
    assert ProductVariant.objects.filter(stock__lt=0).count() == 0


def test_concurrent_refunds_never_exceed_what_was_paid(django_user_model):
    """Five members of staff refund 40 % of one payment at the same moment: two get through, three are told why."""
    buyer = make_shopper()
    fill_cart(buyer, (make_product(stock=3), 1))
    order = place(buyer)
    assert pay(order, SUCCESS).status == Payment.Status.SUCCEEDED
    paid = order.total
    part = (paid * 4 / 10).quantize(paid)
    staff = []
    for i in range(5):
        client = Client()
        client.force_login(django_user_model.objects.create_superuser(f"staff{i}@example.com", "long-unusual-pass-42"))
        staff.append(client)
    url = f"/admin/orders/order/{order.pk}/refund/"

    results = race(5, lambda i: staff[i].post(url, {"amount": str(part), "reason": f"race {i}"}))

    assert sorted(r.status_code for r in results) == [302, 302, 400, 400, 400], results
    refused = [r.content.decode() for r in results if r.status_code == 400]
    assert all("left to refund" in page for page in refused)
    refunded = sum(r.amount for r in Refund.objects.filter(status=Refund.Status.SUCCEEDED))
    assert refunded == 2 * part <= paid
    assert SandboxCharge.objects.get().refunded == 2 * part
    assert sorted(CreditNote.objects.values_list("number", flat=True)) == [1, 2]
    order.refresh_from_db()
    assert order.invoice.amount_refunded == 2 * part
