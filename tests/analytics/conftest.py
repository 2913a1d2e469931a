"""Analytics tests: a clean per-process buffer, a browser-like User-Agent, events written on demand."""

import html
import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.test import Client

from accounts.models import User
from analytics.models import Event
from analytics.models import EventName as E
from analytics.recorder import recorder
from tests.factories import make_product

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"


@pytest.fixture(autouse=True)
def _clean():
    recorder.discard()
    cache.clear()
    yield
    recorder.discard()
    cache.clear()


class Browser(Client):
    """The test client as a browser running htmx: a page from a shared cache asks for its beacon once loaded
    (shop/shared.py), with the same headers; `response.beacon` is that answer (None without a beacon)."""

    def get(self, path, data=None, **extra):
        response = super().get(path, data, **extra)
        response.beacon = None
        if response.get("Content-Type", "").startswith("text/html"):
            if match := BEACON.search(response.content.decode()):
                headers = {**extra.pop("headers", {}), "HX-Request": "true"}
                response.beacon = super().get(html.unescape(match[1]), headers=headers, **extra)
        return response


BEACON = re.compile(r'hx-get="(/seen/\?[^"]*)" hx-trigger="load"')


@pytest.fixture
def shopper_client(db):
    """A browser with a real browser's User-Agent (an empty one counts as a script)."""
    return Browser(HTTP_USER_AGENT=BROWSER)


@pytest.fixture
def staff(client, db):
    user = User.objects.create_user("boss@example.org", "a-long-password-1", is_staff=True)
    client.force_login(user)
    return user


def event(name: str, at: datetime, *, visitor: str = "", user_id: int | None = None, **fields) -> Event:
    if "amount" in fields:
        fields["amount"] = Decimal(fields["amount"])
    return Event(name=name, occurred_at=at, visitor=visitor, user_id=user_id, **fields)


@pytest.fixture
def user(db):
    from tests.accounts.conftest import PASSWORD

    return User.objects.create_user("shopper@example.org", PASSWORD, name="Sam Shopper")


A, B, C, D = ("a" * 32, "b" * 32, "c" * 32, "d" * 32)
NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)


def at(day: int, hour: int = 12, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def known_events():
    """Seven days 8–14 March 2026 (and the seven before), see the expected figures in the tests."""
    p1, p2 = make_product("Desk Lamp"), make_product("Teapot")
    Event.objects.bulk_create(
        [
            # 10 March: A buys, B looks around
            event(E.PRODUCT_VIEWED, at(10, 9), visitor=A, object_id=p1.pk),
            event(E.PRODUCT_VIEWED, at(10, 9, 5), visitor=A, object_id=p1.pk),
            event(E.CART_ADD, at(10, 9, 6), visitor=A, object_id=p1.pk, count=1),
            event(E.CHECKOUT_STARTED, at(10, 9, 7), visitor=A, amount="30.00"),
            event(E.ORDER_PLACED, at(10, 9, 8), visitor=A, user_id=9, object_id=501, amount="30.00"),
            event(E.PAYMENT_SUCCEEDED, at(10, 9, 9), visitor=A, user_id=9, object_id=501, amount="30.00"),
            event(E.PRODUCT_VIEWED, at(10, 10), visitor=B, object_id=p1.pk),
            event(E.PRODUCT_VIEWED, at(10, 10, 1), visitor=B, object_id=p2.pk),
            event(E.SEARCH, at(10, 10, 2), visitor=B, query="lamp", count=3),
            # 12 March: B again, a user without a visitor token fails to pay
            event(E.PRODUCT_VIEWED, at(12), visitor=B, object_id=p2.pk),
            event(E.CART_ADD, at(12), visitor=B, object_id=p2.pk, count=2),
            event(E.SEARCH, at(12), visitor=B, query="teapot", count=0),
            event(E.SEARCH, at(12, 13), visitor=B, query="teapot", count=0),
            event(E.PAYMENT_FAILED, at(12), user_id=5, amount="10.00"),
            event(E.LOGGED_IN, at(12), user_id=5),
            # 14 March, late evening
            event(E.PRODUCT_VIEWED, at(14, 23, 30), visitor=C, object_id=p1.pk),
            # today (15 March): outside a period ending on the 14th
            event(E.PRODUCT_VIEWED, at(15, 0, 10), visitor=C, object_id=p1.pk),
            # previous period (1–7 March)
            event(E.PRODUCT_VIEWED, at(5), visitor=D, object_id=p1.pk),
            event(E.ORDER_PLACED, at(5), visitor=D, amount="20.00"),
            event(E.PAYMENT_SUCCEEDED, at(5), visitor=D, amount="20.00"),
            event(E.REGISTERED, at(5), visitor=D, user_id=11),
            # before both periods
            event(E.PRODUCT_VIEWED, at(28, month=2), visitor=D, object_id=p2.pk),
        ]
    )
    return p1, p2
