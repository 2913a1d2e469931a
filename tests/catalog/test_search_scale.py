"""Search at scale: the stored vector, the bounded ranking, typo tolerance (PostgreSQL) and SQLite's own path."""

import re

import pytest
from django.db import connection

from catalog import search
from catalog.models import Product
from tests.budgets import CHROME
from tests.catalog.test_storefront import names
from tests.factories import caches_clear, make_category, make_product, make_products

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="typo tolerance is PostgreSQL-only")
sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite search path")


@pytest.fixture(autouse=True)
def _empty_cache():
    caches_clear()


@pytest.fixture
def catalog():
    category = make_category("Home", slug="home")
    make_product("Desk Lamp", sku="LMP-1", category=category, description="Warm light for reading.")
    make_product("Paper Shade", sku="SHD-1", category=category, description="Fits any lamp.")
    make_product("Kettle", sku="KTL-1", category=category, description="Boils water fast.")
    return category


def suggestion(response) -> str | None:
    match = re.search(r'<p class="did-you-mean">.*?<a href="\?([^"]*)">([^<]*)</a>', response.content.decode(), re.S)
    return match and match.group(2)


@postgres_only
def test_a_typo_finds_the_closest_catalogue_word_and_offers_it(client, catalog):
    response = client.get("/products/", {"q": "lmap"})

    assert names(response) == ["Desk Lamp", "Paper Shade"]
    assert suggestion(response) == "lamp"
    assert 'href="?q=lamp"' in response.content.decode()


@postgres_only
def test_only_the_unknown_word_of_several_is_corrected_and_the_link_keeps_the_filters(client, catalog):
    response = client.get("/products/", {"q": "Desk lmap", "in_stock": "on"})

    assert names(response) == ["Desk Lamp"]
    assert suggestion(response) == "desk lamp"
    assert 'href="?q=desk+lamp&amp;in_stock=on"' in response.content.decode()


@postgres_only
@pytest.mark.parametrize("q", ["lamp", "la", "lam", "lamps", "reading", "the lamp", "LMP-1"])
def test_words_the_catalogue_knows_prefixes_stems_and_stop_words_are_not_corrected(client, catalog, q):
    response = client.get("/products/", {"q": q})

    assert names(response)
    assert suggestion(response) is None


@postgres_only
def test_a_word_far_from_every_catalogue_word_finds_nothing_and_suggests_nothing(client, catalog):
    response = client.get("/products/", {"q": "zqxwv"})

    assert names(response) == []
    assert suggestion(response) is None
    assert "No products match" in response.content.decode()


@postgres_only
def test_words_of_new_and_renamed_products_are_corrected_to(client, catalog):
    product = make_product("Teapot", category=catalog)
    assert names(client.get("/products/", {"q": "teapto"})) == ["Teapot"]

    Product.objects.filter(pk=product.pk).update(name="Samovar")
    assert names(client.get("/products/", {"q": "samovra"})) == ["Samovar"]


@postgres_only
def test_the_vector_is_a_stored_generated_column_with_a_gin_index_and_replaces_the_expression_index():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT is_generated, data_type FROM information_schema.columns"
            " WHERE table_name = 'catalog_product' AND column_name = 'search_vector'"
        )
        assert cursor.fetchone() == ("ALWAYS", "tsvector")
        indexes = connection.introspection.get_constraints(cursor, Product._meta.db_table)
    assert indexes["catalog_prod_search_vector"]["type"] == "gin"
    assert indexes["catalog_prod_search_name"]["type"] == "gin"
    assert "catalog_prod_search" not in indexes


@postgres_only
def test_a_common_word_ranks_only_a_bounded_candidate_set_with_name_matches_first(client, monkeypatch):
    monkeypatch.setattr(search, "SEARCH_CANDIDATES", 5)
    category = make_category()
    # Oldest first: the newest-first cap of all matches would never reach the name matches.
    make_product("Range Hood", category=category, description="Extracts steam.")
    make_product("Range Cooker", category=category, description="Five rings.")
    make_products(20, category=category, description="From our kitchen range.")

    response = client.get("/products/", {"q": "range", "per_page": 100})

    found = names(response)
    assert found[:2] == ["Range Cooker", "Range Hood"]
    # Two name matches plus the newest six (SEARCH_CANDIDATES + 1) of all matches.
    assert len(found) == 8
    assert "5+ products for “range”" in response.content.decode()


@postgres_only
def test_an_explicit_sort_runs_over_every_match_not_only_the_candidates(client, monkeypatch):
    monkeypatch.setattr(search, "SEARCH_CANDIDATES", 5)
    category = make_category()
    make_product("Cheapest", category=category, description="Kitchen range.", price=1)
    make_products(20, category=category, description="From our kitchen range.")

    found = names(client.get("/products/", {"q": "range", "sort": "price", "per_page": 100}))

    assert found[0] == "Cheapest"
    assert len(found) == 21


@postgres_only
def test_a_search_of_fewer_matches_than_the_cap_shows_the_exact_count(client, catalog):
    assert "2 products for “lamp”" in client.get("/products/", {"q": "lamp"}).content.decode()


@postgres_only
def test_the_ranked_search_uses_the_stored_vector_and_name_indexes():
    make_products(50, category=make_category(), description="lamp")
    queryset = search.product_search(Product.objects.all(), "lamp")

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = queryset.explain()

    assert "catalog_prod_search_vector" in plan, plan
    assert "catalog_prod_search_name" in plan, plan


@pytest.fixture(params=[10, 1000])
def sized_catalog(request, monkeypatch):
    # A cap below the catalogue size, so the large catalogue exercises the capped candidates.
    monkeypatch.setattr(search, "SEARCH_CANDIDATES", 50)
    make_products(
        request.param, category=make_category("Lighting", slug="lighting"), description="A lamp for the desk."
    )


@pytest.mark.parametrize("q", ["lamp", "lmap", "desk lamp", "bulk", "zqxwv"])
def test_a_search_page_makes_the_same_number_of_queries_at_any_size(
    client, sized_catalog, django_assert_num_queries, q
):
    # Cold cache: catalog version, categories, (PostgreSQL) the words corrected, count, then the page (with
    # its thumbnails) unless nothing matches (SQLite has no correction: "lmap" finds nothing there),
    # the facets (definitions: 2; category counts, in-stock count; the words as corrected for the list;
    # on PostgreSQL the candidates, read once for all the counts) and the storefront's chrome.
    finds = q != "zqxwv" and (q != "lmap" or connection.vendor == "postgresql")
    postgres = connection.vendor == "postgresql"
    with django_assert_num_queries(2 + postgres + 1 + finds + 4 + postgres + CHROME):
        assert client.get("/products/", {"q": q}).status_code == 200


@sqlite_only
def test_sqlite_searches_words_as_typed_without_typo_tolerance(client, catalog):
    assert names(client.get("/products/", {"q": "lmap"})) == []
    assert names(client.get("/products/", {"q": "lamp"})) == ["Desk Lamp", "Paper Shade"]
    assert "2 products for “lamp”" in client.get("/products/", {"q": "lamp"}).content.decode()
