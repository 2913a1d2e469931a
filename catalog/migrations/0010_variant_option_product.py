"""Facet counts at scale.

- `catalog_productvariant_option_values.product_id` (PostgreSQL only): the variant's product on the
  variant–option link, kept by triggers (set on every insert or change of a link, moved along when a
  variant changes product), with an index on (option value, product). Counting the products of each option
  value is then an index-only scan of the link table, with no join of every variant.
- `catalog_prod_visible` (both engines): the unarchived products by category and id, what every storefront
  list starts from (category counts, the products a facet counts over).

The column is not in the model state: catalog/facets.py reads it on PostgreSQL, and SQLite joins the variants.
"""

from django.db import migrations, models

import catalog.operations

COLUMN = """
ALTER TABLE catalog_productvariant_option_values ADD COLUMN product_id bigint;
UPDATE catalog_productvariant_option_values AS t SET product_id = v.product_id
    FROM catalog_productvariant AS v WHERE v.id = t.productvariant_id;
ALTER TABLE catalog_productvariant_option_values ALTER COLUMN product_id SET NOT NULL;
CREATE FUNCTION catalog_variant_option_product() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.product_id := (SELECT product_id FROM catalog_productvariant WHERE id = NEW.productvariant_id);
    RETURN NEW;
END
$$;
CREATE TRIGGER catalog_variant_option_product BEFORE INSERT OR UPDATE ON catalog_productvariant_option_values
    FOR EACH ROW EXECUTE FUNCTION catalog_variant_option_product();
CREATE FUNCTION catalog_variant_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE catalog_productvariant_option_values SET product_id = NEW.product_id
        WHERE productvariant_id = NEW.id AND product_id <> NEW.product_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER catalog_variant_moved AFTER UPDATE OF product_id ON catalog_productvariant
    FOR EACH ROW WHEN (OLD.product_id IS DISTINCT FROM NEW.product_id) EXECUTE FUNCTION catalog_variant_moved();
CREATE INDEX catalog_variant_option_value_product
    ON catalog_productvariant_option_values (optionvalue_id, product_id);
ANALYZE catalog_productvariant_option_values;
"""

COLUMN_REVERSE = """
DROP TRIGGER catalog_variant_moved ON catalog_productvariant;
DROP FUNCTION catalog_variant_moved();
DROP TRIGGER catalog_variant_option_product ON catalog_productvariant_option_values;
DROP FUNCTION catalog_variant_option_product();
DROP INDEX catalog_variant_option_value_product;
ALTER TABLE catalog_productvariant_option_values DROP COLUMN product_id;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0009_tax_class_and_sale"),
    ]

    operations = [
        catalog.operations.RunPostgresSQL(COLUMN, reverse_sql=COLUMN_REVERSE),
        migrations.AddIndex(
            model_name="product",
            index=models.Index(
                fields=["category", "id"], name="catalog_prod_visible", condition=models.Q(is_archived=False)
            ),
        ),
    ]
