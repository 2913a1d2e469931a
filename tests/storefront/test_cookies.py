"""The cookie notice: only while a non-essential cookie (analytics' visitor cookie) may be set."""

import pytest

from analytics.services import VISITOR_COOKIE
from storefront.consent import COOKIE
from tests.factories import make_product

BROWSER = {"HTTP_USER_AGENT": "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0"}


@pytest.fixture
def lamp(db):
    return make_product("Desk lamp", slug="desk-lamp")


@pytest.mark.django_db
def test_the_notice_shows_until_the_visitor_answers(client):
    assert b'class="cookie-notice"' in client.get("/", **BROWSER).content
    response = client.post("/cookies/", {"choice": "decline", "next": "/products/"}, **BROWSER)
    assert response.status_code == 302
    assert response["Location"] == "/products/"
    assert response.cookies[COOKIE].value == "decline"
    assert b'class="cookie-notice"' not in client.get("/", **BROWSER).content


@pytest.mark.django_db
def test_no_notice_without_a_non_essential_cookie(client, settings):
    assert b'class="cookie-notice"' not in client.get("/", HTTP_DNT="1", **BROWSER).content
    settings.ANALYTICS_ENABLED = False
    assert b'class="cookie-notice"' not in client.get("/", **BROWSER).content


@pytest.mark.django_db
def test_a_visitor_who_declined_gets_no_visitor_cookie(client, lamp):
    # The product page's beacon (shop.views.page_seen) sets it for a page from a shared cache.
    assert VISITOR_COOKIE in client.get(f"/seen/?product={lamp.pk}", **BROWSER).cookies
    client.cookies.clear()
    client.cookies[COOKIE] = "decline"
    assert VISITOR_COOKIE not in client.get(f"/seen/?product={lamp.pk}", **BROWSER).cookies
    assert VISITOR_COOKIE not in client.get("/products/desk-lamp/", **BROWSER).cookies


@pytest.mark.django_db
def test_with_consent_required_the_visitor_cookie_waits_for_allow(client, settings, lamp):
    settings.ANALYTICS_REQUIRE_CONSENT = True
    assert VISITOR_COOKIE not in client.get("/products/desk-lamp/", **BROWSER).cookies
    client.post("/cookies/", {"choice": "allow", "next": "/"}, **BROWSER)
    assert VISITOR_COOKIE in client.get("/products/desk-lamp/", **BROWSER).cookies


@pytest.mark.django_db
def test_a_bad_choice_is_a_400_and_a_foreign_next_goes_home(client):
    bad = client.post("/cookies/", {"choice": "maybe"})
    assert bad.status_code == 400
    assert b"allow or decline" in bad.content
    response = client.post("/cookies/", {"choice": "allow", "next": "https://evil.example/"})
    assert response["Location"] == "/"
