"""Demo catalog for `manage.py seed_demo`: categories, products and small generated images (no network).

Idempotent: categories are found by slug, products by SKU (DEMO-000001 …); only what is missing is added.
Images are a small palette made once with Pillow and shared by the demo products.
"""

import io
import random
from collections.abc import Callable
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from PIL import Image, ImageDraw

from catalog.models import Category, Product, ProductImage
from catalog.money import money
from catalog.services import DISPLAY_SIZE, THUMBNAIL_SIZE, _encode

MAX_PRODUCTS = 100_000
BATCH = 2000
CATEGORIES = {
    "Home": ["Kitchen", "Lighting", "Textiles"],
    "Garden": ["Tools", "Plants"],
    "Office": ["Stationery", "Desks"],
    "Outdoor": ["Camping", "Cycling"],
}
ADJECTIVES = ["Sturdy", "Bright", "Compact", "Classic", "Modern", "Rustic", "Soft", "Handy", "Quiet", "Bold"]
NOUNS = {
    "Kitchen": ["Kettle", "Teapot", "Knife", "Pan", "Bowl"],
    "Lighting": ["Lamp", "Lantern", "Bulb", "Sconce"],
    "Textiles": ["Blanket", "Cushion", "Towel", "Rug"],
    "Tools": ["Spade", "Rake", "Shears", "Trowel"],
    "Plants": ["Fern", "Cactus", "Olive Tree", "Basil"],
    "Stationery": ["Notebook", "Pen", "Pencil Case", "Stapler"],
    "Desks": ["Desk", "Chair", "Shelf", "Monitor Stand"],
    "Camping": ["Tent", "Sleeping Bag", "Stove", "Backpack"],
    "Cycling": ["Helmet", "Bike Light", "Pump", "Bell"],
}
PALETTE = ["#0b5cad", "#1d6b35", "#8a4b00", "#a4161a", "#5b2a86", "#00707a", "#4a5560", "#b35c00"]


def seed_demo(products: int, progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Ensure the demo categories and the first `products` demo products exist. Returns what was added."""
    if not 0 <= products <= MAX_PRODUCTS:
        raise ValueError(f"--products must be between 0 and {MAX_PRODUCTS}")
    leaves = _ensure_categories()
    images = _ensure_palette()
    existing = set(Product.objects.filter(sku__startswith="DEMO-").values_list("sku", flat=True))
    wanted = [i for i in range(1, products + 1) if _sku(i) not in existing]
    if progress:
        progress(products - len(wanted))
    added = 0
    for start in range(0, len(wanted), BATCH):
        chunk = wanted[start : start + BATCH]
        with transaction.atomic():
            created = Product.objects.bulk_create([_product(i, leaves) for i in chunk], batch_size=BATCH)
            # PostgreSQL and SQLite both return the new primary keys from bulk_create.
            ProductImage.objects.bulk_create(
                [_image(p, i, images) for p, i in zip(created, chunk, strict=True)], batch_size=BATCH
            )
        added += len(chunk)
        if progress:
            progress(len(chunk))
    if added:
        # Fresh planner statistics after a bulk load, so the storefront's indexes get used at once.
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Product._meta.db_table}")  # noqa: S608 - our table name
            cursor.execute(f"ANALYZE {ProductImage._meta.db_table}")  # noqa: S608 - our table name
    return {"products_added": added, "products_total": Product.objects.filter(sku__startswith="DEMO-").count()}


def _sku(i: int) -> str:
    return f"DEMO-{i:06d}"


def _ensure_categories() -> list[Category]:
    leaves = []
    for position, (parent_name, children) in enumerate(CATEGORIES.items()):
        parent, _ = Category.objects.get_or_create(
            slug=parent_name.lower(), defaults={"name": parent_name, "position": position}
        )
        for child_position, child in enumerate(children):
            category, _ = Category.objects.get_or_create(
                slug=f"{parent.slug}-{child.lower()}",
                defaults={"name": child, "parent": parent, "position": child_position},
            )
            leaves.append(category)
    return leaves


def _product(i: int, leaves: list[Category]) -> Product:
    rng = random.Random(i)
    category = leaves[i % len(leaves)]
    kind = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS[category.name])}"
    name = f"{kind} {i}"
    return Product(
        sku=_sku(i),
        name=name,
        slug=f"{name.lower().replace(' ', '-')}",
        description=(
            f"A {kind.lower()} from our {category.name.lower()} range. "
            f"{rng.choice(['Made to last', 'Light and practical', 'Loved by our customers', 'Simple and useful'])}."
        ),
        price=money(Decimal(rng.randint(199, 49999)) / 100),
        stock=rng.choice([0, 1, 2, 3, 5, 8, 12, 25, 40, 100]),
        category=category,
        is_featured=i % 97 == 1,
    )


def _image(product: Product, i: int, images: list[tuple[str, str, str]]) -> ProductImage:
    original, thumbnail, display = images[i % len(images)]
    return ProductImage(
        product=product,
        image=original,
        thumbnail=thumbnail,
        display=display,
        alt_text=f"Photo of {product.name}",
        position=1,
        is_primary=True,
    )


def _ensure_palette() -> list[tuple[str, str, str]]:
    """One small original and its two renditions per colour, written once under MEDIA_ROOT."""
    names = []
    for n, colour in enumerate(PALETTE):
        paths = tuple(f"products/demo/demo-{n}-{kind}" for kind in ("original.png", "thumb.webp", "display.webp"))
        if not all(default_storage.exists(p) for p in paths):
            picture = Image.new("RGB", DISPLAY_SIZE, colour)
            draw = ImageDraw.Draw(picture)
            draw.ellipse((240, 240, 720, 720), fill="#ffffff")
            draw.rectangle((400, 400, 560, 560), fill=colour)
            png = io.BytesIO()
            picture.save(png, "PNG")
            thumb = picture.resize(THUMBNAIL_SIZE)
            for path, content in zip(
                paths, (ContentFile(png.getvalue()), _encode(thumb), _encode(picture)), strict=True
            ):
                if default_storage.exists(path):
                    default_storage.delete(path)
                default_storage.save(path, content)
        names.append(paths)
    return names
