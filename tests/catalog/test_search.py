"""The same search tests run on SQLite (icontains fallback) and PostgreSQL (full-text, GIN, ranking)."""

import pytest

from catalog import services
from catalog.models import Product
from tests.catalog.test_storefront import names
from tests.factories import make_category, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog():
    category = make_category("Home", slug="home")
    return {
        "lamp": make_product("Desk Lamp", sku="LMP-1", category=category, description="Warm light for reading."),
        "shade": make_product("Paper Shade", sku="SHD-1", category=category, description="Fits any lamp."),
        "kettle": make_product("Kettle", sku="KTL-1", category=category, description="Boils water fast."),
    }


def test_search_finds_by_name_and_description(client, catalog):
    assert names(client.get("/products/", {"q": "kettle"})) == ["Kettle"]
    assert names(client.get("/products/", {"q": "water"})) == ["Kettle"]


def test_a_name_match_ranks_above_a_description_match(client, catalog):
    assert names(client.get("/products/", {"q": "lamp"})) == ["Desk Lamp", "Paper Shade"]


def test_an_exact_sku_comes_first(client, catalog):
    make_product("Lamp oil", sku="LAMP", category=catalog["lamp"].category)

    assert names(client.get("/products/", {"q": "lamp"}))[0] == "Lamp oil"
    assert names(client.get("/products/", {"q": "ktl-1"})) == ["Kettle"]


def test_every_word_matches_as_a_prefix_while_typing(client, catalog):
    assert names(client.get("/products/", {"q": "des"})) == ["Desk Lamp"]
    assert names(client.get("/products/", {"q": "desk la"})) == ["Desk Lamp"]
    assert names(client.get("/products/", {"q": "desk kettle"})) == []


def test_archived_products_vanish_from_search(client, catalog):
    services.product_archive(Product.objects.filter(pk=catalog["lamp"].pk))

    assert names(client.get("/products/", {"q": "lamp"})) == ["Paper Shade"]


def test_search_combines_with_category_and_sort(client, catalog):
    make_product("Garden Lamp", category=make_category("Garden", slug="garden"), price=1)

    assert names(client.get("/products/", {"q": "lamp", "category": "garden"})) == ["Garden Lamp"]
    assert names(client.get("/products/", {"q": "lamp", "sort": "price"}))[0] == "Garden Lamp"


@pytest.mark.parametrize("q", ["' OR 1=1 --", "lamp:* | !", "&&&", "\\", "%", "_", "a" * 10_000])
def test_odd_queries_are_searched_literally_not_executed(client, catalog, q):
    response = client.get("/products/", {"q": q})

    assert response.status_code == 200
    assert Product.objects.count() == 3
