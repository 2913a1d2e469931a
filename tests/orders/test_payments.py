"""Paying invoices on the provider's hosted page: test cards, 3-D Secure, one settle function for every
path, idempotency, webhooks, self-healing of interrupted payments, and no card data on our side."""

import json
import logging
import re
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from notifications.models import Message
from orders.models import Invoice, Order, OrderTransition, Payment, WebhookEvent
from orders.payments import PaymentNotAllowed, payment_key, payment_start
from sandbox import provider
from sandbox.gateway import SandboxGateway
from sandbox.models import SandboxCharge
from tests.orders.conftest import (
    ASYNC,
    DECLINE,
    INSUFFICIENT,
    SUCCESS,
    THREE_DS,
    TIMEOUT,
    make_shopper,
    pay,
    pay_over_http,
    return_url,
    signed_webhook,
)

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def paid_transitions(order):
    return OrderTransition.objects.filter(order=order, to_status=Order.Status.PAID).count()


def test_success_card_pays_the_order_and_queues_the_receipt(order):
    payment = pay(order)
    order.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED
    assert payment.gateway_reference.startswith("sbx_")
    assert order.status == Order.Status.PAID
    assert order.paid_at
    assert Invoice.objects.get(order=order).status == Invoice.Status.PAID
    assert Message.objects.filter(kind=Message.Kind.PAYMENT_RECEIPT, to=order.email).count() == 1
    assert SandboxCharge.objects.get().confirmations == 1


def test_starting_a_payment_gives_the_providers_page_and_charges_nothing(order):
    key = payment_key(invoice=order.invoice)
    payment = payment_start(order=order, key=key, return_url=return_url(order, key))
    assert payment.status == Payment.Status.PROCESSING
    assert payment.redirect_url == f"/sandbox-pay/{payment.gateway_reference}/"
    charge = SandboxCharge.objects.get()
    assert charge.status == "open"
    assert charge.confirmations == 0
    assert charge.amount == order.total


def test_decline_leaves_the_order_pending_and_a_retry_succeeds(order):
    payment = pay(order, DECLINE)
    assert payment.status == Payment.Status.FAILED
    assert payment.message == "Your card was declined."
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT
    # The retry is a new attempt with a new key, at a new provider session.
    assert payment_key(invoice=order.invoice).endswith("-2")
    assert pay(order, SUCCESS).status == Payment.Status.SUCCEEDED
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert SandboxCharge.objects.count() == 2


def test_insufficient_funds_says_so(order):
    assert "insufficient funds" in pay(order, INSUFFICIENT).message


def test_three_d_secure_approved_pays(order):
    assert pay(order, THREE_DS, approve=True).status == Payment.Status.SUCCEEDED
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


def test_three_d_secure_refused_fails_and_a_retry_is_allowed(order):
    payment = pay(order, THREE_DS, approve=False)
    assert payment.status == Payment.Status.FAILED
    assert "3-D Secure" in payment.message
    assert pay(order, SUCCESS).status == Payment.Status.SUCCEEDED


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


def test_a_second_pay_click_resumes_the_same_provider_session(order):
    key = payment_key(invoice=order.invoice)
    first = payment_start(order=order, key=key, return_url=return_url(order, key))
    second = payment_start(order=order, key=key, return_url=return_url(order, key))
    assert first.pk == second.pk
    assert second.redirect_url == first.redirect_url
    assert SandboxCharge.objects.count() == 1


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
    pay(order)  # the shopper's return settles
    worker()  # the provider's webhook arrives afterwards
    Payment.objects.update(status=Payment.Status.PENDING)  # pretend it was still in flight
    call_command("reconcile_payments", "--min-age", "0")  # reconciliation finds it paid already
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert paid_transitions(order) == 1
    assert Message.objects.filter(kind=Message.Kind.PAYMENT_RECEIPT).count() == 1


def test_reconciliation_settles_a_payment_whose_answer_was_lost(order, capsys):
    """The provider charged, the shopper never came back and the webhook never came: reconciliation settles it."""
    key = payment_key(invoice=order.invoice)
    payment = payment_start(order=order, key=key, return_url=return_url(order, key))
    SandboxCharge.objects.filter(reference=payment.gateway_reference).update(status="succeeded", confirmations=1)
    call_command("reconcile_payments", "--min-age", "0")
    assert "1 settled" in capsys.readouterr().out
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


# --- Interrupted payments heal themselves ---------------------------------------------------------------


def heal_tasks():
    return DBTaskResult.objects.filter(task_path="orders.tasks.payment_heal")


