"""The cache accelerates and is never a dependency: with Redis gone every page works from the database.

Redis here is a server of the test's own (tests/redis_server.py) on a loopback port, really stopped and
started again; "pointing at nothing" is a port where nothing listens.
"""

import logging
import time

import pytest
from django.core.cache import cache
from django.test import Client, override_settings

from accounts.models import Session, User
from bench.servers import RedisServer
from tests.factories import caches_clear, make_product

PASSWORD = "a-long-and-unusual-passphrase-42"
NOWHERE = "redis://127.0.0.1:15499/0"


def redis_settings(url: str):
    return override_settings(
        CACHES={
            "default": {
                "BACKEND": "shop.cache.DegradingRedisCache",
                "LOCATION": url,
                "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
            }
        },
        SESSION_ENGINE="accounts.sessions.cached_db",
        CACHE_RETRY_INTERVAL=0.2,
    )


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(15410, tmp_path)
    server.start()
    yield server
    server.stop()


def browse_and_buy(client: Client, product) -> list[tuple[str, int]]:
    """A visitor's walk through the shop: pages, a cart change, login, private pages; (path, status) of each."""
    seen = []

    def visit(path, data=None):
        response = client.post(path, data) if data is not None else client.get(path)
        seen.append((path, response.status_code))
        return response

    visit("/")
    visit("/products/")
    visit(product.get_absolute_url())
    visit("/cart/add/", {"product": product.pk, "quantity": "1", "next": "/products/"})
    visit("/cart/")
    visit("/accounts/login/", {"username": "shopper@example.org", "password": PASSWORD})
    visit("/accounts/profile/")
    visit("/accounts/sessions/")
    visit("/cart/")
    return seen


@pytest.mark.django_db
def test_every_page_works_from_the_database_when_the_cache_points_at_nothing(caplog):
    User.objects.create_user("shopper@example.org", PASSWORD, name="Sam Shopper")
    product = make_product("Brass lamp", stock=5)
    with redis_settings(NOWHERE), caplog.at_level(logging.WARNING, logger="shop.cache"):
        seen = browse_and_buy(Client(), product)
        seen += browse_and_buy(Client(), product)
        ready = Client().get("/readyz")

    assert [status for _, status in seen] == [200, 200, 200, 302, 200, 302, 200, 200, 200] * 2, seen
    # Sessions were written to their rows: the second visitor is logged in from the database alone.
    assert Session.objects.filter(user__email="shopper@example.org").count() == 2
    assert ready.status_code == 200
    assert ready.json()["status"] == "degraded"
    assert ready.json()["checks"]["cache"]["status"] == "degraded"
    assert "ConnectionError" in ready.json()["checks"]["cache"]["error"]
    # Once per interval, not once per request.
    assert [r.getMessage() for r in caplog.records] == ["cache unavailable, serving without it"]


@pytest.mark.django_db
def test_the_shop_keeps_serving_while_redis_stops_and_uses_it_again_when_it_returns(redis_server, caplog):
    User.objects.create_user("shopper@example.org", PASSWORD, name="Sam Shopper")
    product = make_product("Brass lamp", stock=50)
    with redis_settings(redis_server.url), caplog.at_level(logging.INFO, logger="shop.cache"):
        caches_clear()
        assert {s for _, s in browse_and_buy(Client(), product)} <= {200, 302}
        redis_server.stop()
        assert {s for _, s in browse_and_buy(Client(), product)} <= {200, 302}
        redis_server.start()
        time.sleep(0.3)  # the breaker's retry interval
        cache.set("probe", "back")

        assert cache.get("probe") == "back"
        assert Client().get("/readyz").json()["checks"]["cache"]["status"] == "ok"
    messages = [r.getMessage() for r in caplog.records]
    assert messages.count("cache unavailable, serving without it") == 1
    assert "cache available again" in messages


@pytest.mark.django_db
def test_a_session_ended_while_redis_is_down_stays_ended_when_redis_returns(redis_server):
    User.objects.create_user("shopper@example.org", PASSWORD, name="Sam Shopper")
    with redis_settings(redis_server.url):
        caches_clear()
        shopper = Client()
        shopper.post("/accounts/login/", {"username": "shopper@example.org", "password": PASSWORD})
        assert shopper.get("/accounts/profile/").status_code == 200  # the session is now in Redis too
        stolen = shopper.cookies["sessionid"].value
        redis_server.stop()

        assert shopper.post("/accounts/logout/").status_code == 302  # row deleted; Redis unreachable
        redis_server.start()
        time.sleep(0.3)
        thief = Client()
        thief.cookies["sessionid"] = stolen
        answer = thief.get("/accounts/profile/")

    # Redis still held the entry written before the outage: it was deleted before anything was read.
    assert answer.status_code == 302
    assert answer["Location"].startswith("/accounts/login/")
