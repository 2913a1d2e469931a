"""Cart lines hold a variant: each existing line gets its product's (only, default) variant."""

import django.db.models.deletion
from django.db import migrations, models


def _fire_deferred_checks(schema_editor):
    """PostgreSQL: check the new foreign keys now, so the ALTER TABLEs after this find no pending trigger events."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def lines_to_variants(apps, schema_editor):
    CartLine = apps.get_model("cart", "CartLine")
    Cart = apps.get_model("cart", "Cart")
    ProductVariant = apps.get_model("catalog", "ProductVariant")
    first = {}
    for product_id, variant_id in ProductVariant.objects.order_by("-position", "-pk").values_list("product_id", "pk"):
        first[product_id] = variant_id  # the lowest position wins
    for line in CartLine.objects.filter(variant__isnull=True).only("pk", "product_id"):
        CartLine.objects.filter(pk=line.pk).update(variant_id=first[line.product_id])
    for cart in Cart.objects.filter(removed_product__isnull=False).only("pk", "removed_product_id"):
        Cart.objects.filter(pk=cart.pk).update(removed_variant_id=first.get(cart.removed_product_id))
    _fire_deferred_checks(schema_editor)


def variants_to_lines(apps, schema_editor):
    Cart = apps.get_model("cart", "Cart")
    for cart in Cart.objects.filter(removed_variant__isnull=False).select_related("removed_variant"):
        Cart.objects.filter(pk=cart.pk).update(removed_product_id=cart.removed_variant.product_id)


class Migration(migrations.Migration):
    dependencies = [
        ("cart", "0001_cart"),
        ("catalog", "0004_variants"),
    ]

    operations = [
        migrations.AddField(
            model_name="cartline",
            name="variant",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="cart_lines",
                to="catalog.productvariant",
            ),
        ),
        migrations.AddField(
            model_name="cart",
            name="removed_variant",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="catalog.productvariant",
            ),
        ),
        migrations.RunPython(lines_to_variants, variants_to_lines),
        migrations.AlterField(
            model_name="cartline",
            name="variant",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="cart_lines", to="catalog.productvariant"
            ),
        ),
        migrations.RemoveConstraint(model_name="cartline", name="cart_cartline_one_line_per_product"),
        migrations.AddConstraint(
            model_name="cartline",
            constraint=models.UniqueConstraint(fields=("cart", "variant"), name="cart_cartline_one_line_per_variant"),
        ),
        migrations.RemoveField(model_name="cart", name="removed_product"),
    ]
