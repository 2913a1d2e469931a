"""Paying invoices: test cards, one settle function for every path, idempotency, webhooks, reconciliation."""

import json
import logging
import time
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection

from notifications.models import Message
from orders.forms import CardForm
from orders.gateways.sandbox import SandboxGateway
from orders.models import Invoice, Order, OrderTransition, Payment, SandboxCharge, WebhookEvent
from orders.payments import PaymentDeclined, PaymentNotAllowed, PaymentUnavailable, payment_key, payment_pay
from tests.orders.conftest import ASYNC, DECLINE, INSUFFICIENT, SUCCESS, TIMEOUT, card_post, signed_webhook

pytestmark = pytest.mark.django_db


def pay(order, number=SUCCESS, key=None):
    form = CardForm(card_post(key or payment_key(invoice=order.invoice), number))
    assert form.is_valid(), form.errors
    return payment_pay(order=order, key=form.cleaned_data["key"], card=form.card())


def paid_transitions(order):
    return OrderTransition.objects.filter(order=order, to_status=Order.Status.PAID).count()


def test_success_card_pays_the_order_and_queues_the_receipt(order):
    payment = pay(order)
    order.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED
    assert payment.card_last4 == "4242"
    assert payment.gateway_reference.startswith("sbx_")
    assert order.status == Order.Status.PAID
    assert order.paid_at
    assert Invoice.objects.get(order=order).status == Invoice.Status.PAID
    assert Message.objects.filter(kind=Message.Kind.PAYMENT_RECEIPT, to=order.email).count() == 1
    assert SandboxCharge.objects.get().confirmations == 1


def test_decline_leaves_the_order_pending_and_a_retry_succeeds(order):
    with pytest.raises(PaymentDeclined, match="declined"):
        pay(order, DECLINE)
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT
    assert Payment.objects.get().status == Payment.Status.FAILED
    # The retry is a new attempt with a new key.
    assert payment_key(invoice=order.invoice).endswith("-2")
    pay(order, SUCCESS)
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


def test_insufficient_funds_says_so(order):
    with pytest.raises(PaymentDeclined, match="insufficient funds"):
        pay(order, INSUFFICIENT)


def test_timeout_leaves_the_order_pending_and_charges_nothing(order):
    with pytest.raises(PaymentUnavailable, match="not charged"):
        pay(order, TIMEOUT)
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT
    # The gateway was asked how it ended: never charged, so the attempt failed and a retry is allowed.
    assert Payment.objects.get().status == Payment.Status.FAILED
    pay(order, SUCCESS)
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


@pytest.mark.django_db(transaction=True)  # the real worker runs outside the test transaction
def test_async_card_waits_for_the_webhook(order, worker):
    payment = pay(order, ASYNC)
    assert payment.status == Payment.Status.PENDING
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT
    worker()  # the provider's webhook task
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert paid_transitions(order) == 1


def test_the_same_key_again_charges_once(order):
    key = payment_key(invoice=order.invoice)
    first = pay(order, key=key)
    second = pay(order, key=key)
    assert first.pk == second.pk
    assert Payment.objects.count() == 1
    assert SandboxCharge.objects.get().confirmations == 1


def test_a_stale_key_is_refused(order):
    with pytest.raises(PaymentNotAllowed, match="out of date"):
        pay(order, key=f"{order.invoice.display_number}-7")


def test_a_paid_order_cannot_be_paid_again(order):
    pay(order)
    with pytest.raises(PaymentNotAllowed, match="already paid"):
        pay(order, key=f"{order.invoice.display_number}-2")
    assert SandboxCharge.objects.count() == 1


@pytest.mark.django_db(transaction=True)  # the real worker runs outside the test transaction
def test_browser_webhook_and_reconciliation_settle_once(order, worker):
    pay(order)  # the browser path settles
    worker()  # the provider's webhook arrives afterwards
    Payment.objects.update(status=Payment.Status.PENDING)  # pretend it was still in flight
    call_command("reconcile_payments", "--min-age", "0")  # reconciliation finds it paid already
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert paid_transitions(order) == 1
    assert Message.objects.filter(kind=Message.Kind.PAYMENT_RECEIPT).count() == 1