def test_starting_a_payment_queues_its_check_after_the_configured_delay(order, settings):
    settings.PAYMENT_RECONCILE_AFTER = timedelta(seconds=120)
    before = timezone.now()
    key = payment_key(invoice=order.invoice)
    payment = payment_start(order=order, key=key, return_url=return_url(order, key))
    task = heal_tasks().get()
    assert task.args_kwargs["args"] == [payment.pk]
    assert before + timedelta(seconds=119) <= task.run_after <= timezone.now() + timedelta(seconds=121)


@pytest.mark.django_db(transaction=True)  # the real worker runs outside the test transaction
def test_a_network_timeout_on_the_providers_page_heals_and_the_shopper_pays_again_at_once(order, worker):
    """The card network timed out: the provider never sends the shopper back and sends no webhook."""
    key = payment_key(invoice=order.invoice)
    payment = payment_start(order=order, key=key, return_url=return_url(order, key))
    provider.charge_submit(reference=payment.gateway_reference, number=TIMEOUT)
    worker()
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PROCESSING  # nobody has told us anything yet
    with time_machine.travel(timezone.now() + settings.PAYMENT_RECONCILE_AFTER + timedelta(seconds=1)):
        worker()  # the scheduled check asks the provider
    payment.refresh_from_db()
    assert payment.status == Payment.Status.FAILED
    assert "nothing was charged" in payment.message
    assert pay(order, SUCCESS).status == Payment.Status.SUCCEEDED  # no "a payment is being processed"


@pytest.mark.django_db(transaction=True)
def test_a_pay_interrupted_before_the_provider_heals(order, worker):
    """An instance killed between claiming the attempt and reaching the provider: the check finds nothing."""
    key = payment_key(invoice=order.invoice)
    from orders.payments import _heal_later

    payment = Payment.objects.create(invoice=order.invoice, gateway="sandbox", idempotency_key=key, amount=order.total)
    _heal_later(payment)  # what the claiming transaction queued before the instance died
    with pytest.raises(PaymentNotAllowed):
        pay(order, key=f"{order.invoice.display_number}-2")
    with time_machine.travel(timezone.now() + settings.PAYMENT_RECONCILE_AFTER + timedelta(seconds=1)):
        worker()
    payment.refresh_from_db()
    assert payment.status == Payment.Status.FAILED
    assert pay(order, SUCCESS).status == Payment.Status.SUCCEEDED


@pytest.mark.django_db(transaction=True)
def test_the_check_looks_again_while_the_shopper_is_still_on_the_providers_page(order, worker):
    key = payment_key(invoice=order.invoice)
    payment = payment_start(order=order, key=key, return_url=return_url(order, key))
    with time_machine.travel(timezone.now() + settings.PAYMENT_RECONCILE_AFTER + timedelta(seconds=1)):
        worker()
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PROCESSING  # still open at the provider: nothing to decide
    assert heal_tasks().filter(status="READY").count() == 1  # and it will ask again


def test_a_shopper_back_without_paying_can_pay_at_once_after_cancelling(order):
    key = payment_key(invoice=order.invoice)
    payment = payment_start(order=order, key=key, return_url=return_url(order, key))
    provider.charge_cancel(reference=payment.gateway_reference)  # "Cancel and return" on the provider's page
    from orders.payments import payment_return

    assert payment_return(order=order, key=key).status == Payment.Status.FAILED
    assert pay(order, SUCCESS).status == Payment.Status.SUCCEEDED


# --- The return URL -----------------------------------------------------------------------------------


def test_the_return_url_visited_twice_changes_nothing(shopper_client, order):
    answer = pay_over_http(shopper_client, order, SUCCESS)
    assert answer.status_code == 302
    assert answer["Location"] == order.get_absolute_url()
    again = shopper_client.get(return_url(order, f"{order.invoice.display_number}-1"))
    assert again.status_code == 302
    assert paid_transitions(order) == 1
    assert Message.objects.filter(kind=Message.Kind.PAYMENT_RECEIPT).count() == 1


def test_another_shoppers_return_url_is_a_404_and_changes_nothing(client, order):
    key = payment_key(invoice=order.invoice)
    payment = payment_start(order=order, key=key, return_url=return_url(order, key))
    provider.charge_submit(reference=payment.gateway_reference, number=SUCCESS)
    client.force_login(make_shopper("mallory@example.com"))
    response = client.get(return_url(order, key))
    assert response.status_code == 404
    assert order.number not in response.content.decode()
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PROCESSING  # not even asked about


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
            "currency": "EUR",
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


