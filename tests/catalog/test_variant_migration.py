"""The variants migration: every product becomes one product with one default variant, losing nothing."""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [
    ("catalog", "0003_product_sku_upper_index"),
    ("cart", "0001_cart"),
    ("orders", "0003_hosted_payments_refunds_credit_notes"),
]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_existing_products_cart_and_order_lines_move_to_default_variants():
    old = _migrate(BEFORE)
    Category = old.get_model("catalog", "Category")
    Product = old.get_model("catalog", "Product")
    category = Category.objects.create(name="Home", slug="home")
    lamp = Product.objects.create(
        name="Lamp", slug="lamp", sku="L-1", price=Decimal("19.90"), stock=7, category=category
    )
    kettle = Product.objects.create(
        name="Kettle", slug="kettle", sku="K-1", price=Decimal("25.00"), stock=0, category=category, is_archived=True
    )
    Cart = old.get_model("cart", "Cart")
    cart = Cart.objects.create(token="t" * 20, removed_product=kettle, removed_quantity=1, removed_price_seen=25)
    old.get_model("cart", "CartLine").objects.create(cart=cart, product=lamp, quantity=2, price_seen=Decimal("19.90"))
    User = old.get_model("accounts", "User")
    user = User.objects.create(email="a@example.com")
    Order = old.get_model("orders", "Order")
    order = Order.objects.create(
        user=user,
        number="AAAA-BBBB",
        email="a@example.com",
        currency="EUR",
        subtotal=25,
        shipping_cost=0,
        tax=0,
        total=25,
        reserved_until="2026-01-01T00:00Z",
    )
    old.get_model("orders", "OrderLine").objects.create(
        order=order, product=kettle, name="Kettle", sku="K-1", unit_price=25, quantity=1, line_total=25
    )

    executor = MigrationExecutor(connection)
    new = _migrate(executor.loader.graph.leaf_nodes())

    Variant = new.get_model("catalog", "ProductVariant")
    variants = {v.sku: v for v in Variant.objects.all()}
    assert set(variants) == {"L-1", "K-1"}
    assert (variants["L-1"].product_id, variants["L-1"].stock, variants["L-1"].price_override) == (lamp.pk, 7, None)
    assert (variants["K-1"].product_id, variants["K-1"].stock) == (kettle.pk, 0)
    products = new.get_model("catalog", "Product").objects
    assert list(products.order_by("sku").values_list("sku", "name", "price", "is_archived")) == [
        ("K-1", "Kettle", Decimal("25.00"), True),
        ("L-1", "Lamp", Decimal("19.90"), False),
    ]
    line = new.get_model("cart", "CartLine").objects.get()
    assert (line.product_id, line.variant_id, line.quantity) == (lamp.pk, variants["L-1"].pk, 2)
    assert new.get_model("cart", "Cart").objects.get().removed_variant_id == variants["K-1"].pk
    ordered = new.get_model("orders", "OrderLine").objects.get()
    assert (ordered.variant_id, ordered.sku, ordered.variant_label) == (variants["K-1"].pk, "K-1", "")


@pytest.mark.django_db(transaction=True)
def test_the_variants_migration_goes_back_with_the_stock_summed():
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    new = _migrate(leaves)
    category = new.get_model("catalog", "Category").objects.create(name="Home", slug="home")
    product = new.get_model("catalog", "Product").objects.create(
        name="Tee", slug="tee", sku="T", price=Decimal("10.00"), category=category
    )
    Variant = new.get_model("catalog", "ProductVariant")
    Variant.objects.create(product=product, sku="T-S", stock=2)
    Variant.objects.create(product=product, sku="T-M", stock=3)

    old = _migrate(BEFORE)
    assert old.get_model("catalog", "Product").objects.get(sku="T").stock == 5
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
