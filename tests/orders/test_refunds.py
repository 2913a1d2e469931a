"""Refunds from the admin: partial and full, never beyond what was paid, credit notes, stock, mail."""

from decimal import Decimal

import pytest

from notifications.models import Message
from orders.models import CreditNote, Invoice, Order, Payment, Refund
from orders.refunds import order_refund
from orders.services import OrderError
from sandbox.models import SandboxCharge
from tests.factories import stock_of
from tests.orders.conftest import pay

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(order):
    assert pay(order).status == Payment.Status.SUCCEEDED
    order.refresh_from_db()
    return order


def refund_page(staff_client, order):
    return f"/admin/orders/order/{order.pk}/refund/"


def refund(staff_client, order, amount, reason="Damaged in transit", restock=False):
    data = {"amount": str(amount), "reason": reason}
    if restock:
        data["restock"] = "on"
    return staff_client.post(refund_page(staff_client, order), data)


def test_the_refund_page_shows_what_is_left(staff_client, paid):
    page = staff_client.get(refund_page(staff_client, paid)).content.decode()
    assert f"Left to refund: <strong>€{paid.total}</strong>" in page
    assert 'name="restock"' in page


def test_a_partial_refund_from_the_admin(staff_client, paid, product):
    response = refund(staff_client, paid, "5.00")
    assert response.status_code == 302
    assert response["Location"] == f"/admin/orders/order/{paid.pk}/change/"
    paid.refresh_from_db()
    assert paid.status == Order.Status.PAID  # a partial refund keeps the order paid
    invoice = Invoice.objects.get(order=paid)
    assert invoice.amount_refunded == Decimal("5.00")
    note = CreditNote.objects.get()
    assert note.display_number == "CN-000001"
    assert note.amount == Decimal("5.00")
    assert SandboxCharge.objects.get().refunded == Decimal("5.00")
    product.refresh_from_db()
    assert stock_of(product) == 3  # nobody ticked the box
    mail = Message.objects.get(kind=Message.Kind.ORDER_REFUNDED)
    assert mail.to == paid.email
    assert "we refunded €5.00 for your order" in mail.body_text
    assert "Credit note CN-000001; refunded so far: €5.00" in mail.body_text
    assert "Damaged in transit" in mail.body_text


def test_several_partial_refunds_up_to_the_paid_amount_then_the_order_is_refunded(staff_client, paid):
    total = paid.total  # 2 × 10.00 + 4.90 shipping
    for amount in ("10.00", "10.00", str(total - Decimal("20.00"))):
        assert refund(staff_client, paid, amount).status_code == 302
    paid.refresh_from_db()
    assert paid.status == Order.Status.REFUNDED
    assert Payment.objects.get().status == Payment.Status.REFUNDED
    assert list(CreditNote.objects.values_list("number", flat=True)) == [1, 2, 3]
    assert Invoice.objects.get(order=paid).amount_refunded == total
    assert SandboxCharge.objects.get().refunded == total
    response = refund(staff_client, paid, "0.01")
    assert response.status_code == 400
    assert "cannot be refunded" in response.content.decode()


def test_a_refund_larger_than_what_is_left_is_a_clear_message(staff_client, paid):
    refund(staff_client, paid, "20.00")
    response = refund(staff_client, paid, "5.00")
    assert response.status_code == 400
    page = response.content.decode()
    assert f"€5.00 is more than the €{paid.total - Decimal('20.00')} left to refund" in page
    assert Refund.objects.filter(status=Refund.Status.SUCCEEDED).count() == 1
    assert CreditNote.objects.count() == 1
    assert SandboxCharge.objects.get().refunded == Decimal("20.00")


@pytest.mark.parametrize(
    ("amount", "message"),
    [("abc", "is not an amount"), ("-3", "above zero"), ("0", "above zero"), ("1.234", "decimal places"),
     ("NaN", "above zero"), ("1e400", "more than any payment"), ("", "This field is required")],
)  # fmt: skip
def test_bad_amounts_are_refused_with_a_reason_not_a_500(staff_client, paid, amount, message):
    response = refund(staff_client, paid, amount)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Refund.objects.exists()


def test_stock_comes_back_only_when_staff_ticks_the_box(staff_client, paid, product):
    refund(staff_client, paid, "1.00", restock=True)
    product.refresh_from_db()
    assert stock_of(product) == 5
    refund(staff_client, paid, "1.00", restock=True)  # once only
    product.refresh_from_db()
    assert stock_of(product) == 5


def test_a_refund_the_provider_refuses_is_a_message_and_frees_the_amount(staff_client, paid):
    SandboxCharge.objects.update(status="declined")  # the provider no longer has a refundable charge
    response = refund(staff_client, paid, "5.00")
    assert response.status_code == 400
    assert f"Order {paid.number} was not refunded" in response.content.decode()
    paid.refresh_from_db()
    assert paid.status == Order.Status.PAID
    assert Refund.objects.get().status == Refund.Status.FAILED
    assert not CreditNote.objects.exists()  # no number used up: the series stays gap-free
    SandboxCharge.objects.update(status="succeeded")
    assert refund(staff_client, paid, str(paid.total)).status_code == 302
    assert CreditNote.objects.get().number == 1


def test_an_unpaid_order_cannot_be_refunded(order):
    with pytest.raises(OrderError, match="cannot be refunded"):
        order_refund(order=order, actor="staff")


def test_the_changelist_action_leads_to_the_refund_page(staff_client, paid):
    data = {"action": "refund", "_selected_action": [paid.pk]}
    response = staff_client.post("/admin/orders/order/", data)
    assert response["Location"] == f"/admin/orders/order/{paid.pk}/refund/"


def test_the_order_and_invoice_pages_show_the_refunded_amount(client, shopper, paid):
    order_refund(order=paid, actor="staff", amount=Decimal("7.50"), reason="Late")
    client.force_login(shopper)
    page = client.get(paid.get_absolute_url()).content.decode()
    assert "Refunded: €7.50 of" in page
    invoice = client.get(f"/orders/{paid.number}/invoice/").content.decode()
    assert 'data-testid="invoice-refunded">€7.50<' in invoice
    assert "CN-000001" in invoice
