from decimal import Decimal

import pytest

from accounts.models import User
from tests.factories import make_category, make_product

PASSWORD = "a-long-and-unusual-passphrase-42"


@pytest.fixture
def lamp(db):
    return make_product("Desk Lamp", category=make_category("Home", slug="home"), price=Decimal("19.90"), stock=3)


@pytest.fixture
def kettle(db):
    return make_product("Kettle", price=Decimal("25.00"), stock=50)


@pytest.fixture
def user(db):
    return User.objects.create_user("shopper@example.org", PASSWORD, name="Sam Shopper")


@pytest.fixture
def other_user(db):
    return User.objects.create_user("other@example.org", PASSWORD, name="Olga Other")


def login(client, email="shopper@example.org", password=PASSWORD):
    """Log in through the real login form (it merges the anonymous cart)."""
    return client.post("/accounts/login/", {"username": email, "password": password})


def add(client, product, quantity=None, htmx=False, **data):
    data = {"product": product.pk, **({"quantity": quantity} if quantity is not None else {}), **data}
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post("/cart/add/", data, headers=headers)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []
