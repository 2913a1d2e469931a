"""The Stripe gateway (Checkout Sessions, the official SDK) against a local fake of Stripe's HTTP API."""

import json
import socket
import time
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.utils import timezone

from orders.models import CreditNote, Order, OrderTransition, Payment
from orders.payments import order_expire
from orders.refunds import order_refund
from tests.orders.stripe_fake import FakeStripe, sign

pytestmark = pytest.mark.django_db
SECRET = "whsec_test_secret"


@pytest.fixture
def stripe_api(settings):
    with FakeStripe() as fake:
        settings.PAYMENT_GATEWAY = "stripe"
        settings.STRIPE_SECRET_KEY = fake.secret_key
        settings.STRIPE_PUBLISHABLE_KEY = "pk_test_fake"
        settings.STRIPE_WEBHOOK_SECRET = SECRET
        settings.STRIPE_API_BASE = fake.url
        yield fake


@pytest.fixture
def buyer(client, shopper):
    client.force_login(shopper)
    return client


def start(client, order):
    key = client.get(f"/checkout/pay/{order.number}/").context["form"].initial["key"]
    return client.post(f"/checkout/pay/{order.number}/", {"key": key}), key


def webhook(client, event: dict, *, secret: str = SECRET, timestamp: int | None = None):
    body = json.dumps(event).encode()
    return client.post(
        "/payments/webhook/stripe/",
        body,
        content_type="application/json",
        headers={"Stripe-Signature": sign(body, secret, timestamp)},
    )


def session_posts(fake):
    return [r for r in fake.requests if r[0] == "POST" and r[1] == "/v1/checkout/sessions"]


def test_pay_creates_a_checkout_session_and_sends_the_shopper_to_stripe(buyer, order, stripe_api):
    response, key = start(buyer, order)
    session = next(iter(stripe_api.sessions.values()))
    assert response.status_code == 302
    assert response.url == f"https://checkout.stripe.com/c/pay/{session['id']}"
    _, _, params, headers = session_posts(stripe_api)[0]
    assert headers["Idempotency-Key"] == key
    assert params["mode"] == "payment"
    assert params["line_items[0][price_data][unit_amount]"] == "2490"  # 2 × 10.00 + 4.90, in cents
    assert params["line_items[0][price_data][currency]"] == "eur"
    assert params["metadata[idempotency_key]"] == key
    assert params["success_url"] == f"http://testserver/checkout/pay/{order.number}/return/?key={key}"
    payment = Payment.objects.get()
    assert (payment.gateway, payment.gateway_reference) == ("stripe", session["id"])


def test_ten_pay_clicks_make_one_session(buyer, order, stripe_api):
    answers = [start(buyer, order)[0] for _ in range(10)]
    assert len(stripe_api.sessions) == 1
    assert len({a.url for a in answers}) == 1
    assert Payment.objects.count() == 1


def test_the_success_webhook_settles_the_order(client, buyer, order, stripe_api):
    start(buyer, order)
    session = stripe_api.complete(next(iter(stripe_api.sessions)))
    response = webhook(client, stripe_api.event("checkout.session.completed", session["id"]))
    assert response.status_code == 200
    assert response.content == b"settled"
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert webhook(client, stripe_api.event("checkout.session.completed", session["id"])).content == b"unchanged"
    assert OrderTransition.objects.filter(order=order, to_status="paid").count() == 1


def test_the_return_url_asks_stripe_and_settles(buyer, order, stripe_api):
    _, key = start(buyer, order)
    stripe_api.complete(next(iter(stripe_api.sessions)))
    response = buyer.get(f"/checkout/pay/{order.number}/return/?key={key}")
    assert response.url == order.get_absolute_url()
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


def test_a_failed_payment_lets_the_shopper_pay_again_with_a_new_session(client, buyer, order, stripe_api):
    start(buyer, order)
    session = stripe_api.complete(next(iter(stripe_api.sessions)), paid=False)  # a delayed method
    assert webhook(client, stripe_api.event("checkout.session.completed", session["id"])).content == b"pending"
    event = stripe_api.event("checkout.session.async_payment_failed", session["id"])
    assert webhook(client, event).content == b"failed"
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT
    response, key = start(buyer, order)
    assert key.endswith("-2")
    assert len(stripe_api.sessions) == 2
    assert response.url.startswith("https://checkout.stripe.com/")


def test_an_expired_session_fails_the_attempt(client, buyer, order, stripe_api):
    start(buyer, order)
    session_id = next(iter(stripe_api.sessions))
    stripe_api.sessions[session_id]["status"] = "expired"
    assert webhook(client, stripe_api.event("checkout.session.expired", session_id)).content == b"failed"
    assert Payment.objects.get().status == Payment.Status.FAILED


def test_expiry_of_the_order_expires_the_open_session_at_stripe(buyer, order, stripe_api):
    start(buyer, order)
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert order_expire(order_id=order.pk) == "cancelled"
    session = next(iter(stripe_api.sessions.values()))
    assert session["status"] == "expired"
    assert any(r[1].endswith("/expire") for r in stripe_api.requests)


