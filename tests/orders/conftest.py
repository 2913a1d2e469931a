"""Real rows for the orders tests: shoppers, carts, placed orders; the sandbox provider as the only fake."""

import json
import time

import pytest
from django.core.cache import cache
from django.test import Client

from accounts.models import User
from cart.models import Cart, CartLine
from orders.gateways.sandbox import SIGNATURE_HEADER, webhook_sign
from orders.pipeline import STEPS, Checkout, checkout_lines, checkout_place, checkout_quote, checkout_totals
from tests.factories import make_product
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
ASYNC = "4000000000003063"
DECLINE = "4000000000000002"
INSUFFICIENT = "4000000000009995"
TIMEOUT = "4000000000000119"


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


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
        CartLine.objects.create(cart=cart, product=product, quantity=quantity, price_seen=product.price)
    return cart


def checkout_for(user: User, shipping: str = "standard", token: str = "") -> Checkout:
    """What the review page would submit for the user's cart as it is now."""
    cart = Cart.objects.filter(user=user).first()
    lines = checkout_lines(cart)
    quote = checkout_quote(lines, checkout_totals(lines, shipping)) if lines else ""
    return Checkout(user=user, cart=cart, address=dict(ADDRESS), shipping=shipping, quote=quote, token=token)


def place(user: User, steps=STEPS, **kwargs):
    return checkout_place(checkout_for(user, **kwargs), steps=steps)


@pytest.fixture
def order(shopper, product):
    fill_cart(shopper, (product, 2))
    return place(shopper)


def card_post(key: str, number: str = SUCCESS) -> dict:
    return {"key": key, "holder": "Ada Lovelace", "number": number, "expiry": "12/39", "cvc": "123"}


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