def test_reconciliation_settles_a_payment_whose_answer_was_lost(order, capsys):
    """The provider charged, the webhook never came: reconcile_payments settles it."""
    key = payment_key(invoice=order.invoice)
    gateway = SandboxGateway()
    created = gateway.payment_create(idempotency_key=key, amount=order.total, currency="EUR", description="x")
    Payment.objects.create(invoice=order.invoice, gateway="sandbox", idempotency_key=key, amount=order.total)
    SandboxCharge.objects.filter(reference=created.reference).update(status="succeeded", confirmations=1)
    call_command("reconcile_payments", "--min-age", "0")
    assert "1 settled" in capsys.readouterr().out
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


# --- Webhooks ------------------------------------------------------------------------------------------


def event_for(payment, event_id="evt_1", status="succeeded"):
    return {
        "id": event_id,
        "type": f"payment.{status}",
        "created": int(time.time()),
        "data": {
            "reference": payment.gateway_reference or "sbx_x",
            "idempotency_key": payment.idempotency_key,
            "status": status,
            "amount": str(payment.amount),
            "card_last4": "3063",
        },
    }


@pytest.fixture
def pending_payment(order):
    payment = pay(order, ASYNC)
    assert payment.status == Payment.Status.PENDING
    return payment


def test_signed_webhook_settles(client, pending_payment, order):
    response = signed_webhook(client, event_for(pending_payment))
    assert response.status_code == 200
    assert response.content == b"settled"
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


def test_a_webhook_delivered_five_times_makes_one_transition(client, pending_payment, order):
    answers = [signed_webhook(client, event_for(pending_payment)).content for _ in range(5)]
    assert answers == [b"settled", b"duplicate", b"duplicate", b"duplicate", b"duplicate"]
    assert paid_transitions(order) == 1
    assert WebhookEvent.objects.count() == 1


def test_a_bad_signature_changes_nothing(client, pending_payment, order):
    response = signed_webhook(client, event_for(pending_payment), secret="not-the-secret")
    assert response.status_code == 400
    assert b"signature" in response.content
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT
    assert not WebhookEvent.objects.exists()


def test_a_stale_timestamp_changes_nothing(client, pending_payment, order):
    response = signed_webhook(client, event_for(pending_payment), timestamp=int(time.time()) - 3600)
    assert response.status_code == 400
    assert b"Stale" in response.content
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT


def test_a_tampered_body_changes_nothing(client, pending_payment, order):
    from orders.gateways.sandbox import SIGNATURE_HEADER, webhook_sign

    body = json.dumps(event_for(pending_payment)).encode()
    header = webhook_sign(body, int(time.time()))
    tampered = body.replace(b'"evt_1"', b'"evt_2"')
    response = client.post(
        "/payments/webhook/sandbox/", tampered, content_type="application/json", headers={SIGNATURE_HEADER: header}
    )
    assert response.status_code == 400


def test_an_unsigned_or_unreadable_webhook_is_a_400_not_a_500(client):
    assert client.post("/payments/webhook/sandbox/", b"{}", content_type="application/json").status_code == 400
    from orders.gateways.sandbox import SIGNATURE_HEADER, webhook_sign

    body = b"not json"
    headers = {SIGNATURE_HEADER: webhook_sign(body, int(time.time()))}
    response = client.post("/payments/webhook/sandbox/", body, content_type="application/json", headers=headers)
    assert response.status_code == 400
    forged = {SIGNATURE_HEADER: f"t={int(time.time())},v1=\u00e9\u00e9"}
    response = client.post("/payments/webhook/sandbox/", b"{}", content_type="application/json", headers=forged)
    assert response.status_code == 400


def test_webhook_for_an_unknown_gateway_is_404(client):
    assert client.post("/payments/webhook/nope/", b"{}", content_type="application/json").status_code == 404


def test_webhook_with_a_wrong_amount_settles_nothing(client, pending_payment, order):
    event = event_for(pending_payment)
    event["data"]["amount"] = str(pending_payment.amount - Decimal("1.00"))
    assert signed_webhook(client, event).content == b"unchanged"
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT


def test_a_failed_event_marks_the_attempt_failed(client, pending_payment, order):
    assert signed_webhook(client, event_for(pending_payment, status="failed")).content == b"failed"
    pending_payment.refresh_from_db()
    assert pending_payment.status == Payment.Status.FAILED


# --- The card number never lands anywhere --------------------------------------------------------------


