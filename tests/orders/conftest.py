"""Real rows for the orders tests: shoppers, carts, placed orders; the sandbox provider as the only fake."""

import json
import time

import pytest
from django.test import Client

from accounts.models import User
from cart.models import Cart, CartLine
from orders.payments import payment_key, payment_return, payment_start
from orders.pipeline import STEPS, Checkout, checkout_lines, checkout_place, checkout_quote, checkout_totals
from sandbox import provider
from sandbox.provider import SIGNATURE_HEADER, webhook_sign
from tests.factories import default_variant, make_product
from tests.notifications.conftest import drain_tasks

ADDRESS = {
    "name": "Ada Lovelace",
    "line1": "12 Engine Street",
    "line2": "",
    "city": "London",
    "postcode": "N1 7AA",
    "country": "GB",
    "phone": "",
}
SUCCESS = "4242424242424242"
THREE_DS = "4000002760003184"
ASYNC = "4000000000003063"
DECLINE = "4000000000000002"
INSUFFICIENT = "4000000000009995"
TIMEOUT = "4000000000000119"


def make_shopper(email: str = "ada@example.com") -> User:
    return User.objects.create_user(email, "a-long-and-unusual-passphrase-42", name="Ada Lovelace")


@pytest.fixture
def shopper(db):
    return make_shopper()


@pytest.fixture
def product(db):
    return make_product("Brass gear", stock=5)


def fill_cart(user: User, *items) -> Cart:
    """The user's cart holding (product, quantity) pairs, prices as seen now."""
    cart, _ = Cart.objects.get_or_create(user=user)
    for product, quantity in items:
        CartLine.objects.create(
            cart=cart, product=product, variant=default_variant(product), quantity=quantity, price_seen=product.price
        )
    return cart


def checkout_for(user: User, shipping: str = "standard", token: str = "") -> Checkout:
    """What the review page would submit for the user's cart as it is now."""
    cart = Cart.objects.filter(user=user).first()
    lines = checkout_lines(cart)
    voucher = cart.voucher if cart is not None else None
    quote = checkout_quote(lines, checkout_totals(lines, shipping, voucher=voucher)) if lines else ""
    return Checkout(user=user, cart=cart, address=dict(ADDRESS), shipping=shipping, quote=quote, token=token)


def place(user: User, steps=STEPS, **kwargs):
    return checkout_place(checkout_for(user, **kwargs), steps=steps)


@pytest.fixture
def order(shopper, product):
    fill_cart(shopper, (product, 2))
    return place(shopper)


def return_url(order, key: str) -> str:
    return f"/checkout/pay/{order.number}/return/?key={key}"


def pay(order, number: str = SUCCESS, key: str | None = None, *, approve: bool = True):
    """The whole hosted flow without HTTP: Pay, the card typed on the sandbox's page, back at our return URL.

    Returns the attempt as the return left it; raises PaymentError where the Pay click would show one.
    """
    order.invoice.refresh_from_db()
    key = key or payment_key(invoice=order.invoice)
    payment = payment_start(order=order, key=key, return_url=return_url(order, key))
    if payment.gateway_reference and payment.status == payment.Status.PROCESSING:
        charge = provider.charge_submit(reference=payment.gateway_reference, number=number)
        if charge.status == charge.Status.CHALLENGE:
            provider.charge_challenge(reference=charge.reference, approve=approve)
    return payment_return(order=order, key=key)


def signed_webhook(client: Client, payload: dict, *, timestamp: int | None = None, secret: str | None = None):
    body = json.dumps(payload).encode()
    header = webhook_sign(body, timestamp if timestamp is not None else int(time.time()), secret)
    return client.post(
        "/payments/webhook/sandbox/",
        body,
        content_type="application/json",
        headers={SIGNATURE_HEADER: header},
    )


@pytest.fixture
def worker():
    return drain_tasks


def pay_over_http(client: Client, order, number: str = SUCCESS, *, approve: bool = True):
    """What a browser without JavaScript does: Pay, the sandbox's page, its 3-D Secure page, back to us.

    Returns the last answer (the return URL's redirect, or the page that stopped the journey).
    """
    page = client.get(f"/checkout/pay/{order.number}/")
    key = page.context["form"].initial["key"]
    answer = client.post(f"/checkout/pay/{order.number}/", {"key": key})
    if answer.status_code != 302 or not answer["Location"].startswith("/sandbox-pay/"):
        return answer
    answer = client.post(answer["Location"], {"number": number})
    if answer.status_code == 302 and answer["Location"].endswith("/challenge/"):
        answer = client.post(answer["Location"], {"answer": "approve" if approve else "refuse"})
    if answer.status_code != 302 or "/return/" not in answer["Location"]:
        return answer
    return client.get(answer["Location"])


@pytest.fixture
def shopper_client(client, shopper):
    client.force_login(shopper)
    return client


@pytest.fixture
def staff_client(client, django_user_model):
    admin = django_user_model.objects.create_superuser("boss@example.com", "a-long-and-unusual-passphrase-42")
    client.force_login(admin)
    return client
