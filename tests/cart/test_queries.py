"""The cart page and the badge cost the same number of queries for 3 or 30 lines; catalog pages stay as they were."""

import pytest
from django.core.cache import cache
from django.test import Client

from cart.models import Cart, CartLine
from catalog.models import ProductImage, ProductVariant
from tests.budgets import CHROME
from tests.cart.conftest import login
from tests.catalog.test_queries import LIST_QUERIES
from tests.factories import default_variant, make_category, make_products

pytestmark = pytest.mark.django_db


@pytest.fixture(params=[3, 30])
def products(request):
    products = make_products(request.param, category=make_category())
    ProductVariant.objects.filter(product_id__in=[p.pk for p in products]).update(stock=20)
    ProductImage.objects.bulk_create(
        [
            ProductImage(product=p, image="x.png", thumbnail="x.webp", display="y.webp", is_primary=True)
            for p in products
        ]
    )
    return products


def fill(cart, products):
    CartLine.objects.bulk_create(
        [CartLine(cart=cart, product=p, variant=default_variant(p), quantity=2, price_seen=p.price) for p in products]
    )


@pytest.fixture
def anonymous(products):
    client = Client()
    cart = Cart.objects.create(token="t" * 43)
    fill(cart, products)
    client.cookies["shop_cart"] = cart.token
    return client


@pytest.fixture
def member(products, user, settings):
    settings.SESSION_ENGINE = "accounts.sessions.db"  # counts below are for the database engine
    client = Client()
    login(client)
    fill(Cart.objects.create(user=user), products)
    return client


def test_cart_page_for_an_anonymous_cart(anonymous, products, django_assert_num_queries):
    cache.clear()
    # cart, lines with variants, products and primary thumbnails, catalog version + categories (which are
    # shown); the badge counts the lines already loaded
    with django_assert_num_queries(4 + CHROME):
        response = anonymous.get("/cart/")
    assert response.text.count('<tr id="line-') == len(products)
    assert f'class="cart-count">{2 * len(products)}<' in response.text
    assert response.text.count(".webp") >= len(products)  # every line's thumbnail
    with django_assert_num_queries(3):  # the categories come from the catalog's cache
        anonymous.get("/cart/")


def test_cart_page_for_a_user(member, products, django_assert_num_queries):
    cache.clear()
    # session, user, cart, lines with variants, products and thumbnails, catalog version + categories
    with django_assert_num_queries(6 + CHROME):
        response = member.get("/cart/")
    assert response.text.count('<tr id="line-') == len(products)
    assert f'class="cart-count">{2 * len(products)}<' in response.text
    with django_assert_num_queries(5):
        member.get("/cart/")


def test_badge_for_an_anonymous_cart(anonymous, products, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = anonymous.get("/cart/badge/")
    assert f'class="cart-count">{2 * len(products)}<' in response.text


def test_badge_for_a_user(member, products, django_assert_num_queries):
    with django_assert_num_queries(3):  # session, user, the quantities
        response = member.get("/cart/badge/")
    assert f'class="cart-count">{2 * len(products)}<' in response.text


def test_an_htmx_change_rerenders_the_cart_in_constant_queries(anonymous, products, django_assert_max_num_queries):
    line = CartLine.objects.first()
    anonymous.get("/cart/")  # the catalog's category tree is cached
    # cart, SAVEPOINT, lock, line, catalog version, update line, touch cart, RELEASE; then lines with
    # thumbnails, catalog version
    with django_assert_max_num_queries(10):
        response = anonymous.post(f"/cart/lines/{line.pk}/", {"quantity": 3}, headers={"HX-Request": "true"})
    assert response.text.count('<tr id="line-') == len(products)


def test_catalog_pages_cost_one_more_query_only_for_a_visitor_with_a_cart(
    anonymous, products, django_assert_num_queries
):
    cache.clear()
    with django_assert_num_queries(0 + LIST_QUERIES + CHROME):  # as tests/catalog/test_queries.py, no cart
        assert Client().get("/products/").status_code == 200
    with django_assert_num_queries(1 + 1):  # cached page: the catalog version, the cart's quantities
        response = anonymous.get("/products/")
    assert "In cart (2)" in response.text
    with django_assert_num_queries(1):  # cached page, no cart cookie: the catalog version only
        assert "Add to cart" in Client().get("/products/").text
