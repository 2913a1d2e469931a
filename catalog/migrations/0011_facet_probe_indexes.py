"""Facet counts by candidate: indexes that answer a lookup by primary key without reading the row.

- `catalog_prod_visible_id`: the unarchived products by id with their category. With two or more facet
  groups chosen, the facet counts read the products of the chosen values (a few thousand of 100,000) by id;
  from this index each is one index-only lookup instead of a read of its row.
- `catalog_variant_sold_out`: the ids of the variants out of stock, a small set the counts hash: a link's
  variant is in stock when it is not among them (the stock is never below zero).

PostgreSQL only (INCLUDE columns); SQLite counts over every visible product and needs neither.
"""

from django.db import migrations

import catalog.operations

INDEXES = """
CREATE INDEX catalog_prod_visible_id ON catalog_product (id) INCLUDE (category_id) WHERE NOT is_archived;
CREATE INDEX catalog_variant_sold_out ON catalog_productvariant (id) WHERE stock = 0;
"""

INDEXES_REVERSE = """
DROP INDEX catalog_variant_sold_out;
DROP INDEX catalog_prod_visible_id;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0010_variant_option_product"),
    ]

    operations = [
        catalog.operations.RunPostgresSQL(INDEXES, reverse_sql=INDEXES_REVERSE),
    ]
