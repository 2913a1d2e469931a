"""Two requests changing one cart at once (a double click, two tabs) are serialised by the cart row's lock."""

import threading

import pytest
from django.db import close_old_connections, connection
from django.test import RequestFactory

from cart import services
from cart.models import Cart, CartLine
from tests.factories import default_variant


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
            services.line_add(cart, default_variant(kettle), 1)
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


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor == "sqlite", reason="see above: the in-memory test database cannot wait")
def test_two_logins_at_once_from_two_anonymous_carts_merge_both(user, lamp, kettle):
    """The user has no cart yet; two devices log in at the same moment, each with an anonymous cart."""
    requests = []
    for product in (lamp, kettle):
        anonymous = Cart.objects.create(token=f"{product.pk:0>43}")
        CartLine.objects.create(
            cart=anonymous, product=product, variant=default_variant(product), quantity=1, price_seen=product.price
        )
        requests.append(RequestFactory().get("/", HTTP_COOKIE=f"{services.CART_COOKIE}={anonymous.token}"))
    start = threading.Barrier(2)
    errors = []

    def log_in(request):
        try:
            start.wait()
            services.cart_merge_at_login(request, user)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=log_in, args=(request,)) for request in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    cart = Cart.objects.get(user=user)
    assert set(cart.lines.values_list("product_id", flat=True)) == {lamp.pk, kettle.pk}
    assert not Cart.objects.filter(user__isnull=True).exists()
