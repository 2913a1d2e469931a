"""The status machine, reservation expiry, staff actions (ship, cancel, refund) and account deletion."""

from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from accounts.services import user_delete
from catalog.models import Product
from notifications.models import Message
from orders.models import TRANSITIONS, Invoice, Order, Payment
from orders.payments import order_expire, payment_key, payment_start
from orders.services import IllegalTransition, order_cancel, order_ship, order_transition
from sandbox.models import SandboxCharge
from tests.factories import stock_of
from tests.orders.conftest import pay, return_url

pytestmark = pytest.mark.django_db


def test_every_status_has_its_allowed_transitions():
    assert set(TRANSITIONS) == set(Order.Status.values)
    assert TRANSITIONS[Order.Status.CANCELLED] == frozenset()


def test_an_illegal_transition_is_refused_with_a_message(order):
    with pytest.raises(IllegalTransition, match="awaiting payment: it cannot become shipped"):
        order_transition(order=order, to=Order.Status.SHIPPED, actor="test")
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT


def test_transitions_are_recorded_with_time_and_actor(order):
    pay(order)
    order_ship(order=order, actor="staff x")
    history = list(order.transitions.values_list("from_status", "to_status", "actor"))
    assert history[1:] == [
        ("pending_payment", "paid", history[1][2]),
        ("paid", "shipped", "staff x"),
    ]
    assert history[1][2].startswith("sandbox payment sbx_")
    assert Message.objects.filter(kind=Message.Kind.ORDER_SHIPPED).count() == 1


def test_expiry_cancels_the_order_releases_stock_and_mails(order, product):
    product.refresh_from_db()
    assert stock_of(product) == 3
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert order_expire(order_id=order.pk) == "cancelled"
    order.refresh_from_db()
    product.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert stock_of(product) == 5
    assert Invoice.objects.get(order=order).status == Invoice.Status.VOID
    assert Message.objects.filter(kind=Message.Kind.ORDER_CANCELLED).count() == 1


def test_expiry_before_the_deadline_does_nothing(order):
    assert order_expire(order_id=order.pk) == "not due"


def test_a_paid_order_never_expires(order, product):
    pay(order)
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        assert order_expire(order_id=order.pk) == "not pending"
    product.refresh_from_db()
    assert stock_of(product) == 3


def test_a_payment_in_flight_at_expiry_is_asked_about_first(order):
    pay(order, "4000000000003063")  # pending at the provider; succeeds when its webhook is built
    SandboxCharge.objects.update(status="succeeded")
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert order_expire(order_id=order.pk) == "paid meanwhile"
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


def test_an_unfinished_payment_at_expiry_is_closed_at_the_provider(order):
    """The shopper left the provider's page open: after expiry that page can no longer take money."""
    key = payment_key(invoice=order.invoice)
    payment = payment_start(order=order, key=key, return_url=return_url(order, key))
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert order_expire(order_id=order.pk) == "cancelled"
    assert SandboxCharge.objects.get().status == "canceled"
    payment.refresh_from_db()
    assert payment.status == Payment.Status.FAILED


@pytest.mark.django_db(transaction=True)  # the real worker runs outside the test transaction
def test_the_expiry_task_is_queued_for_the_deadline(shopper, product, django_capture_on_commit_callbacks, worker):
    from tests.orders.conftest import fill_cart, place

    fill_cart(shopper, (product, 1))
    with django_capture_on_commit_callbacks(execute=True):
        order = place(shopper)
    worker()  # not due yet: the task waits for run_after
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        worker()
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED


def test_expire_reservations_command_catches_lost_tasks(order, capsys):
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        call_command("expire_reservations")
    assert "1 cancelled" in capsys.readouterr().out


def test_paying_after_the_reservation_expired_is_refused(order):
    from orders.payments import PaymentNotAllowed

    with time_machine.travel(timezone.now() + timedelta(minutes=16)), pytest.raises(PaymentNotAllowed, match="expired"):
        pay(order)
    assert not SandboxCharge.objects.exists()


def test_cancel_releases_stock_once(order, product):
    order_cancel(order=order, actor="staff")
    with pytest.raises(IllegalTransition):
        order_cancel(order=order, actor="staff")
    product.refresh_from_db()
    assert stock_of(product) == 5


def test_deleting_the_account_keeps_its_orders(order, shopper):
    user_delete(user=shopper)
    order.refresh_from_db()
    assert order.user is None
    assert order.email == "ada@example.com"


def test_an_ordered_product_cannot_be_hard_deleted(order, product):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        Product.objects.filter(pk=product.pk).delete()


# --- Admin ---------------------------------------------------------------------------------------------


def admin_action(client, action, order):
    return client.post("/admin/orders/order/", {"action": action, "_selected_action": [order.pk]}, follow=True)


def test_admin_lists_filters_and_searches_orders(staff_client, order):
    assert order.number in staff_client.get("/admin/orders/order/").content.decode()
    assert order.number in staff_client.get("/admin/orders/order/", {"q": "ada@example"}).content.decode()
    page = staff_client.get("/admin/orders/order/", {"status__exact": "paid"}).content.decode()
    assert order.number not in page
    page = staff_client.get("/admin/orders/order/", {"invoice": "open"}).content.decode()
    assert order.number in page
    detail = staff_client.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    assert "Brass gear" in detail
    assert "pending_payment" in detail


def test_admin_refuses_shipping_an_unpaid_order(staff_client, order):
    response = admin_action(staff_client, "mark_shipped", order)
    assert "cannot become shipped" in response.content.decode()
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT


def test_admin_ships_a_paid_order(staff_client, order):
    pay(order)
    admin_action(staff_client, "mark_shipped", order)
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED


def test_admin_cancel_releases_stock(staff_client, order, product):
    response = admin_action(staff_client, "cancel", order)
    assert "1 order(s) cancelled" in response.content.decode()
    product.refresh_from_db()
    assert stock_of(product) == 5
