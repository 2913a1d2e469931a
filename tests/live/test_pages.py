"""The template hooks: which pages open a stream, for what, at no extra query."""

import pytest

from tests.factories import make_product
from tests.orders.conftest import fill_cart, make_shopper, place

pytestmark = pytest.mark.django_db


def test_an_anonymous_visitor_of_an_ordinary_page_opens_no_stream(client):
    body = client.get("/").content.decode()

    assert "sse-connect" not in body
    assert "js/vendor/htmx-ext-sse-2.2.4.js" in body  # served from our static files, no CDN


def test_a_product_page_follows_its_product(client):
    product = make_product(stock=2)

    body = client.get(product.get_absolute_url()).content.decode()

    assert f'sse-connect="/live/?product={product.pk}"' in body
    assert f'hx-trigger="sse:stock-{product.pk}' in body


def test_a_logged_in_page_follows_the_account_and_the_order_page_its_order(client):
    shopper = make_shopper()
    fill_cart(shopper, (make_product(stock=3), 1))
    order = place(shopper)
    client.force_login(shopper)

    home = client.get("/").content.decode()
    order_page = client.get(order.get_absolute_url()).content.decode()

    assert 'sse-connect="/live/"' in home
    assert f'sse-connect="/live/?order={order.number}"' in order_page
    assert f"sse:order-{order.pk}" in order_page
    assert "data-live-poll" in order_page  # polling stays as the fallback


def test_live_enabled_off_opens_no_stream(client, settings):
    settings.LIVE_ENABLED = False
    product = make_product(stock=2)

    assert "sse-connect" not in client.get(product.get_absolute_url()).content.decode()


def test_a_live_refetch_of_a_product_page_is_not_counted_as_a_view(client):
    from analytics.models import Event
    from analytics.services import events_flush

    product = make_product(stock=2)
    client.get(product.get_absolute_url(), headers={"User-Agent": "Mozilla/5.0", "HX-Request": "true"})
    client.get(
        product.get_absolute_url(),
        headers={"User-Agent": "Mozilla/5.0", "HX-Request": "true", "X-Live-Refresh": "1"},
    )
    events_flush()

    assert Event.objects.filter(name="product_viewed").count() == 1