def test_a_replay_outside_the_tolerance_is_refused(client, pending_payment, order):
    """An attacker replaying a captured delivery later: its signed timestamp is stale."""
    event = event_for(pending_payment)
    body = json.dumps(event).encode()
    header = provider.webhook_sign(body, int(time.time()))
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.PAYMENT_WEBHOOK_TOLERANCE + 5)):
        response = client.post(
            "/payments/webhook/sandbox/", body, content_type="application/json", headers={"Sandbox-Signature": header}
        )
    assert response.status_code == 400
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT


def test_a_tampered_body_changes_nothing(client, pending_payment, order):
    body = json.dumps(event_for(pending_payment)).encode()
    header = provider.webhook_sign(body, int(time.time()))
    tampered = body.replace(b'"evt_1"', b'"evt_2"')
    response = client.post(
        "/payments/webhook/sandbox/", tampered, content_type="application/json", headers={"Sandbox-Signature": header}
    )
    assert response.status_code == 400


def test_an_unsigned_or_unreadable_webhook_is_a_400_not_a_500(client):
    assert client.post("/payments/webhook/sandbox/", b"{}", content_type="application/json").status_code == 400
    body = b"not json"
    headers = {"Sandbox-Signature": provider.webhook_sign(body, int(time.time()))}
    response = client.post("/payments/webhook/sandbox/", body, content_type="application/json", headers=headers)
    assert response.status_code == 400
    forged = {"Sandbox-Signature": f"t={int(time.time())},v1=\u00e9\u00e9"}
    response = client.post("/payments/webhook/sandbox/", b"{}", content_type="application/json", headers=forged)
    assert response.status_code == 400


def test_webhook_for_an_unknown_gateway_is_404(client):
    assert client.post("/payments/webhook/nope/", b"{}", content_type="application/json").status_code == 404


def test_webhook_for_an_unknown_payment_is_200_ignored_and_logged(client, caplog):
    event = {
        "id": "evt_x",
        "type": "payment.succeeded",
        "created": int(time.time()),
        "data": {"reference": "sbx_nobody", "idempotency_key": "INV-999999-1", "status": "succeeded",
                 "amount": "10.00", "currency": "EUR"},
    }  # fmt: skip
    response = signed_webhook(client, event)
    assert response.status_code == 200
    assert response.content == b"unknown payment"
    assert "webhook for an unknown payment" in caplog.text
    assert not Payment.objects.exists()


@pytest.mark.parametrize(("field", "value"), [("amount", "1.00"), ("currency", "USD")])
def test_webhook_with_a_wrong_amount_or_currency_flags_the_payment_and_pays_nothing(
    client, pending_payment, order, field, value, caplog
):
    event = event_for(pending_payment)
    event["data"][field] = value
    assert signed_webhook(client, event).content == b"flagged"
    order.refresh_from_db()
    pending_payment.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT
    assert pending_payment.needs_review
    assert "The provider reported" in pending_payment.message
    assert "payment answer does not match the invoice" in caplog.text


def test_a_failed_event_marks_the_attempt_failed(client, pending_payment, order):
    assert signed_webhook(client, event_for(pending_payment, status="failed")).content == b"failed"
    pending_payment.refresh_from_db()
    assert pending_payment.status == Payment.Status.FAILED


# --- No card data on our side ----------------------------------------------------------------------------


CARD_FIELD = re.compile(r"cc-number|cc-csc|cc-exp|name=\"(number|cvc|card|expiry)\"|cvc|card number", re.IGNORECASE)


def test_no_template_of_the_shop_asks_for_card_data():
    """Only the sandbox provider's own pages (its app, standing in for another domain) take a card."""
    ours = [p for p in (ROOT / "templates").rglob("*.html")]
    ours += [p for app in apps.get_app_configs() if app.name != "sandbox" for p in Path(app.path).rglob("*.html")]
    offenders = [str(p) for p in ours if ROOT in p.parents and CARD_FIELD.search(p.read_text())]
    assert offenders == []


def test_no_model_of_the_shop_has_a_card_field():
    names = [
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        if model._meta.app_label != "sandbox"
        for field in model._meta.get_fields()
        if re.search(r"card|cvc|pan\b|expiry", field.name)
    ]
    assert names == []


