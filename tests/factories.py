"""Small helpers that create real rows for tests (no mocks of our own code)."""

import io
import itertools
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from catalog.models import Category, Option, OptionValue, Product, ProductType, ProductVariant

_seq = itertools.count(1)
_variant_seq = itertools.count(1)


def _variant_pk() -> int:
    """Variants made here get ids far from any product's (and from those the database gives out), so code
    that confuses a product id with a variant id fails in every test."""
    return 1_000_000 + 1000 * next(_variant_seq)


def make_category(name: str | None = None, *, parent: Category | None = None, **fields) -> Category:
    n = next(_seq)
    name = name or f"Category {n}"
    fields.setdefault("slug", f"{name.lower().replace(' ', '-')}-{n}")
    return Category.objects.create(name=name, parent=parent, **fields)


def make_product(name: str | None = None, *, category: Category | None = None, stock: int = 10, **fields) -> Product:
    """A product with its one default variant (the product's SKU, `stock` units)."""
    n = next(_seq)
    name = name or f"Product {n}"
    fields.setdefault("slug", f"{name.lower().replace(' ', '-')}-{n}")
    fields.setdefault("sku", f"SKU-{n:06d}")
    fields.setdefault("price", Decimal("10.00"))
    product = Product.objects.create(name=name, category=category or make_category(), **fields)
    ProductVariant.objects.create(pk=_variant_pk(), product=product, sku=product.sku, stock=stock)
    return product


def default_variant(product: Product) -> ProductVariant:
    """The product's first variant (a factory product's only one)."""
    return product.variants.order_by("position", "pk").first()


def stock_of(product: Product) -> int:
    """Units over all the product's variants, read now."""
    return sum(product.variants.values_list("stock", flat=True))


def set_stock(product: Product, stock: int) -> None:
    """Set a single-variant product's stock (as staff would)."""
    product.variants.update(stock=stock)


def make_product_type(name: str = "T-shirt", options: dict[str, list[str]] | None = None) -> ProductType:
    """A product type with option axes, e.g. {"Size": ["S", "M"], "Colour": ["Blue"]}."""
    n = next(_seq)
    product_type = ProductType.objects.create(name=f"{name} {n}", slug=f"{name.lower()}-{n}")
    for position, (option_name, values) in enumerate((options or {"Size": ["S", "M", "L"]}).items()):
        option = Option.objects.create(product_type=product_type, name=option_name, position=position)
        for value_position, value in enumerate(values):
            OptionValue.objects.create(option=option, value=value, position=value_position)
    return product_type


def make_variant(product: Product, *values: str, stock: int = 5, sku: str | None = None, **fields) -> ProductVariant:
    """A variant of `product` with the named option values of its type ("M", "Blue")."""
    n = next(_seq)
    chosen = [OptionValue.objects.get(option__product_type=product.product_type, value=v) for v in values]
    variant = ProductVariant.objects.create(
        pk=_variant_pk(),
        product=product,
        sku=sku or f"{product.sku}-{n}",
        stock=stock,
        label=" / ".join(values),
        **fields,
    )
    variant.option_values.set(chosen)
    return variant


def make_products(count: int, *, category: Category, variants: int = 1, **fields) -> list[Product]:
    """Many products in a few queries, each with `variants` variants (stock i % 7 on the first)."""
    start = next(_seq)
    for _ in range(count):
        next(_seq)
    products = Product.objects.bulk_create(
        [
            Product(
                name=f"Bulk product {start + i}",
                slug=f"bulk-product-{start + i}",
                sku=f"BULK-{start + i:07d}",
                price=Decimal("5.00") + i,
                category=category,
                **fields,
            )
            for i in range(count)
        ]
    )
    ProductVariant.objects.bulk_create(
        [
            ProductVariant(product=p, sku=p.sku if k == 0 else f"{p.sku}-{k}", stock=i % 7 if k == 0 else 1, position=k)
            for i, p in enumerate(products)
            for k in range(variants)
        ]
    )
    return products


def image_upload(name: str = "photo.png", size: tuple[int, int] = (1600, 1200), colour: str = "#3366aa"):
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def caches_clear() -> None:
    """A cold start: the shared cache emptied and nothing kept in the process (shop.memo)."""
    from django.core.cache import cache

    from shop import memo

    cache.clear()
    memo.clear_all()
