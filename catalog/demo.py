"""Demo catalog for `manage.py seed_demo`: categories, product types, products with their variants and small
generated images (no network).

Idempotent: categories and types are found by slug, products by SKU (DEMO-000001 …, TEE-000001 …); only what
is missing is added. Lamps come in three wattages; the T-shirts in sizes × colours (20 variants, one
combination left out and one sold out on some, so the storefront shows both). Images are a small palette
made once with Pillow and shared by the demo products.
"""

import io
import random
from collections.abc import Callable
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from PIL import Image, ImageDraw

from catalog.models import (
    Attribute,
    AttributeChoice,
    Category,
    Option,
    OptionValue,
    Product,
    ProductAttributeValue,
    ProductImage,
    ProductType,
    ProductVariant,
)
from catalog.money import money, money_round
from catalog.services import DISPLAY_SIZE, THUMBNAIL_SIZE, _encode
from pricing.services import tax_rates_ensure

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
TYPES = {
    "T-shirt": {"Size": ["XS", "S", "M", "L", "XL"], "Colour": ["White", "Black", "Blue", "Red"]},
    "Lamp": {"Wattage": ["40 W", "60 W", "100 W"]},
}
# (name, kind, unit, facetable, choices) per type: the specification table and the facets.
ATTRIBUTES = {
    "T-shirt": [
        ("Material", "choice", "", True, ["Cotton", "Organic cotton", "Cotton and linen"]),
        ("Fit", "choice", "", True, ["Regular", "Slim"]),
        ("Weight", "number", "g/m²", False, []),
    ],
    "Lamp": [
        ("Colour temperature", "number", "K", False, []),
        ("Light", "choice", "", True, ["Warm white", "Neutral white"]),
        ("Dimmable", "boolean", "", True, []),
    ],
}
# Standard and reduced VAT in percent (zero-rated goods are 0 everywhere); plants are reduced-rate goods.
TAX_RATES = {
    "DE": ("19", "7"),
    "FR": ("20", "5.5"),
    "AT": ("20", "10"),
    "NL": ("21", "9"),
    "BE": ("21", "6"),
    "IT": ("22", "10"),
    "ES": ("21", "10"),
}
REDUCED_CATEGORIES = {"Plants"}
TEES = ["Organic Cotton Tee", "Everyday Tee", "Heavy Tee", "Striped Tee", "Pocket Tee", "Slim Tee"]
PALETTE = ["#0b5cad", "#1d6b35", "#8a4b00", "#a4161a", "#5b2a86", "#00707a", "#4a5560", "#b35c00"]