def test_the_pay_page_has_no_card_input(shopper_client, order):
    page = shopper_client.get(f"/checkout/pay/{order.number}/").content.decode()
    assert not CARD_FIELD.search(page)
    form = re.search(r'<form[^>]*class="pay-form".*?</form>', page, re.DOTALL)[0]
    assert re.findall(r"<input[^>]*name=\"(\w+)\"", form) == ["csrfmiddlewaretoken", "key"]


def all_rows_text() -> str:
    """Every row of every table of the database, as text."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            chunks.append(repr(cursor.fetchall()))
    return "\n".join(chunks)


@pytest.mark.django_db(transaction=True)  # the real worker runs outside the test transaction
@pytest.mark.parametrize("number", [SUCCESS, DECLINE, TIMEOUT, ASYNC, THREE_DS])
def test_the_card_number_is_stored_and_logged_nowhere(client, shopper, order, number, caplog, worker):
    caplog.set_level(logging.DEBUG)
    client.force_login(shopper)
    pay_over_http(client, order, number)
    worker()
    assert number not in all_rows_text()  # not even in the sandbox's ledger: it keeps the last four
    assert number not in caplog.text


# --- Stray money, staff, and the gateway outside transactions ------------------------------------------


def charged_after_cancel(order):
    from orders.services import order_cancel

    payment = pay(order, ASYNC)
    Payment.objects.filter(pk=payment.pk).update(status=Payment.Status.FAILED)  # let the cancel through
    order_cancel(order=order, actor="test")
    Payment.objects.filter(pk=payment.pk).update(status=Payment.Status.PENDING)
    SandboxCharge.objects.update(status="succeeded", confirmations=1)
    call_command("reconcile_payments", "--min-age", "0")
    payment.refresh_from_db()
    return payment


def test_money_arriving_after_expiry_is_recorded_for_a_refund(order, caplog):
    """The provider confirms after the order was cancelled: the charge is recorded, the order stays cancelled."""
    payment = charged_after_cancel(order)
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert payment.status == Payment.Status.SUCCEEDED
    assert payment.needs_review
    assert "refund it" in payment.message
    assert "payment for a closed invoice" in caplog.text


def test_staff_refund_a_stray_charge_from_the_admin_once(order, staff_client):
    payment = charged_after_cancel(order)

    def refund():
        data = {"action": "refund_stray", "_selected_action": [payment.pk]}
        return staff_client.post("/admin/orders/payment/", data, follow=True).content.decode()

    assert "1 payment(s) refunded." in refund()
    payment.refresh_from_db()
    assert payment.status == Payment.Status.REFUNDED
    assert SandboxCharge.objects.get().refunded == payment.amount
    assert "is not a stray charge" in refund()  # a second click changes nothing
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED


def test_the_orders_own_payment_is_not_a_stray_charge(order, staff_client):
    payment = pay(order)
    data = {"action": "refund_stray", "_selected_action": [payment.pk]}
    page = staff_client.post("/admin/orders/payment/", data, follow=True).content.decode()
    assert "is not a stray charge; refund its order instead." in page
    assert SandboxCharge.objects.get().refunded == 0


class WatchedSandbox(SandboxGateway):
    """The sandbox provider, noting whether our side held a transaction open at each call."""

    name = "watched"
    in_transaction: list[bool] = []

    def _note(self):
        self.in_transaction.append(connection.in_atomic_block)

    def payment_start(self, **kwargs):
        self._note()
        return super().payment_start(**kwargs)

    def payment_retrieve(self, **kwargs):
        self._note()
        return super().payment_retrieve(**kwargs)

    def payment_cancel(self, **kwargs):
        self._note()
        return super().payment_cancel(**kwargs)

    def payment_refund(self, **kwargs):
        self._note()
        return super().payment_refund(**kwargs)


@pytest.mark.django_db(transaction=True)  # outside the test's own transaction, so in_atomic_block is ours
def test_the_gateway_is_never_called_inside_a_transaction(shopper, product, settings, monkeypatch):
    from orders.gateways import GATEWAYS
    from orders.refunds import order_refund
    from tests.orders.conftest import fill_cart, place

    monkeypatch.setitem(GATEWAYS, "watched", WatchedSandbox)
    settings.PAYMENT_GATEWAY = "watched"
    WatchedSandbox.in_transaction = []
    fill_cart(shopper, (product, 1))
    order = place(shopper)
    pay(order, DECLINE)  # start, and the return's question
    pay(order, SUCCESS)
    order_refund(order=order, actor="test", amount=Decimal("1.00"))
    assert len(WatchedSandbox.in_transaction) == 5
    assert not any(WatchedSandbox.in_transaction)
