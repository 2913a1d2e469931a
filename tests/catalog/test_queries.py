"""Every storefront page makes the same number of queries with 10 or 1,000 products (cold cache)."""

import pytest
from django.db import connection

from tests.factories import caches_clear, make_category, make_products

pytestmark = pytest.mark.django_db

# Cold cache: catalog version, categories, facet definitions (options, attribute choices), page (with each
# card's primary thumbnail), category counts, in-stock count. (No product types here: no option or attribute
# counts.) No count of the results: the category counts add up to it (catalog.facets.Facets.result_count).
LIST_QUERIES = 7
# Availability chosen: the in-stock count is the category counts' sum too.
IN_STOCK_QUERIES = LIST_QUERIES - 1
# A search counts its results (its category counts are over the bounded candidates). PostgreSQL corrects
# the search words against the catalogue's vocabulary (catalog/search.py), once per page: the list and the
# facet counts search the same corrected words; and it reads the facets' candidates once
# (catalog.search.search_candidates), so each count takes them as an array of ids instead of gathering and
# capping the matches again.
SEARCH_QUERIES = LIST_QUERIES + 1 + 2 * (connection.vendor == "postgresql")
# A cold cache also reads the storefront's chrome: the brand and the footer's pages (storefront.selectors).
CHROME = 2


@pytest.fixture(params=[10, 1000])
def shop(request):
    home = make_category("Home", slug="home")
    lighting = make_category("Lighting", slug="lighting", parent=home)
    products = make_products(request.param, category=lighting, description="A lamp for the desk.")
    from catalog import services
    from catalog.models import Product, ProductImage

    ProductImage.objects.bulk_create(
        [
            ProductImage(product=p, image="x.png", thumbnail="x.webp", display="y.webp", is_primary=True)
            for p in products
        ]
    )
    Product.objects.filter(pk__in=[p.pk for p in products[::3]]).update(is_featured=True)
    services.product_archive(Product.objects.filter(pk=products[-1].pk))
    return products


@pytest.mark.parametrize(
    ("url", "queries"),
    [
        ("/products/", LIST_QUERIES + CHROME),
        ("/products/?per_page=100&sort=-price&in_stock=on&page=2", IN_STOCK_QUERIES + CHROME),
        ("/products/?q=lamp", SEARCH_QUERIES + CHROME),
        ("/products/?q=bulk+product&sort=newest", SEARCH_QUERIES + CHROME),
        ("/categories/lighting/", LIST_QUERIES + CHROME),
        ("/categories/home/?per_page=100", LIST_QUERIES + CHROME),
        ("/", 4 + CHROME),  # version, categories, featured, newest (each with its thumbnails)
    ],
)
def test_pages_make_a_constant_number_of_queries(client, shop, django_assert_num_queries, url, queries):
    caches_clear()
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200


def test_product_detail_makes_a_constant_number_of_queries(client, shop, django_assert_num_queries):
    caches_clear()
    # version, categories, product, variants, images, related (with their thumbnails), also bought; the
    # JSON-LD's image; the storefront's chrome
    with django_assert_num_queries(8 + CHROME):
        assert client.get(f"/products/{shop[0].slug}/").status_code == 200


def test_a_cached_page_needs_only_the_version_query(client, shop, django_assert_num_queries):
    client.get("/products/?sort=price")
    with django_assert_num_queries(1):
        assert client.get("/products/?sort=price").status_code == 200


def test_a_cached_product_page_needs_only_the_version_query(client, shop, django_assert_num_queries):
    url = f"/products/{shop[0].slug}/"
    client.get(url)
    with django_assert_num_queries(1):
        assert client.get(url).status_code == 200
