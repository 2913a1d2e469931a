import logging
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from accounts.gate import COOKIE_NAME
from accounts.models import LaunchSubscriber

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SECRET = "open-sesame-2026"


def at(seconds: float):
    return time_machine.travel(T0 + timedelta(seconds=seconds), tick=False)


@pytest.fixture
def gated(settings):
    settings.SHOP_PASSWORD = SECRET
    settings.SHOP_PASSWORD_TTL = 300
    return settings


@pytest.mark.django_db
def test_without_a_shop_password_there_is_no_gate(client):
    assert client.get("/").status_code == 200
    assert client.get("/password/").status_code == 404


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/no-such-page/", "/?q=shoes"])
@pytest.mark.django_db
def test_gated_storefront_answers_503_with_the_password_page_in_place(client, gated, path):
    response = client.get(path)
    assert response.status_code == 503
    assert response["Retry-After"] == str(gated.SHOP_PASSWORD_RETRY_AFTER)
    assert "noindex" in response["X-Robots-Tag"]
    assert 'action="/password/"' in response.text
    assert f'name="next" value="{path.replace("&", "&amp;")}"' in response.text


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/static/css/shop.css", "/admin/login/"])
@pytest.mark.django_db
def test_probes_static_files_and_admin_are_not_gated(client, gated, path):
    assert client.get(path).status_code == 200


@pytest.mark.django_db
def test_payment_webhooks_and_media_are_not_gated(client, gated):
    # The webhook answers for itself (an unsigned request is a 400), not the gate (503).
    assert client.post("/payments/webhook/sandbox/").status_code == 400
    assert client.get("/media/x.jpg").status_code == 404


@pytest.mark.django_db
def test_staff_reach_the_admin_through_the_gate(client, gated, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("boss@example.org", "pw-pw-pw-pw-pw"))
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_the_right_password_returns_the_visitor_to_the_page_asked_for(client, gated):
    response = client.post("/password/", {"password": SECRET, "next": "/accounts/login/?next=/x"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/x"
    assert client.cookies[COOKIE_NAME]["httponly"]
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("evil", ["https://evil.example/", "//evil.example"])
@pytest.mark.django_db
def test_the_gate_never_redirects_off_site(client, gated, evil):
    response = client.post("/password/", {"password": SECRET, "next": evil})
    assert response["Location"] == "/"


@pytest.mark.django_db
def test_the_gate_token_slides_and_expires_after_its_ttl_of_idleness(client, gated):
    with at(0):
        client.post("/password/", {"password": SECRET, "next": "/"})
    with at(250):
        assert client.get("/").status_code == 200
    with at(500):  # 250 s after the last request: the token slid
        assert client.get("/").status_code == 200
    with at(801):
        assert client.get("/").status_code == 503


@pytest.mark.django_db
def test_changing_the_shop_password_invalidates_issued_tokens(client, gated):
    client.post("/password/", {"password": SECRET, "next": "/"})
    gated.SHOP_PASSWORD = "another-one"
    assert client.get("/").status_code == 503


@pytest.mark.django_db
def test_a_forged_gate_cookie_is_refused(client, gated):
    client.cookies[COOKIE_NAME] = "anything"
    assert client.get("/").status_code == 503


@pytest.mark.django_db
def test_a_wrong_password_shows_a_message_and_is_never_logged(client, gated, caplog):
    with caplog.at_level(logging.DEBUG):
        response = client.post("/password/", {"password": "guess-123", "next": "/"})
    assert response.status_code == 503
    assert "That password is not correct." in response.text
    assert "guess-123" not in caplog.text
    assert COOKIE_NAME not in client.cookies


@pytest.mark.django_db
def test_wrong_passwords_are_throttled_per_ip(gated):
    gated.LOGIN_FAILURE_LIMIT = 3
    client = Client(REMOTE_ADDR="203.0.113.9")
    with at(0):
        statuses = [client.post("/password/", {"password": "nope", "next": "/"}).status_code for _ in range(4)]
        assert statuses == [503, 503, 503, 429]
        blocked = client.post("/password/", {"password": SECRET, "next": "/"})
        assert blocked.status_code == 429
        assert "Too many wrong passwords" in blocked.text
        assert Client(REMOTE_ADDR="203.0.113.10").post("/password/", {"password": SECRET}).status_code == 302
    with at(gated.LOGIN_FAILURE_WINDOW + 1):
        assert client.post("/password/", {"password": SECRET, "next": "/"}).status_code == 302


@pytest.mark.django_db
def test_a_huge_password_is_a_form_error(client, gated):
    response = client.post("/password/", {"password": "x" * 10_000, "next": "/"})
    assert response.status_code == 503
    assert "Ensure this value has at most 1024 characters" in response.text


@pytest.mark.django_db
def test_tell_me_when_you_open_stores_the_address_once_and_staff_see_it(client, gated, django_user_model):
    first = client.post("/password/notify/", {"email": "Fan@Example.org", "next": "/"})
    again = client.post("/password/notify/", {"email": "fan@example.org", "next": "/"})
    assert first.status_code == again.status_code == 503
    assert "We will write to you when the shop opens." in again.text
    assert list(LaunchSubscriber.objects.values_list("email", flat=True)) == ["Fan@example.org"]

    bad = client.post("/password/notify/", {"email": "not-an-address"})
    assert "Enter a valid email address." in bad.text

    staff = Client()
    staff.force_login(django_user_model.objects.create_superuser("boss@example.org", "pw-pw-pw-pw-pw"))
    assert "Fan@example.org" in staff.get("/admin/accounts/launchsubscriber/").text


@pytest.mark.django_db
def test_the_password_page_is_valid_and_labelled(client, gated):
    text = client.get("/").text
    assert '<label for="id_password">' in text
    assert '<label for="id_notify_email">' in text
    assert text.count('id="id_next"') == 1


@pytest.mark.django_db
def test_an_htmx_request_through_a_closed_gate_reloads_the_page(client, gated):
    response = client.get("/accounts/sessions/", HTTP_HX_REQUEST="true")
    assert response.status_code == 503
    assert response["HX-Refresh"] == "true"


@pytest.mark.django_db
def test_logged_in_staff_see_the_storefront_and_staff_pages_through_the_gate(client, gated, django_user_model):
    staff = django_user_model.objects.create_user("staff@example.org", "pw", is_staff=True)
    shopper = django_user_model.objects.create_user("shopper2@example.org", "pw")

    client.force_login(shopper)
    assert client.get("/").status_code == 503
    client.force_login(staff)
    assert client.get("/").status_code == 200
    assert client.get("/staff/emails/").status_code == 200
