"""Order lines name the variant ordered: each existing line gets its product's (only, default) variant."""

import django.db.models.deletion
from django.db import migrations, models


def _fire_deferred_checks(schema_editor):
    """PostgreSQL: check the new foreign keys now, so the ALTER TABLEs after this find no pending trigger events."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def lines_to_variants(apps, schema_editor):
    OrderLine = apps.get_model("orders", "OrderLine")
    ProductVariant = apps.get_model("catalog", "ProductVariant")
    first = {}
    for product_id, variant_id in ProductVariant.objects.order_by("-position", "-pk").values_list("product_id", "pk"):
        first[product_id] = variant_id  # the lowest position wins
    for line in OrderLine.objects.filter(variant__isnull=True).only("pk", "product_id"):
        OrderLine.objects.filter(pk=line.pk).update(variant_id=first[line.product_id])
    _fire_deferred_checks(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0003_hosted_payments_refunds_credit_notes"),
        ("catalog", "0004_variants"),
    ]

    operations = [
        migrations.AddField(
            model_name="orderline",
            name="variant",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="order_lines",
                to="catalog.productvariant",
            ),
        ),
        migrations.AddField(
            model_name="orderline",
            name="variant_label",
            field=models.CharField(
                blank=True,
                help_text="The variant's options when ordered (“M / Blue”); empty for a default.",
                max_length=200,
            ),
        ),
        migrations.AlterField(
            model_name="orderline",
            name="sku",
            field=models.CharField(help_text="The variant's SKU when ordered.", max_length=64, verbose_name="SKU"),
        ),
        migrations.RunPython(lines_to_variants, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="orderline",
            name="variant",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="order_lines", to="catalog.productvariant"
            ),
        ),
        migrations.RemoveConstraint(model_name="orderline", name="orders_orderline_one_per_product"),
        migrations.AddConstraint(
            model_name="orderline",
            constraint=models.UniqueConstraint(fields=("order", "variant"), name="orders_orderline_one_per_variant"),
        ),
    ]
