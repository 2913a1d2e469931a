"""Anonymous catalog pages a shared cache can keep: no cookie, no per-visitor bytes, public with an ETag;
the same pages private for a visitor with a cart or a login; the token-less first POST and its limits."""

import pytest
from django.test import Client

from analytics.models import Event, EventName
from analytics.recorder import recorder
from cart.models import Cart, CartLine
from catalog.models import Product
from storefront.models import Page
from tests.cart.conftest import login
from tests.factories import default_variant, make_category, make_product

pytestmark = pytest.mark.django_db

BROWSER = {"HTTP_USER_AGENT": "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"}


@pytest.fixture
def lamp(db):
    return make_product("Desk Lamp", category=make_category("Lighting", slug="lighting"), stock=5)


@pytest.fixture
def pages(lamp):
    Page.objects.create(slug="about", title="About us", body="We sell lamps.", is_published=True)
    return ["/", "/products/", "/products/?q=lamp", "/categories/lighting/", lamp.get_absolute_url(), "/pages/about/"]


@pytest.fixture
def cart_client(lamp):
    client = Client(enforce_csrf_checks=True)
    cart = Cart.objects.create(token="c" * 43)
    CartLine.objects.create(cart=cart, product=lamp, variant=default_variant(lamp), quantity=2, price_seen=lamp.price)
    client.cookies["shop_cart"] = cart.token
    return client


def directives(response) -> set[str]:
    return {d.strip() for d in response["Cache-Control"].split(",")}


def test_anonymous_catalog_pages_set_no_cookie_and_are_public(client, pages, settings):
    settings.SHOP_SHARED_CACHE_SECONDS = 120
    for url in pages:
        response = client.get(url, **BROWSER)
        assert response.status_code == 200, url
        assert not response.cookies, (url, response.cookies)
        assert directives(response) >= {"public", "s-maxage=120", "max-age=0"}, url
        assert "Cookie" not in response.get("Vary", ""), url
        assert response["ETag"], url
        assert "csrfmiddlewaretoken" not in response.text, url
        assert "X-CSRFToken" not in response.text, url


def test_two_anonymous_visitors_get_the_same_bytes(client, pages):
    for url in pages:
        assert client.get(url, **BROWSER).content == Client().get(url, **BROWSER).content, url


def test_a_visitor_with_a_cart_gets_a_private_page_with_their_badge(cart_client, pages):
    for url in pages:
        response = cart_client.get(url, **BROWSER)
        assert "private" in directives(response), url
        assert "public" not in directives(response), url
        assert "Cookie" in response["Vary"], url
        assert "ETag" not in response, url
        assert 'class="cart-count">2<' in response.text, url
        assert "X-CSRFToken" in response.text, url


def test_a_logged_in_visitor_gets_a_private_page(client, pages, django_user_model):
    django_user_model.objects.create_user("shopper@example.org", "a-long-and-unusual-passphrase-42")
    login(client)
    for url in pages:
        response = client.get(url, **BROWSER)
        assert "private" in directives(response), url
        assert "public" not in directives(response), url


def test_a_conditional_get_answers_304_without_a_body(client, pages):
    for url in pages:
        etag = client.get(url, **BROWSER)["ETag"]
        response = client.get(url, headers={"If-None-Match": etag}, **BROWSER)
        assert response.status_code == 304, url
        assert response.content == b"", url
        assert "public" in directives(response), url


def test_the_etag_changes_when_a_product_changes(client, lamp):
    url = lamp.get_absolute_url()
    before = client.get(url)["ETag"]
    assert client.get(url)["ETag"] == before
    Product.objects.filter(pk=lamp.pk).update(name="Reading Lamp", updated_at=lamp.updated_at.replace(year=2099))
    after = client.get(url, headers={"If-None-Match": before})
    assert after.status_code == 200
    assert "Reading Lamp" in after.text
    assert after["ETag"] != before


def test_the_etag_follows_the_query_string(client, lamp):
    assert client.get("/products/")["ETag"] != client.get("/products/?sort=price")["ETag"]


