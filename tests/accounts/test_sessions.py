from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from accounts.models import Session
from accounts.net import ip_prefix
from accounts.sessions.db import SessionStore
from tests.accounts.conftest import login
from tests.budgets import CHROME

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
UA = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"


def at(seconds: float):
    return time_machine.travel(T0 + timedelta(seconds=seconds), tick=False)


def cookie_key(client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


@pytest.mark.django_db
def test_login_stores_user_device_and_ip_prefix_never_the_address(client, user):
    with at(0):
        response = login(client, HTTP_USER_AGENT=UA, REMOTE_ADDR="203.0.113.77")
    assert response.status_code == 302
    row = Session.objects.get()
    assert row.user == user
    assert row.device == "Firefox on Linux"
    assert row.ip_prefix == "203.0.113.0/24"
    assert "203.0.113.77" not in row.session_data
    assert "203.0.113.77" not in row.ip_prefix
    assert row.created_at == T0
    assert row.last_seen == T0


def test_ip_prefix_is_a_24_or_48_network():
    assert ip_prefix("198.51.100.9") == "198.51.100.0/24"
    assert ip_prefix("2001:db8:abcd:12::1") == "2001:db8:abcd::/48"
    assert ip_prefix("::ffff:198.51.100.9") == "198.51.100.0/24"
    assert ip_prefix("not an address") == ""


@pytest.mark.django_db
def test_session_key_rotates_on_login(client, user):
    client.get("/accounts/login/")
    anonymous = client.session
    anonymous["note"] = "kept"
    anonymous.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = anonymous.session_key
    before = anonymous.session_key

    login(client)

    assert cookie_key(client) != before
    assert not Session.objects.filter(session_key=before).exists()
    # Anonymous state (the cart, later) survives the login.
    assert client.session["note"] == "kept"


@pytest.mark.parametrize("idle", [1800, 300])
@pytest.mark.django_db
def test_idle_session_expires_and_the_login_page_says_so_keeping_next(client, user, settings, idle):
    settings.SESSION_IDLE_TIMEOUT = idle
    with at(0):
        login(client)
    # Within the touch interval of the login: no write, the expiry stays login + idle.
    with at(30):
        assert client.get("/accounts/profile/").status_code == 200
    with at(idle + 1):
        response = client.get("/accounts/profile/?tab=1")
    assert response.status_code == 302
    url = urlsplit(response["Location"])
    assert url.path == "/accounts/login/"
    assert parse_qs(url.query) == {"next": ["/accounts/profile/?tab=1"], "expired": ["1"]}
    assert not Session.objects.exists()
    with at(idle + 2):
        page = client.get(response["Location"])
    assert "Your session expired" in page.text
    assert 'name="next" value="/accounts/profile/?tab=1"' in page.text


@pytest.mark.django_db
def test_activity_slides_the_idle_expiry(client, user, settings):
    settings.SESSION_IDLE_TIMEOUT = 300
    with at(0):
        login(client)
    for minute in range(4, 40, 4):
        with at(minute * 60):
            assert client.get("/accounts/profile/").status_code == 200, minute
    with at(36 * 60 + 301):
        assert client.get("/accounts/profile/").status_code == 302


@pytest.mark.django_db
def test_browser_session_is_capped_by_max_age_even_when_active(client, user, settings):
    settings.SESSION_IDLE_TIMEOUT = 1800
    settings.SESSION_MAX_AGE = 3600
    with at(0):
        login(client)
        assert client.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == ""  # a browser-session cookie
    for seconds in (900, 1800, 2700, 3540):
        with at(seconds):
            assert client.get("/accounts/profile/").status_code == 200
    with at(3601):
        assert client.get("/accounts/profile/").status_code == 302


@pytest.mark.django_db
def test_remembered_session_lasts_max_age_without_activity_then_ends(client, user, settings):
    with at(0):
        login(client, remember=True)
        assert int(client.cookies[settings.SESSION_COOKIE_NAME]["max-age"]) == settings.SESSION_MAX_AGE
    with at(13 * 24 * 3600):
        assert client.get("/accounts/profile/").status_code == 200
    with at(14 * 24 * 3600 + 1):
        response = client.get("/accounts/profile/")
    assert response.status_code == 302
    assert "expired=1" in response["Location"]


@pytest.mark.django_db
def test_an_expired_token_is_refused_by_any_instance_whatever_the_cookie_says(client, user):
    with at(0):
        login(client)
    key = cookie_key(client)
    with at(settings.SESSION_IDLE_TIMEOUT + 1):
        # A fresh store, as in another process: the row decides.
        store = SessionStore(key)
        assert store.load() == {}
        assert store.expired_key == key
        assert client.get("/accounts/profile/").status_code == 302


@pytest.mark.django_db
def test_expired_session_on_htmx_request_gets_hx_redirect_to_login(client, user):
    with at(0):
        login(client)
    with at(settings.SESSION_IDLE_TIMEOUT + 1):
        response = client.post(
            "/accounts/addresses/new/",
            {},
            HTTP_HX_REQUEST="true",
            HTTP_HX_CURRENT_URL="http://testserver/accounts/profile/",
        )
    assert response.status_code == 200
    url = urlsplit(response["HX-Redirect"])
    assert url.path == "/accounts/login/"
    assert parse_qs(url.query) == {"next": ["/accounts/profile/"], "expired": ["1"]}
    assert "<form" not in response.text


@pytest.mark.django_db
def test_htmx_request_to_a_login_page_protected_view_gets_hx_redirect(client):
    response = client.get(
        "/accounts/sessions/", HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL="http://testserver/accounts/sessions/"
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/accounts/login/?next=%2Faccounts%2Fsessions%2F"


@pytest.mark.django_db
def test_expired_anonymous_session_is_replaced_silently(client):
    store = SessionStore()
    with at(0):
        store["note"] = "x"
        store.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = store.session_key
    with at(settings.SESSION_IDLE_TIMEOUT + 5):
        response = client.get("/")
    assert response.status_code == 200
    assert not Session.objects.exists()


@pytest.mark.django_db
def test_logout_is_post_only_and_deletes_the_server_side_session(client, user):
    login(client)
    key = cookie_key(client)
    assert client.get("/accounts/logout/").status_code == 405
    assert Session.objects.filter(session_key=key).exists()

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    assert client.get("/accounts/profile/").status_code == 302


@pytest.mark.django_db
def test_replaying_a_logged_out_token_gets_nothing(client, user):
    login(client)
    key = cookie_key(client)
    client.post("/accounts/logout/")
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = key
    response = replay.get("/accounts/profile/")
    assert response.status_code == 302
    assert "expired" not in response["Location"]


@pytest.mark.django_db
def test_password_change_rotates_the_key_and_logs_out_other_sessions(client, user, password):
    other = Client()
    login(other)
    login(client)
    before = cookie_key(client)

    response = client.post(
        "/accounts/password/",
        {
            "old_password": password,
            "new_password1": "another-fine-passphrase-7",
            "new_password2": "another-fine-passphrase-7",
        },
    )

    assert response.status_code == 302
    assert cookie_key(client) != before
    assert list(Session.objects.values_list("session_key", flat=True)) == [cookie_key(client)]
    assert client.get("/accounts/profile/").status_code == 200
    assert other.get("/accounts/profile/").status_code == 302


@pytest.mark.django_db
def test_sessions_page_lists_sessions_and_marks_the_current_one(client, user):
    Client(HTTP_USER_AGENT="Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Safari/604.1").post(
        "/accounts/login/", {"username": user.email, "password": "a-long-and-unusual-passphrase-42"}
    )
    client.defaults["HTTP_USER_AGENT"] = UA
    login(client)

    response = client.get("/accounts/sessions/")

    assert response.status_code == 200
    assert "Safari on iPhone" in response.text
    assert "Firefox on Linux" in response.text
    assert response.text.count("This session") == 1
    assert response.text.count("Log out this session") == 1


@pytest.mark.django_db
def test_revoking_another_session_logs_it_out(client, user):
    other = Client()
    login(other)
    login(client)
    victim = Session.objects.exclude(session_key=cookie_key(client)).get()

    response = client.post(f"/accounts/sessions/{victim.public_id}/revoke/")

    assert response.status_code == 302
    assert not Session.objects.filter(pk=victim.pk).exists()
    assert other.get("/accounts/profile/").status_code == 302
    assert client.get("/accounts/profile/").status_code == 200


@pytest.mark.django_db
def test_revoke_over_htmx_returns_the_list_fragment(client, user):
    other = Client()
    login(other)
    login(client)
    victim = Session.objects.exclude(session_key=cookie_key(client)).get()

    response = client.post(f"/accounts/sessions/{victim.public_id}/revoke/", HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="sessions">')
    assert "<html" not in response.text
    assert "HX-Request" in response["Vary"]
    assert str(victim.public_id) not in response.text


@pytest.mark.django_db
def test_a_user_cannot_revoke_someone_elses_session(client, user, django_user_model):
    stranger = django_user_model.objects.create_user("stranger@example.org", "another-fine-passphrase-7")
    stranger_client = Client()
    stranger_client.force_login(stranger)
    theirs = Session.objects.get(user=stranger)
    login(client)

    client.post(f"/accounts/sessions/{theirs.public_id}/revoke/")

    assert Session.objects.filter(pk=theirs.pk).exists()
    assert stranger_client.get("/accounts/profile/").status_code == 200


@pytest.mark.django_db
def test_log_out_all_other_sessions(client, user):
    for _ in range(3):
        login(Client())
    login(client)

    client.post("/accounts/sessions/others/revoke/")

    assert list(Session.objects.values_list("session_key", flat=True)) == [cookie_key(client)]


@pytest.mark.django_db
def test_clearsessions_purges_expired_rows_of_our_model(user):
    with at(0):
        expired = SessionStore()
        expired["x"] = 1
        expired.save()
    with at(settings.SESSION_IDLE_TIMEOUT - 10):
        live = SessionStore()
        live["x"] = 1
        live.save()
    with at(settings.SESSION_IDLE_TIMEOUT + 1):
        call_command("clearsessions")
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]


PAGE = "/accounts/password/"


@pytest.mark.django_db
def test_an_active_session_writes_at_most_once_a_minute(client, user, django_assert_num_queries, settings):
    settings.SESSION_ENGINE = "accounts.sessions.db"  # counts below are for the database engine
    with at(0):
        login(client)
    # A page whose own work costs no query: session row + user row + the header's cart badge (cart issue 6),
    # no write within the touch interval.
    with at(30), django_assert_num_queries(3 + CHROME):  # the first page also reads the storefront's chrome
        assert client.get(PAGE).status_code == 200
    # After a minute: the same three reads and one UPDATE sliding last_seen and the expiry.
    with at(61), django_assert_num_queries(4):
        client.get(PAGE)
    with at(90), django_assert_num_queries(3):
        client.get(PAGE)
    row = Session.objects.get()
    assert row.last_seen == T0 + timedelta(seconds=61)
    assert row.expire_date == T0 + timedelta(seconds=61 + settings.SESSION_IDLE_TIMEOUT)


@pytest.mark.django_db
def test_a_visitor_without_a_cookie_costs_no_query(client, django_assert_num_queries):
    with django_assert_num_queries(CHROME):  # the brand and footer, once for every visitor (then cached)
        assert client.get("/accounts/login/").status_code == 200
    with django_assert_num_queries(0):
        assert client.get("/accounts/login/").status_code == 200


@pytest.mark.django_db
def test_cached_db_engine_refuses_revoked_and_expired_sessions(client, user, settings):
    settings.SESSION_ENGINE = "accounts.sessions.cached_db"
    other = Client()
    with at(0):
        login(other)
        login(client)
        assert client.get("/accounts/profile/").status_code == 200
        victim = Session.objects.exclude(session_key=cookie_key(client)).get()
        client.post(f"/accounts/sessions/{victim.public_id}/revoke/")
        assert other.get("/accounts/profile/").status_code == 302
    with at(settings.SESSION_IDLE_TIMEOUT + 1):
        assert client.get("/accounts/profile/").status_code == 302


@pytest.mark.django_db
def test_cached_db_engine_serves_an_active_session_from_the_cache(client, user, settings, django_assert_num_queries):
    settings.SESSION_ENGINE = "accounts.sessions.cached_db"
    with at(0):
        login(client)
    # the user row and the header's cart badge (cart issue 6); the storefront's chrome, cold
    with at(30), django_assert_num_queries(2 + CHROME):
        assert client.get(PAGE).status_code == 200


def test_session_engine_follows_the_cache():
    assert settings.SESSION_ENGINE in ("accounts.sessions.db", "accounts.sessions.cached_db")
