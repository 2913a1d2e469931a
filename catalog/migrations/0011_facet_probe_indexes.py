"""Facet counts by candidate: indexes that answer a lookup by primary key without reading the row.

- `catalog_prod_visible_id`: the unarchived products by id with their category. With two or more facet
  groups chosen, the facet counts read the products of the chosen values (a few thousand of 100,000) by id;
  from this index each is one index-only lookup instead of a read of its row.
- `catalog_variant_stock_id`: the variants by id with their stock, for "a variant of those links in stock".

PostgreSQL only (INCLUDE columns); SQLite counts over every visible product and needs neither.
"""

from django.db import migrations

import catalog.operations

INDEXES = """
CREATE INDEX catalog_prod_visible_id ON catalog_product (id) INCLUDE (category_id) WHERE NOT is_archived;
CREATE INDEX catalog_variant_stock_id ON catalog_productvariant (id) INCLUDE (stock);
"""

INDEXES_REVERSE = """
DROP INDEX catalog_variant_stock_id;
DROP INDEX catalog_prod_visible_id;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0010_variant_option_product"),
    ]

    operations = [
        catalog.operations.RunPostgresSQL(INDEXES, reverse_sql=INDEXES_REVERSE),
    ]
