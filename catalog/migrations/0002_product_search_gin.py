"""The full-text GIN index on PostgreSQL: the same weighted vector catalog.selectors.product_search queries."""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.db import migrations

import catalog.operations


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0001_catalog"),
    ]

    operations = [
        catalog.operations.AddPostgresIndex(
            model_name="product",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.search.SearchVector("name", weight="A", config="english")
                + django.contrib.postgres.search.SearchVector("description", weight="B", config="english"),
                name="catalog_prod_search",
            ),
        ),
    ]
