"""One "page or fragment" rule for every view family: plain GET → page, htmx → fragment, history restore → page."""

import pytest
from django.test import RequestFactory
from django_htmx.middleware import HtmxDetails

from accounts.models import User
from shop.rendering import wants_fragment
from tests.factories import make_category, make_product
from tests.orders.conftest import fill_cart

HTMX = {"HTTP_HX_REQUEST": "true"}
HISTORY_RESTORE = {"HTTP_HX_REQUEST": "true", "HTTP_HX_HISTORY_RESTORE_REQUEST": "true"}


def _catalog_list(client):
    make_product("Linen cushion", category=make_category("Textiles"))
    return "/products/", 'id="results"'


def _cart(client):
    user = User.objects.create_user("cart@example.org", "a-long-password-1")
    fill_cart(user, (make_product("Stoneware mug", stock=5), 1))
    client.force_login(user)
    return "/cart/", "Stoneware mug"


def _checkout(client):
    user = User.objects.create_user("checkout@example.org", "a-long-password-1")
    fill_cart(user, (make_product("Brass lamp", stock=5), 1))
    client.force_login(user)
    return "/checkout/", 'id="checkout'


def _analytics(client):
    client.force_login(User.objects.create_user("boss@example.org", "a-long-password-1", is_staff=True))
    return "/staff/analytics/", 'id="report'


def _accounts(client):
    client.force_login(User.objects.create_user("me@example.org", "a-long-password-1"))
    return "/accounts/sessions/", "session"


FAMILIES = [_catalog_list, _cart, _checkout, _analytics, _accounts]


def _is_full_page(response) -> bool:
    return b"<html" in response.content


@pytest.mark.django_db
@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.__name__.strip("_"))
def test_plain_get_gives_the_full_page(client, family):
    url, marker = family(client)
    response = client.get(url)
    assert response.status_code == 200
    assert _is_full_page(response)
    assert marker in response.text
    assert "HX-Request" in response["Vary"]


@pytest.mark.django_db
@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.__name__.strip("_"))
def test_htmx_get_gives_the_fragment(client, family):
    url, marker = family(client)
    response = client.get(url, **HTMX)
    assert response.status_code == 200
    assert not _is_full_page(response)
    assert marker in response.text
    assert "HX-Request" in response["Vary"]


@pytest.mark.django_db
@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.__name__.strip("_"))
def test_htmx_history_restore_gives_the_full_page(client, family):
    url, marker = family(client)
    response = client.get(url, **HISTORY_RESTORE)
    assert response.status_code == 200
    assert _is_full_page(response)
    assert marker in response.text


@pytest.mark.django_db
def test_history_restore_of_an_address_goes_back_to_the_profile(client):
    """An address row alone is no page: restoring it from history lands on the address book."""
    from accounts.models import Address

    user = User.objects.create_user("book@example.org", "a-long-password-1")
    address = Address.objects.create(
        user=user, name="Ada", line1="1 Analytical Row", city="London", postcode="N1 1AA", country="GB"
    )
    client.force_login(user)

    assert client.get(f"/accounts/addresses/{address.pk}/", **HTMX).status_code == 200
    response = client.get(f"/accounts/addresses/{address.pk}/", **HISTORY_RESTORE)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/profile/#addresses"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [({}, False), (HTMX, True), ({**HTMX, "HTTP_HX_BOOSTED": "true"}, True), (HISTORY_RESTORE, False)],
)
def test_wants_fragment(headers, expected):
    request = RequestFactory().get("/", **headers)
    request.htmx = HtmxDetails(request)
    assert wants_fragment(request) is expected
    del request.htmx
    assert wants_fragment(request) is False