def all_rows_text() -> str:
    """Every row of every table of the database, as text."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            chunks.append(repr(cursor.fetchall()))
    return "\n".join(chunks)


@pytest.mark.django_db(transaction=True)  # the real worker runs outside the test transaction
@pytest.mark.parametrize("number", [SUCCESS, DECLINE, TIMEOUT, ASYNC])
def test_the_card_number_is_stored_and_logged_nowhere(client, shopper, order, number, caplog, worker):
    caplog.set_level(logging.DEBUG)
    client.force_login(shopper)
    key = payment_key(invoice=order.invoice)
    client.post(f"/checkout/pay/{order.number}/", card_post(key, number))
    client.post(f"/checkout/pay/{order.number}/", card_post(key, number))  # and a retry
    worker()
    text = all_rows_text()
    assert number not in text
    assert number[-4:] in text  # the last four digits are kept
    assert number not in caplog.text
    assert "123" not in [p.card_last4 for p in Payment.objects.all()]


def test_money_arriving_after_expiry_is_recorded_for_a_refund(order, caplog):
    """The provider confirms after the order was cancelled: the charge is recorded, the order stays cancelled."""
    from orders.services import order_cancel

    payment = pay(order, ASYNC)
    Payment.objects.filter(pk=payment.pk).update(status=Payment.Status.FAILED)  # let the cancel through
    order_cancel(order=order, actor="test")
    Payment.objects.filter(pk=payment.pk).update(status=Payment.Status.PENDING)
    SandboxCharge.objects.update(status="succeeded")
    call_command("reconcile_payments", "--min-age", "0")
    payment.refresh_from_db()
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert payment.status == Payment.Status.SUCCEEDED
    assert "refund it" in payment.message
    assert "payment for a closed invoice" in caplog.text


def test_staff_refund_a_stray_charge_from_the_admin_once(order, client, django_user_model):
    from orders.services import order_cancel

    payment = pay(order, ASYNC)
    Payment.objects.filter(pk=payment.pk).update(status=Payment.Status.FAILED)
    order_cancel(order=order, actor="test")
    Payment.objects.filter(pk=payment.pk).update(status=Payment.Status.PENDING)
    SandboxCharge.objects.update(status="succeeded")
    call_command("reconcile_payments", "--min-age", "0")  # recorded as a charge to refund
    client.force_login(django_user_model.objects.create_superuser("boss@example.com", "long-unusual-passphrase-42"))

    def refund():
        data = {"action": "refund_stray", "_selected_action": [payment.pk]}
        return client.post("/admin/orders/payment/", data, follow=True).content.decode()

    assert "1 payment(s) refunded." in refund()
    payment.refresh_from_db()
    assert payment.status == Payment.Status.REFUNDED
    assert SandboxCharge.objects.get().status == "refunded"
    assert "is not a stray charge" in refund()  # a second click changes nothing


def test_the_orders_own_payment_is_not_a_stray_charge(order, client, django_user_model):
    payment = pay(order)
    client.force_login(django_user_model.objects.create_superuser("boss@example.com", "long-unusual-passphrase-42"))
    data = {"action": "refund_stray", "_selected_action": [payment.pk]}
    page = client.post("/admin/orders/payment/", data, follow=True).content.decode()
    assert "is not a stray charge; refund its order instead." in page
    assert SandboxCharge.objects.get().status == "succeeded"


class WatchedSandbox(SandboxGateway):
    """The sandbox provider, noting whether our side held a transaction open at each call."""

    name = "watched"
    in_transaction: list[bool] = []

    def _note(self):
        self.in_transaction.append(connection.in_atomic_block)

    def payment_create(self, **kwargs):
        self._note()
        return super().payment_create(**kwargs)

    def payment_confirm(self, **kwargs):
        self._note()
        return super().payment_confirm(**kwargs)

    def payment_retrieve(self, **kwargs):
        self._note()
        return super().payment_retrieve(**kwargs)

    def payment_refund(self, **kwargs):
        self._note()
        return super().payment_refund(**kwargs)


@pytest.mark.django_db(transaction=True)  # outside the test's own transaction, so in_atomic_block is ours
def test_the_gateway_is_never_called_inside_a_transaction(shopper, product, settings, monkeypatch):
    from orders.gateways import GATEWAYS
    from orders.services import order_refund
    from tests.orders.conftest import fill_cart, place

    monkeypatch.setitem(GATEWAYS, "watched", WatchedSandbox)
    settings.PAYMENT_GATEWAY = "watched"
    WatchedSandbox.in_transaction = []
    fill_cart(shopper, (product, 1))
    order = place(shopper)
    with pytest.raises(PaymentUnavailable):
        pay(order, TIMEOUT)  # create, confirm (times out), retrieve
    pay(order, SUCCESS)
    order_refund(order=order, actor="test")
    assert len(WatchedSandbox.in_transaction) == 6
    assert not any(WatchedSandbox.in_transaction)
