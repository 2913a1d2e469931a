"""The full-text GIN index (on the stored vector) exists on PostgreSQL and serves the search."""

import pytest
from django.db import connection

from catalog import selectors
from catalog.models import Product
from tests.factories import make_category, make_products

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="GIN full-text index is PostgreSQL-only")


@postgres_only
def test_the_search_can_use_the_gin_index_and_the_sku_index():
    make_products(50, category=make_category(), description="lamp")
    queryset = selectors.product_search(Product.objects.all(), "lamp", ranked=False)

    with connection.cursor() as cursor:
        # Forbid sequential scans: if the expressions did not match the indexes, the plan would not name them.
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = queryset.explain()

    assert "catalog_prod_search_vector" in plan, plan
    assert "catalog_prod_sku_upper" in plan


def test_sqlite_has_no_gin_index_but_postgresql_does():
    with connection.cursor() as cursor:
        names = [i for i in connection.introspection.get_constraints(cursor, Product._meta.db_table)]
    assert ("catalog_prod_search_vector" in names) == (connection.vendor == "postgresql")