def seed_demo(products: int, progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Ensure the demo categories and the first `products` demo products exist. Returns what was added."""
    if not 0 <= products <= MAX_PRODUCTS:
        raise ValueError(f"--products must be between 0 and {MAX_PRODUCTS}")
    leaves = _ensure_categories()
    tax_rates_ensure({country: {"standard": s, "reduced": r, "zero": "0"} for country, (s, r) in TAX_RATES.items()})
    images = _ensure_palette()
    values = _ensure_types()
    _ensure_tees(values, images)
    existing = set(Product.objects.filter(sku__startswith="DEMO-").values_list("sku", flat=True))
    wanted = [i for i in range(1, products + 1) if _sku(i) not in existing]
    if progress:
        progress(products - len(wanted))
    added = 0
    for start in range(0, len(wanted), BATCH):
        chunk = wanted[start : start + BATCH]
        with transaction.atomic():
            created = Product.objects.bulk_create([_product(i, leaves, values) for i in chunk], batch_size=BATCH)
            # PostgreSQL and SQLite both return the new primary keys from bulk_create.
            ProductImage.objects.bulk_create(
                [_image(p, i, images) for p, i in zip(created, chunk, strict=True)], batch_size=BATCH
            )
            _variants_create([v for p, i in zip(created, chunk, strict=True) for v in _variants(p, i, values)])
            ProductAttributeValue.objects.bulk_create(
                [v for p, i in zip(created, chunk, strict=True) if p.product_type_id for v in _specs(p, i, values)],
                batch_size=BATCH,
            )
        added += len(chunk)
        if progress:
            progress(len(chunk))
    if added:
        # Fresh planner statistics after a bulk load, so the storefront's indexes get used at once.
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Product._meta.db_table}")  # noqa: S608 - our table name
            cursor.execute(f"ANALYZE {ProductImage._meta.db_table}")  # noqa: S608 - our table name
            cursor.execute(f"ANALYZE {ProductVariant._meta.db_table}")  # noqa: S608 - our table name
            cursor.execute(f"ANALYZE {ProductVariant.option_values.through._meta.db_table}")  # noqa: S608 - ours
            cursor.execute(f"ANALYZE {ProductAttributeValue._meta.db_table}")  # noqa: S608 - our table name
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


def _ensure_types() -> dict[str, dict[str, OptionValue]]:
    """The demo product types with their options; {type name: {value: OptionValue}}."""
    out = {}
    for type_name, options in TYPES.items():
        product_type, _ = ProductType.objects.get_or_create(slug=type_name.lower(), defaults={"name": type_name})
        out[type_name] = {}
        for position, (option_name, values) in enumerate(options.items()):
            option, _ = Option.objects.get_or_create(
                product_type=product_type, name=option_name, defaults={"position": position}
            )
            for value_position, value in enumerate(values):
                found, _ = OptionValue.objects.get_or_create(
                    option=option, value=value, defaults={"position": value_position}
                )
                out[type_name][value] = found
        out[type_name]["__type__"] = product_type
        for position, (name, kind, unit, facetable, choices) in enumerate(ATTRIBUTES[type_name]):
            attribute, _ = Attribute.objects.get_or_create(
                product_type=product_type,
                name=name,
                defaults={"kind": kind, "unit": unit, "is_facetable": facetable, "position": position},
            )
            out[type_name][f"@{name}"] = attribute
            for choice_position, value in enumerate(choices):
                choice, _ = AttributeChoice.objects.get_or_create(
                    attribute=attribute, value=value, defaults={"position": choice_position}
                )
                out[type_name][f"@{name}={value}"] = choice
    return out


def _specs(product: Product, seed, values: dict) -> list[ProductAttributeValue]:
    """Demo values of the product type's attributes."""
    rng = random.Random(f"specs{seed}")
    type_name = "T-shirt" if product.sku.startswith("TEE-") else "Lamp"
    kinds = values[type_name]
    out = []
    for name, kind, _unit, _facetable, choices in ATTRIBUTES[type_name]:
        attribute = kinds[f"@{name}"]
        value = ProductAttributeValue(product=product, attribute=attribute)
        if kind == "choice":
            value.value_choice = kinds[f"@{name}={rng.choice(choices)}"]
        elif kind == "boolean":
            value.value_bool = rng.random() < 0.5
        elif name == "Weight":
            value.value_number = Decimal(rng.choice([140, 160, 180, 220]))
        else:
            value.value_number = Decimal(rng.choice([2700, 3000, 4000]))
        out.append(value)
    return out


def _ensure_tees(values: dict, images: list[tuple[str, str, str]]) -> None:
    """Six T-shirts in five sizes × four colours (the first has all 20 variants)."""
    parent, _ = Category.objects.get_or_create(slug="clothing", defaults={"name": "Clothing", "position": 10})
    category, _ = Category.objects.get_or_create(
        slug="clothing-t-shirts", defaults={"name": "T-shirts", "parent": parent, "position": 0}
    )
    tee = values["T-shirt"]
    existing = set(Product.objects.filter(sku__startswith="TEE-").values_list("sku", flat=True))
    for n, name in enumerate(TEES, start=1):
        sku = f"TEE-{n:06d}"
        if sku in existing:
            continue
        rng = random.Random(f"tee{n}")
        with transaction.atomic():
            product = Product.objects.create(
                sku=sku,
                name=name,
                slug=f"{name.lower().replace(' ', '-')}-{n}",
                description=f"A {name.lower()} in five sizes and four colours. Soft, breathable cotton.",
                price=money(Decimal(rng.randint(1500, 3500)) / 100),
                category=category,
                product_type=tee["__type__"],
                is_featured=n == 1,
            )
            ProductImage.objects.create(product=product, **_image_fields(product, n, images))
            ProductAttributeValue.objects.bulk_create(_specs(product, n, values))
            variants = []
            for s_pos, size in enumerate(TYPES["T-shirt"]["Size"]):
                for c_pos, colour in enumerate(TYPES["T-shirt"]["Colour"]):
                    if n > 1 and (size, colour) == ("XS", "Red"):
                        continue  # not made: the picker shows the combination as unavailable
                    stock = 0 if (size, colour) == ("XL", "Blue") else rng.choice([2, 5, 10, 25])
                    variants.append(
                        (
                            ProductVariant(
                                product=product,
                                sku=f"{sku}-{size}-{colour[:3].upper()}",
                                stock=stock,
                                price_override=product.price + 2 if size == "XL" else None,
                                weight_grams=150 + 10 * s_pos,
                                position=s_pos * 10 + c_pos,
                                label=f"{size} / {colour}",
                            ),
                            [tee[size], tee[colour]],
                        )
                    )
            _variants_create(variants)


def _variants(product: Product, i: int, values: dict) -> list[tuple[ProductVariant, list[OptionValue]]]:
    """A lamp comes in three wattages (the strongest costs more); anything else is its one default variant."""
    rng = random.Random(f"stock{i}")
    if product.product_type_id is None:
        return [(ProductVariant(product=product, sku=product.sku, stock=rng.choice(STOCKS)), [])]
    lamp = values["Lamp"]
    return [
        (
            ProductVariant(
                product=product,
                sku=f"{product.sku}-{watts.replace(' ', '')}",
                stock=rng.choice(STOCKS),
                price_override=product.price + 5 if watts == "100 W" else None,
                weight_grams=800,
                position=position,
                label=watts,
            ),
            [lamp[watts]],
        )
        for position, watts in enumerate(TYPES["Lamp"]["Wattage"])
    ]


def _variants_create(variants: list[tuple[ProductVariant, list[OptionValue]]]) -> None:
    created = ProductVariant.objects.bulk_create([v for v, _ in variants], batch_size=BATCH)
    through = ProductVariant.option_values.through
    through.objects.bulk_create(
        [
            through(productvariant_id=v.pk, optionvalue_id=value.pk)
            for v, (_, chosen) in zip(created, variants, strict=True)
            for value in chosen
        ],
        batch_size=BATCH,
    )


STOCKS = [0, 1, 2, 3, 5, 8, 12, 25, 40, 100]


def _product(i: int, leaves: list[Category], values: dict) -> Product:
    rng = random.Random(i)
    category = leaves[i % len(leaves)]
    adjective = rng.choice(ADJECTIVES)  # drawn first: the demo names stay what they were
    noun = rng.choice(NOUNS[category.name])
    kind = f"{adjective} {noun}"
    name = f"{kind} {i}"
    price = money(Decimal(rng.randint(199, 49999)) / 100)
    return Product(
        product_type=values["Lamp"]["__type__"] if noun == "Lamp" else None,
        sku=_sku(i),
        name=name,
        slug=f"{name.lower().replace(' ', '-')}",
        description=(
            f"A {kind.lower()} from our {category.name.lower()} range. "
            f"{rng.choice(['Made to last', 'Light and practical', 'Loved by our customers', 'Simple and useful'])}."
        ),
        price=price,
        # Every 13th product is on sale, a fifth off, with no end date.
        sale_price=money_round(price * Decimal("0.8")) if i % 13 == 5 else None,
        tax_class_id="reduced" if category.name in REDUCED_CATEGORIES else "standard",
        category=category,
        is_featured=i % 97 == 1,
    )


def _image(product: Product, i: int, images: list[tuple[str, str, str]]) -> ProductImage:
    return ProductImage(product=product, **_image_fields(product, i, images))


def _image_fields(product: Product, i: int, images: list[tuple[str, str, str]]) -> dict:
    original, thumbnail, display = images[i % len(images)]
    return {
        "image": original,
        "thumbnail": thumbnail,
        "display": display,
        "alt_text": f"Photo of {product.name}",
        "position": 1,
        "is_primary": True,
    }


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
