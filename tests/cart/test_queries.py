"""The cart page and the badge cost the same number of queries for 3 or 30 lines, with or without a
voucher and promotions; catalog pages stay as they were."""

import pytest
from django.test import Client

from cart.models import Cart, CartLine
from catalog.models import ProductImage, ProductVariant
from discounts.models import Promotion, Voucher
from tests.budgets import CHROME
from tests.cart.conftest import login
from tests.catalog.test_queries import LIST_QUERIES
from tests.factories import caches_clear, default_variant, make_category, make_products

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["plain", "discounted"])
def discounted(request) -> bool:
    return request.param == "discounted"


@pytest.fixture(params=[3, 30])
def products(request, discounted):
    category = make_category()
    products = make_products(request.param, category=category)
    if discounted:  # every kind of promotion, and a whole-order voucher on the carts (see fill)
        Promotion.objects.create(name="10 % off", kind="category_percent", category=category, percent=10)
        Promotion.objects.create(
            name="3 for 2", kind="buy_n_pay_m", product=products[0], buy_quantity=3, pay_quantity=2
        )
        Promotion.objects.create(name="Free shipping over 20", kind="free_shipping_over", threshold=20)
        Voucher.objects.create(code="SAVE5", kind="fixed", value=5)
    ProductVariant.objects.filter(product_id__in=[p.pk for p in products]).update(stock=20)
    ProductImage.objects.bulk_create(
        [
            ProductImage(product=p, image="x.png", thumbnail="x.webp", display="y.webp", is_primary=True)
            for p in products
        ]
    )
    return products


def fill(cart, products):
    Cart.objects.filter(pk=cart.pk).update(voucher=Voucher.objects.filter(code="SAVE5").first())
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
    caches_clear()
    # cart (with its voucher), lines with variants, products and primary thumbnails, catalog version +
    # categories (which are shown), the promotions; the badge counts the lines already loaded
    with django_assert_num_queries(5 + CHROME):
        response = anonymous.get("/cart/")
    assert response.text.count('<tr id="line-') == len(products)
    assert ("You save" in response.text) is bool(Promotion.objects.exists())
    assert f'class="cart-count">{2 * len(products)}<' in response.text
    assert response.text.count(".webp") >= len(products)  # every line's thumbnail
    with django_assert_num_queries(4):  # the categories come from the catalog's cache
        anonymous.get("/cart/")


def test_cart_page_for_a_user(member, products, django_assert_num_queries):
    caches_clear()
    # session, user, cart, lines with variants, products and thumbnails, catalog version + categories,
    # the promotions
    with django_assert_num_queries(7 + CHROME):
        response = member.get("/cart/")
    assert response.text.count('<tr id="line-') == len(products)
    assert f'class="cart-count">{2 * len(products)}<' in response.text
    with django_assert_num_queries(6):
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
    # thumbnails, catalog version, promotions
    with django_assert_max_num_queries(11):
        response = anonymous.post(f"/cart/lines/{line.pk}/", {"quantity": 3}, headers={"HX-Request": "true"})
    assert response.text.count('<tr id="line-') == len(products)


def test_catalog_pages_cost_one_more_query_only_for_a_visitor_with_a_cart(
    anonymous, products, django_assert_num_queries
):
    caches_clear()
    with django_assert_num_queries(0 + LIST_QUERIES + CHROME):  # as tests/catalog/test_queries.py, no cart
        assert Client().get("/products/").status_code == 200
    with django_assert_num_queries(1 + 1):  # cached page: the catalog version, the cart's quantities
        response = anonymous.get("/products/")
    assert "In cart (2)" in response.text
    with django_assert_num_queries(1):  # cached page, no cart cookie: the catalog version only
        assert "Add to cart" in Client().get("/products/").text


def _page_cost(client, path: str) -> tuple[int, list[str]]:
    """Queries and template renders of one GET."""
    from django.db import connection
    from django.test.signals import template_rendered
    from django.test.utils import CaptureQueriesContext

    templates = []

    def seen(sender, template, **kwargs):
        templates.append(template.name)

    template_rendered.connect(seen)
    try:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
    finally:
        template_rendered.disconnect(seen)
    return len(queries), templates


@pytest.mark.parametrize("member", [False, True])
def test_a_30_line_cart_costs_the_queries_and_templates_of_a_3_line_cart(member, user, settings):
    settings.SESSION_ENGINE = "accounts.sessions.db"
    category = make_category()
    products = make_products(33, category=category)
    ProductVariant.objects.filter(product_id__in=[p.pk for p in products]).update(stock=20)
    costs = []
    for index, lines in enumerate((products[:3], products[3:])):
        client = Client()
        if member:
            owner = user if index == 0 else type(user).objects.create_user(f"second{index}@example.org", "x" * 20)
            client.force_login(owner)
            cart = Cart.objects.create(user=owner)
        else:
            cart = Cart.objects.create(token=f"{index}" * 43)
            client.cookies["shop_cart"] = cart.token
        fill(cart, lines)
        client.get("/cart/")  # the catalog's category tree and the chrome are cached
        costs.append(_page_cost(client, "/cart/"))
    (queries_3, templates_3), (queries_30, templates_30) = costs
    assert queries_30 == queries_3
    assert templates_30 == templates_3  # no template rendered per line (a price tag's template was)
