"""Events recorded from the real views, and what is never recorded (bots, DNT/GPC, history restores)."""

import logging
from decimal import Decimal

import pytest

from accounts.models import User
from analytics.models import Event, EventName
from analytics.recorder import recorder
from analytics.services import VISITOR_COOKIE, event_record_for, events_flush
from tests.accounts.conftest import PASSWORD
from tests.analytics.conftest import BROWSER
from tests.factories import make_category, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def lamp():
    return make_product("Desk Lamp", category=make_category("Home", slug="home"), description="Warm light.")


def recorded() -> list[Event]:
    events_flush()
    return list(Event.objects.order_by("pk"))


def test_viewing_a_product_records_product_viewed_with_a_visitor_cookie_and_no_ip(shopper_client, lamp):
    response = shopper_client.get(lamp.get_absolute_url(), REMOTE_ADDR="203.0.113.9")

    assert response.status_code == 200
    assert VISITOR_COOKIE not in response.cookies  # the page may come from a shared cache: its beacon sets it
    cookie = response.beacon.cookies[VISITOR_COOKIE]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert cookie["max-age"] == 86400
    [event] = recorded()
    assert (event.name, event.object_id, event.user_id) == (EventName.PRODUCT_VIEWED, lamp.pk, None)
    assert event.visitor == cookie.value
    stored = [str(v) for v in Event.objects.values_list(flat=False).get()]
    assert not any("203.0.113" in value for value in stored)


def test_the_same_visitor_keeps_its_token_across_requests(shopper_client, lamp):
    first = shopper_client.get(lamp.get_absolute_url())
    second = shopper_client.get(lamp.get_absolute_url())

    # Now with a recently viewed product, the page is the visitor's own, recorded by the view itself.
    assert second.beacon is None
    assert VISITOR_COOKIE not in second.cookies  # already set, not renewed
    assert {e.visitor for e in recorded()} == {first.beacon.cookies[VISITOR_COOKIE].value}


def test_a_forged_visitor_cookie_is_replaced(shopper_client, lamp):
    shopper_client.cookies[VISITOR_COOKIE] = "'; DROP TABLE x; --"
    response = shopper_client.get(lamp.get_absolute_url())

    [event] = recorded()
    assert event.visitor == response.beacon.cookies[VISITOR_COOKIE].value
    assert len(event.visitor) == 32


def test_a_logged_in_shopper_is_recorded_with_the_user_id(shopper_client, lamp, user):
    shopper_client.force_login(user)
    shopper_client.get(lamp.get_absolute_url())

    [event] = recorded()
    assert event.user_id == user.pk


def test_search_records_the_normalised_query_and_the_result_count(shopper_client, lamp):
    shopper_client.get("/products/?q=Desk++LAMP")
    shopper_client.get("/products/?q=teapot")

    events = recorded()
    assert [(e.name, e.query, e.count) for e in events] == [
        (EventName.SEARCH, "desk lamp", 1),
        (EventName.SEARCH, "teapot", 0),
    ]


def test_search_count_is_recorded_when_the_results_come_from_the_cache(shopper_client, lamp):
    shopper_client.get("/products/?q=lamp")
    events_flush()
    shopper_client.get("/products/?q=lamp", HTTP_USER_AGENT=BROWSER.replace("140", "141"))  # another visitor

    assert [e.count for e in recorded()] == [1, 1]


def test_search_as_you_type_is_one_search(shopper_client, lamp):
    for typed in ["l", "la", "lam", "lamp"]:
        shopper_client.get(f"/products/?q={typed}", HTTP_HX_REQUEST="true")
    shopper_client.get("/products/?q=lamp&sort=price", HTTP_HX_REQUEST="true")  # same search, sorted
    shopper_client.get("/products/?q=lamp&page=2")  # paging is not a new search
    shopper_client.get("/products/?q=kettle")

    assert [(e.query, e.count) for e in recorded()] == [("lamp", 1), ("kettle", 0)]


def test_registering_records_registered_for_the_new_user(shopper_client):
    response = shopper_client.post(
        "/accounts/register/",
        {"email": "new@example.org", "name": "New", "password1": PASSWORD, "password2": PASSWORD},
    )

    assert response.status_code == 302
    [event] = recorded()
    assert (event.name, event.user_id) == (EventName.REGISTERED, User.objects.get(email="new@example.org").pk)


def test_logging_in_records_logged_in_and_a_failed_login_records_nothing(shopper_client, user):
    shopper_client.post("/accounts/login/", {"username": user.email, "password": "wrong"})
    assert recorded() == []

    response = shopper_client.post("/accounts/login/", {"username": user.email, "password": PASSWORD})

    assert response.status_code == 302
    [event] = recorded()
    assert (event.name, event.user_id) == (EventName.LOGGED_IN, user.pk)


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_DNT": "1"},
        {"HTTP_SEC_GPC": "1"},
        {"HTTP_HX_REQUEST": "true", "HTTP_HX_HISTORY_RESTORE_REQUEST": "true"},
        {"HTTP_USER_AGENT": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"},
        {"HTTP_USER_AGENT": "Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/120.0 Safari/537.36"},
        {"HTTP_USER_AGENT": "curl/8.5.0"},
        {"HTTP_USER_AGENT": ""},
    ],
    ids=["dnt", "gpc", "htmx-history-restore", "googlebot", "headless", "curl", "no-user-agent"],
)
def test_nothing_is_recorded_and_no_cookie_is_set(shopper_client, lamp, headers):
    for url in [lamp.get_absolute_url(), "/products/?q=lamp"]:
        response = shopper_client.get(url, **headers)
        assert response.status_code == 200
        assert VISITOR_COOKIE not in response.cookies
        assert response.beacon is None or VISITOR_COOKIE not in response.beacon.cookies

    assert recorded() == []
    assert recorder.stats.recorded == 0