@pytest.mark.parametrize(
    ("kind", "make"),
    [
        ("bad signature", lambda e: {"secret": "whsec_not_ours"}),
        ("stale", lambda e: {"timestamp": int(time.time()) - 3600}),
    ],
)
def test_a_bad_or_stale_signature_is_a_400_and_changes_nothing(client, buyer, order, stripe_api, kind, make):
    start(buyer, order)
    session = stripe_api.complete(next(iter(stripe_api.sessions)))
    event = stripe_api.event("checkout.session.completed", session["id"])
    response = webhook(client, event, **make(event))
    assert response.status_code == 400
    assert b"signature" in response.content.lower()
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT


def test_an_unsigned_or_unreadable_webhook_is_a_400(client, stripe_api):
    assert client.post("/payments/webhook/stripe/", b"{}", content_type="application/json").status_code == 400
    body = b"\xff not json"
    headers = {"Stripe-Signature": sign(body, SECRET)}
    response = client.post("/payments/webhook/stripe/", body, content_type="application/json", headers=headers)
    assert response.status_code == 400


def test_a_webhook_for_an_unknown_session_is_200_and_ignored(client, stripe_api, caplog):
    stripe_api.sessions["cs_test_nobody"] = {
        "id": "cs_test_nobody", "status": "complete", "payment_status": "paid", "amount_total": 100,
        "currency": "eur", "metadata": {"idempotency_key": "INV-999999-1"}, "client_reference_id": "INV-999999-1",
    }  # fmt: skip
    response = webhook(client, stripe_api.event("checkout.session.completed", "cs_test_nobody"))
    assert response.status_code == 200
    assert response.content == b"unknown payment"
    assert "webhook for an unknown payment" in caplog.text


def test_an_event_type_we_do_not_need_is_200_and_ignored(client, buyer, order, stripe_api):
    start(buyer, order)
    event = stripe_api.event("customer.created", next(iter(stripe_api.sessions)))
    assert webhook(client, event).content == b"ignored"


def test_a_webhook_with_another_amount_flags_the_payment(client, buyer, order, stripe_api):
    start(buyer, order)
    session = stripe_api.complete(next(iter(stripe_api.sessions)))
    event = stripe_api.event("checkout.session.completed", session["id"], amount_total=100)
    assert webhook(client, event).content == b"flagged"
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT
    assert Payment.objects.get().needs_review


@pytest.fixture
def paid_at_stripe(client, buyer, order, stripe_api):
    start(buyer, order)
    session = stripe_api.complete(next(iter(stripe_api.sessions)))
    assert webhook(client, stripe_api.event("checkout.session.completed", session["id"])).content == b"settled"
    order.refresh_from_db()
    return order


def test_a_full_refund_through_stripe(paid_at_stripe, stripe_api):
    refund = order_refund(order=paid_at_stripe, actor="staff", reason="Returned")
    stripe_refund = stripe_api.refunds[refund.gateway_reference]
    assert stripe_refund["amount"] == 2490
    post = next(r for r in stripe_api.requests if r[1] == "/v1/refunds")
    assert post[3]["Idempotency-Key"] == refund.idempotency_key
    paid_at_stripe.refresh_from_db()
    assert paid_at_stripe.status == Order.Status.REFUNDED
    assert CreditNote.objects.get().amount == paid_at_stripe.total


def test_partial_refunds_through_stripe(paid_at_stripe, stripe_api):
    order_refund(order=paid_at_stripe, actor="staff", amount=Decimal("5.00"), reason="Scratch")
    order_refund(order=paid_at_stripe, actor="staff", amount=Decimal("4.90"), reason="Shipping")
    assert sorted(r["amount"] for r in stripe_api.refunds.values()) == [490, 500]
    paid_at_stripe.refresh_from_db()
    assert paid_at_stripe.status == Order.Status.PAID
    assert paid_at_stripe.invoice.amount_refunded == Decimal("9.90")


def test_a_refund_stripe_refuses_is_a_clear_message(paid_at_stripe, stripe_api):
    from orders.services import OrderError

    intent = next(iter(stripe_api.sessions.values()))["payment_intent"]
    stripe_api.refunds["re_elsewhere"] = {"amount": 2400, "payment_intent": intent}  # refunded in the dashboard
    with pytest.raises(OrderError, match="was not refunded"):
        order_refund(order=paid_at_stripe, actor="staff", amount=Decimal("5.00"))
    paid_at_stripe.refresh_from_db()
    assert paid_at_stripe.invoice.amount_refunded == 0


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_stripe_unreachable_is_a_message_not_a_500(buyer, order, settings):
    settings.PAYMENT_GATEWAY = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_fake"
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{closed_port()}"
    response, _ = start(buyer, order)
    assert response.status_code == 402
    assert "did not answer in time" in response.content.decode()
    assert Payment.objects.get().status in (Payment.Status.UNKNOWN, Payment.Status.FAILED)


@pytest.mark.parametrize("missing", ["STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET"])
def test_check_fails_naming_a_missing_stripe_setting(settings, missing):
    settings.PAYMENT_GATEWAY = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_x"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_x"
    setattr(settings, missing, "")
    with pytest.raises(SystemCheckError, match=missing):
        call_command("check")


def test_check_passes_with_every_stripe_setting(settings):
    settings.PAYMENT_GATEWAY = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_x"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_x"
    call_command("check")