def test_an_htmx_fragment_is_the_visitors_own(client, lamp):
    # It comes from a page already in this browser: private, recorded by the view itself, no validator.
    response = client.get("/products/?q=lamp", headers={"HX-Request": "true"}, **BROWSER)
    assert "private" in directives(response)
    assert "ETag" not in response
    recorder.flush()
    assert Event.objects.get().query == "lamp"
    restore = client.get("/products/", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "public" in directives(restore)


def test_a_content_page_etag_changes_with_the_page(client, pages):
    before = client.get("/pages/about/")["ETag"]
    page = Page.objects.get(slug="about")
    page.body = "We sell kettles too."
    page.save()
    response = client.get("/pages/about/", headers={"If-None-Match": before})
    assert response.status_code == 200
    assert "kettles" in response.text


def test_the_badge_loads_after_a_shared_page_and_is_private(client, cart_client, lamp):
    page = client.get("/products/")
    assert 'hx-trigger="load, cart-changed' in page.text
    badge = cart_client.get("/cart/badge/")
    assert {"private", "no-store"} <= directives(badge)
    assert 'class="cart-count">2<' in badge.text
    assert 'hx-trigger="load' not in badge.text  # the swapped-in badge must not load itself again


def test_add_to_cart_without_javascript_from_a_shared_page_works(lamp):
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(lamp.get_absolute_url())
    assert "csrfmiddlewaretoken" not in page.text
    response = browser.post("/cart/add/", {"product": lamp.pk, "variant": "detail", "quantity": 2, "next": "/"})
    assert response.status_code == 302
    assert CartLine.objects.get(product=lamp).quantity == 2
    assert {"shop_cart", "csrftoken"} <= set(response.cookies)
    # Back on the page, the visitor has a cart: their own page, with a token in its forms.
    again = browser.get(lamp.get_absolute_url())
    assert "private" in directives(again)
    assert "csrfmiddlewaretoken" in again.text
    assert 'class="cart-count">2<' in again.text


def test_a_token_less_post_against_an_existing_cart_is_refused(cart_client, lamp):
    response = cart_client.post("/cart/add/", {"product": lamp.pk, "variant": "list"})
    assert response.status_code == 403
    assert CartLine.objects.get(product=lamp).quantity == 2


def test_a_token_less_post_from_another_site_is_refused(lamp):
    browser = Client(enforce_csrf_checks=True)
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
        response = browser.post("/cart/add/", {"product": lamp.pk, "variant": "list"}, headers=headers)
        assert response.status_code == 403, headers
    assert not Cart.objects.exists()


def test_a_token_less_post_with_a_session_is_refused(lamp, client, django_user_model):
    django_user_model.objects.create_user("shopper@example.org", "a-long-and-unusual-passphrase-42")
    login(client)
    browser = Client(enforce_csrf_checks=True)
    browser.cookies = client.cookies
    response = browser.post("/cart/add/", {"product": lamp.pk, "variant": "list"})
    assert response.status_code == 403


def test_other_token_less_posts_still_need_the_token(lamp):
    browser = Client(enforce_csrf_checks=True)
    assert browser.post("/accounts/login/", {"username": "a@example.org", "password": "x"}).status_code == 403


def test_the_beacon_records_the_view_and_remembers_the_product(client, lamp, settings):
    settings.ANALYTICS_ENABLED = True
    page = client.get(lamp.get_absolute_url(), **BROWSER)
    assert f'hx-get="/seen/?product={lamp.pk}"' in page.text
    recorder.flush()
    assert not Event.objects.exists()  # the shared page itself records nothing
    seen = client.get(f"/seen/?product={lamp.pk}", headers={"HX-Request": "true"}, **BROWSER)
    assert seen.status_code == 204
    assert {"private", "no-store"} <= directives(seen)
    assert {"shop_visitor", "shop_recent"} <= set(seen.cookies)
    recorder.flush()
    event = Event.objects.get()
    assert (event.name, event.object_id, event.visitor) == (
        EventName.PRODUCT_VIEWED,
        lamp.pk,
        seen.cookies["shop_visitor"].value,
    )


def test_the_beacon_records_a_search(client, lamp, settings):
    page = client.get("/products/?q=lamp", **BROWSER)
    assert 'hx-get="/seen/?q=lamp&amp;results=1"' in page.text
    client.get("/seen/?q=lamp&results=1", **BROWSER)
    recorder.flush()
    event = Event.objects.get()
    assert (event.name, event.query, event.count) == (EventName.SEARCH, "lamp", 1)


def test_the_beacon_keeps_do_not_track(client, lamp):
    response = client.get(f"/seen/?product={lamp.pk}", HTTP_DNT="1", **BROWSER)
    assert response.status_code == 204
    assert "shop_visitor" not in response.cookies
    recorder.flush()
    assert not Event.objects.exists()


def test_the_beacon_ignores_bad_input(client):
    for query in ("product=abc", "product=-1", "product=" + "9" * 40, "q=lamp&results=x", ""):
        assert client.get(f"/seen/?{query}", **BROWSER).status_code == 204
    recorder.flush()
    assert not Event.objects.exists()


def test_a_private_page_still_records_the_view_itself(cart_client, lamp):
    cart_client.get(lamp.get_absolute_url(), **BROWSER)
    recorder.flush()
    assert Event.objects.filter(name=EventName.PRODUCT_VIEWED, object_id=lamp.pk).exists()


def test_a_shared_page_never_goes_public_with_a_cookie(client, lamp, settings):
    # The launch password: a gate cookie and a page that must not leave the shop through a cache.
    settings.SHOP_PASSWORD = "open sesame"
    response = client.get("/products/")
    assert "public" not in response.get("Cache-Control", "")


def test_a_shared_page_is_kept_whole_and_served_without_rendering(client, pages, django_assert_num_queries):
    """The shop's cache keeps each shared page under its ETag (shop.shared): a second anonymous visitor's
    request costs the catalog version's query and renders no template."""
    for path in pages:
        first = client.get(path)
        # The catalog version decides the page's key; a content page's key also has the page's own version.
        with django_assert_num_queries(2 if path.startswith("/pages/") else 1):
            again = client.get(path)
        assert again.status_code == 200
        assert not again.templates, path  # nothing rendered: the kept page
        assert again.content == first.content
        assert again["ETag"] == first["ETag"]
        assert "public" in directives(again)


def test_a_kept_page_gives_way_to_a_change_and_is_never_a_visitors_own(client, cart_client, lamp):
    client.get("/products/")
    Product.objects.filter(pk=lamp.pk).update(name="Brass Lamp")  # a write that bypasses save(): no new version
    assert "Desk Lamp" in client.get("/products/").content.decode()  # (which is why the services bump updated_at)

    lamp.refresh_from_db()
    lamp.save()  # a new catalog version: a new key
    fresh = client.get("/products/")
    assert fresh.templates
    assert "Brass Lamp" in fresh.content.decode()

    own = cart_client.get("/products/").content.decode()  # a visitor with a cart: rendered for them
    assert "In cart (2)" in own
    assert "In cart" not in client.get("/products/").content.decode()


def test_without_a_cache_shared_pages_are_rendered_every_time(client, lamp, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    client.get("/products/")
    assert client.get("/products/").templates