def test_dnt_zero_is_not_a_refusal(shopper_client, lamp):
    shopper_client.get(lamp.get_absolute_url(), HTTP_DNT="0")

    assert len(recorded()) == 1


def test_analytics_disabled_records_nothing(shopper_client, lamp, settings):
    settings.ANALYTICS_ENABLED = False
    response = shopper_client.get(lamp.get_absolute_url())

    assert response.status_code == 200
    assert recorded() == []


def test_recording_costs_the_product_page_no_query(shopper_client, lamp, django_assert_num_queries):
    shopper_client.get(lamp.get_absolute_url())  # warm the catalog cache
    with django_assert_num_queries(1):  # the catalog version, as without analytics
        shopper_client.get(lamp.get_absolute_url())


def test_a_full_buffer_drops_and_counts_but_the_page_answers(shopper_client, lamp, settings, caplog):
    settings.ANALYTICS_BUFFER_MAX = 1
    with caplog.at_level(logging.WARNING, logger="analytics.recorder"):
        assert shopper_client.get(lamp.get_absolute_url()).status_code == 200
        assert shopper_client.get(lamp.get_absolute_url()).status_code == 200

    assert (recorder.stats.recorded, recorder.stats.dropped) == (1, 1)
    assert "analytics buffer full" in caplog.text
    assert len(recorded()) == 1


def test_rows_the_database_refuses_are_dropped_logged_and_counted(caplog):
    event_record_for(name=EventName.PRODUCT_VIEWED, visitor="a" * 32, object_id=2**70)  # beyond BIGINT

    with caplog.at_level(logging.ERROR, logger="analytics.recorder"):
        assert events_flush() == 0

    assert (recorder.stats.failed, recorder.stats.dropped) == (1, 1)
    assert "refused a batch" in caplog.text
    assert events_flush() == 0  # not retried for ever
    assert not Event.objects.exists()


def test_unknown_events_and_properties_are_logged_and_counted_never_raised(caplog):
    with caplog.at_level(logging.ERROR, logger="analytics.services"):
        event_record_for(name="page_liked", user_id=1)
        event_record_for(name=EventName.CART_ADD, user_id=1, props={"colour": "red"})
        event_record_for(name=EventName.CART_ADD, visitor="not-a-token")

    assert recorder.stats.failed == 3
    assert caplog.text.count("recording failed") == 3
    assert recorded() == []


def test_event_record_for_records_without_a_request():
    event_record_for(
        name=EventName.PAYMENT_SUCCEEDED, user_id=7, visitor="b" * 32, object_id=42, props={"amount": "19.905"}
    )
    event_record_for(name=EventName.CART_ADD, visitor="b" * 32, object_id=3, props={"quantity": 2})

    paid, added = recorded()
    assert (paid.name, paid.user_id, paid.object_id, paid.amount) == ("payment_succeeded", 7, 42, Decimal("19.91"))
    assert (added.name, added.count) == ("cart_add", 2)


def test_every_event_of_the_issue_is_defined():
    assert set(EventName.values) == {
        "product_viewed",
        "search",
        "cart_add",
        "cart_remove",
        "checkout_started",
        "order_placed",
        "payment_succeeded",
        "payment_failed",
        "registered",
        "logged_in",
    }


def test_deleting_an_account_deletes_its_events(shopper_client, lamp, user):
    shopper_client.force_login(user)
    shopper_client.get(lamp.get_absolute_url())
    events_flush()
    event_record_for(name=EventName.LOGGED_IN, user_id=user.pk)

    from accounts.services import user_delete

    user_delete(user=user)

    assert not Event.objects.filter(user_id=user.pk).exists()


@pytest.fixture
def flush_thread(settings):
    settings.ANALYTICS_FLUSH_INTERVAL = 0.05
    yield
    recorder.stop()


def wait_for(condition, timeout: float = 10.0) -> bool:
    import time

    from django.db import OperationalError

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return True
        except OperationalError:
            # SQLite's in-memory test database (shared cache) fails a read at once with "table is locked"
            # while the flush thread writes, instead of waiting; the next poll reads again.
            pass
        time.sleep(0.02)
    return False


@pytest.mark.django_db(transaction=True)  # the thread writes on its own connection
def test_the_background_thread_writes_buffered_events(shopper_client, lamp, flush_thread):
    assert shopper_client.get(lamp.get_absolute_url()).status_code == 200

    assert wait_for(lambda: Event.objects.filter(name=EventName.PRODUCT_VIEWED).exists())
    assert recorder.stats.written == 1


@pytest.mark.django_db(transaction=True)
def test_a_full_batch_is_written_without_waiting_for_the_interval(shopper_client, lamp, flush_thread, settings):
    settings.ANALYTICS_FLUSH_INTERVAL = 3600
    settings.ANALYTICS_BATCH_SIZE = 3
    for _ in range(3):
        shopper_client.get(lamp.get_absolute_url())

    assert wait_for(lambda: Event.objects.count() == 3)
