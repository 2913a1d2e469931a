"""Small helpers that create real rows for tests (no mocks of our own code)."""

import io
import itertools
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from catalog.models import Category, Product

_seq = itertools.count(1)


def make_category(name: str | None = None, *, parent: Category | None = None, **fields) -> Category:
    n = next(_seq)
    name = name or f"Category {n}"
    fields.setdefault("slug", f"{name.lower().replace(' ', '-')}-{n}")
    return Category.objects.create(name=name, parent=parent, **fields)


def make_product(name: str | None = None, *, category: Category | None = None, **fields) -> Product:
    n = next(_seq)
    name = name or f"Product {n}"
    fields.setdefault("slug", f"{name.lower().replace(' ', '-')}-{n}")
    fields.setdefault("sku", f"SKU-{n:06d}")
    fields.setdefault("price", Decimal("10.00"))
    fields.setdefault("stock", 10)
    return Product.objects.create(name=name, category=category or make_category(), **fields)


def make_products(count: int, *, category: Category, **fields) -> list[Product]:
    """Many products in one query."""
    start = next(_seq)
    for _ in range(count):
        next(_seq)
    return Product.objects.bulk_create(
        [
            Product(
                name=f"Bulk product {start + i}",
                slug=f"bulk-product-{start + i}",
                sku=f"BULK-{start + i:07d}",
                price=Decimal("5.00") + i,
                stock=i % 7,
                category=category,
                **fields,
            )
            for i in range(count)
        ]
    )


def image_upload(name: str = "photo.png", size: tuple[int, int] = (1600, 1200), colour: str = "#3366aa"):
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")
