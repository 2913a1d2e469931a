"""Two requests changing one cart at once (a double click, two tabs) are serialised by the cart row's lock."""

import threading

import pytest
from django.db import close_old_connections, connection

from cart import services
from cart.models import Cart, CartLine


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="the in-memory test database's shared-cache table locks fail at once instead of waiting "
    "(the shop's SQLite file uses IMMEDIATE transactions, which do wait)",
)
def test_a_double_click_on_add_adds_twice_without_an_error(kettle):
    cart = Cart.objects.create(token="t" * 43)
    start = threading.Barrier(2)
    errors = []

    def click():
        try:
            start.wait()
            services.line_add(cart, kettle, 1)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert CartLine.objects.get(cart=cart).quantity == 2
