"""Demo catalog for `manage.py seed_demo`: a home-and-living shop with categories two levels deep, product
types with attributes and variants, realistic names, descriptions and prices, and illustrated product images
drawn locally with Pillow (catalog/demo_art.py; nothing is downloaded).

Idempotent: categories and types are found by slug, products by SKU (DEMO-000001 …, TEE-000001 …); only what
is missing is added. Lamps come in three wattages; the T-shirts in sizes × colours (20 variants, one
combination left out and one sold out on some, so the storefront shows both). Pictures are shared: one per
illustration kind and colour (13 kinds × 4–6 colours), so 100,000 products need no more than 1,000 do.
"""

import hashlib
import io
import os
import random
import tempfile
from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils.text import slugify
from PIL import Image

from catalog import demo_art
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
from catalog.services import THUMBNAIL_SIZE, _encode
from pricing.services import tax_rates_ensure

MAX_PRODUCTS = 100_000
# Encoded illustrations, shared by every seeding on this machine; a change to the drawing code is a new folder.
ART_CACHE = (
    Path(os.environ.get("SHOP_DEMO_ART_CACHE", tempfile.gettempdir()))
    / f"shop-demo-art-{hashlib.sha256(Path(demo_art.__file__).read_bytes()).hexdigest()[:12]}"
)
BATCH = 2000
# A home-and-living shop: top category → its leaves → what each leaf sells, as
# (illustration, name pattern, (lowest, highest) price in euros, finishes, description).
CATALOG = {
    "Lighting": {
        "Lamps": [
            (
                "lamp",
                "{collection} {finish} Table Lamp",
                (49, 189),
                ["Brass", "Ceramic", "Oak", "Opal Glass", "Rattan"],
                "A {finish_lower} table lamp with a pleated linen shade that spreads a warm, even light across a "
                "bedside table or a desk. E27 fitting, 1.8 m fabric cable with an inline switch.",
            ),
            (
                "lamp",
                "{collection} {finish} Floor Lamp",
                (129, 349),
                ["Brass", "Walnut", "Matte Black", "Linen"],
                "A slender {finish_lower} floor lamp for reading corners: a wide shade at eye height and a "
                "weighted base that stays put. Foot switch, 2 m cable.",
            ),
        ],
        "Pendants": [
            (
                "pendant",
                "{collection} {finish} Pendant Light",
                (69, 229),
                ["Enamel", "Spun Aluminium", "Smoked Glass", "Paper"],
                "A {finish_lower} pendant that casts a pool of light over a dining table or a kitchen island. "
                "Height adjustable up to 1.5 m; ceiling rose included.",
            ),
        ],
        "Candles": [
            (
                "candle",
                "{collection} Scented Candle, {finish}",
                (18, 42),
                ["Fig & Cedar", "Sea Salt", "Amber", "Wild Mint"],
                "Hand-poured soy wax in a reusable glass with a cotton wick; {finish_lower} notes and around "
                "45 hours of slow, clean burning.",
            ),
        ],
    },
    "Textiles": {
        "Cushions": [
            (
                "cushion",
                "{collection} {finish} Cushion Cover",
                (24, 59),
                ["Linen", "Bouclé", "Velvet", "Washed Cotton"],
                "A {finish_lower} cushion cover, 50 × 50 cm, with a hidden zip and a stitched border. "
                "Feather or recycled-fibre inner sold separately; washable at 30 °C.",
            ),
        ],
        "Throws & blankets": [
            (
                "throw",
                "{collection} {finish} Throw",
                (59, 169),
                ["Wool", "Merino", "Cotton Waffle", "Alpaca Blend"],
                "A generous {finish_lower} throw, 130 × 180 cm, woven with a single contrast stripe. Warm on "
                "a sofa, light enough to fold over the end of a bed.",
            ),
        ],
        "Towels": [
            (
                "throw",
                "{collection} {finish} Bath Towel Set",
                (35, 89),
                ["Organic Cotton", "Linen", "Waffle", "Turkish Cotton"],
                "Two bath towels and two hand towels in thick {finish_lower}; they grow softer with every wash "
                "and dry quickly on a heated rail.",
            ),
        ],
    },
    "Kitchen & Dining": {
        "Mugs & cups": [
            (
                "mug",
                "{collection} {finish} Mug",
                (14, 29),
                ["Stoneware", "Speckled", "Enamel", "Porcelain"],
                "A hand-glazed {finish_lower} mug that holds 350 ml, with a handle sized for a whole hand. "
                "Dishwasher and microwave safe.",
            ),
        ],
        "Bowls & plates": [
            (
                "bowl",
                "{collection} {finish} Serving Bowl",
                (24, 79),
                ["Stoneware", "Terracotta", "Porcelain", "Reactive Glaze"],
                "A wide {finish_lower} serving bowl, 26 cm across, for salads, pasta and fruit. Each one is "
                "glazed by hand, so the colour varies a little from bowl to bowl.",
            ),
        ],
        "Storage jars": [
            (
                "jar",
                "{collection} Storage Jar with {finish}",
                (12, 39),
                ["Cork Lid", "Oak Lid", "Bamboo Lid", "Ash Lid"],
                "A borosilicate glass jar with a {finish_lower} and an airtight seal: coffee, pasta, oats and "
                "flour stay fresh and in sight. 1.2 litres.",
            ),
        ],
    },
    "Plants & Decor": {
        "Plants": [
            (
                "plant",
                "{finish} in a {collection} Pot",
                (19, 89),
                ["Monstera", "Calathea", "Pothos", "Rubber Plant", "Peace Lily"],
                "A healthy {finish_lower}, about 45 cm tall, grown in the Netherlands and delivered in a "
                "ceramic pot with a drainage saucer. Likes bright, indirect light.",
            ),
        ],
        "Vases": [
            (
                "vase",
                "{collection} {finish} Vase",
                (29, 119),
                ["Stoneware", "Recycled Glass", "Matte Ceramic", "Terracotta"],
                "A {finish_lower} bud vase with a narrow neck that holds a single stem or a small bunch "
                "upright. Watertight, 24 cm tall.",
            ),
        ],
    },
    "Stationery": {
        "Notebooks": [
            (
                "notebook",
                "{collection} {finish} Notebook",
                (12, 32),
                ["Linen-bound", "Recycled Leather", "Cloth", "Kraft"],
                "A {finish_lower} A5 notebook with 192 pages of 100 g/m² dotted paper that takes fountain pen "
                "without bleeding. Lies flat, with a ribbon marker and an elastic closure.",
            ),
        ],
        "Pens": [
            (
                "pen",
                "{collection} {finish} Fountain Pen",
                (24, 119),
                ["Brass", "Resin", "Aluminium", "Walnut"],
                "A balanced {finish_lower} fountain pen with a steel medium nib and a converter for bottled "
                "ink; two cartridges in the box.",
            ),
        ],
    },
}
# Names read "<collection> <finish> <noun>": the collection is the range the description mentions.
COLLECTIONS = [
    "Alba", "Birch", "Cove", "Dune", "Elm", "Fjord", "Harbour", "Isla", "Juniper", "Kestrel", "Linden",
    "Maren", "Nord", "Oakley", "Pebble", "Quill", "Rowan", "Saltmarsh", "Tidal", "Umber", "Vale", "Willow",
    "Yarrow", "Zephyr",
]  # fmt: skip
# The colours each illustration kind is drawn in; one picture per (kind, colour), shared by the products.
COLOURS = {
    "lamp": ["#c8553d", "#e3d5b8", "#2f5d62", "#d9a441"],
    "pendant": ["#2f5d62", "#c8553d", "#3b3b3b", "#e8e2d0"],
    "candle": ["#c9a37c", "#8fa7a0", "#b86b4b", "#e0d6c2"],
    "mug": ["#5b6c8f", "#c8553d", "#e8e2d0", "#4f7a5a"],
    "bowl": ["#c8553d", "#d9a441", "#5b6c8f", "#e8e2d0"],
    "vase": ["#2f5d62", "#c98b6b", "#e8e2d0", "#7a6a9a"],
    "cushion": ["#d9a441", "#7d8f69", "#c8553d", "#5b6c8f"],
    "throw": ["#5b6c8f", "#b86b4b", "#7d8f69", "#8c7b6b"],
    "notebook": ["#c8553d", "#2f5d62", "#3b3b3b", "#d9a441"],
    "pen": ["#2f5d62", "#3b3b3b", "#8a2b2b", "#5b6c8f"],
    "plant": ["#d9a441", "#c98b6b", "#e8e2d0", "#5b6c8f"],
    "tee": ["#5b6c8f", "#e8e2d0", "#3b3b3b", "#8a2b2b", "#7d8f69", "#c98b6b"],
    "jar": ["#c8553d", "#7d8f69", "#d9a441", "#8c7b6b"],
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
TEES = ["Organic Cotton Tee", "Everyday Tee", "Heavyweight Tee", "Breton Striped Tee", "Pocket Tee", "Slim Fit Tee"]


def seed_demo(products: int, progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Ensure the demo categories and the first `products` demo products exist. Returns what was added."""
    if not 0 <= products <= MAX_PRODUCTS:
        raise ValueError(f"--products must be between 0 and {MAX_PRODUCTS}")
    leaves = _ensure_categories()
    tax_rates_ensure({country: {"standard": s, "reduced": r, "zero": "0"} for country, (s, r) in TAX_RATES.items()})
    values = _ensure_types()
    _ensure_tees(values)
    existing = set(Product.objects.filter(sku__startswith="DEMO-").values_list("sku", flat=True))
    wanted = [i for i in range(1, products + 1) if _sku(i) not in existing]
    if progress:
        progress(products - len(wanted))
    added = 0
    for start in range(0, len(wanted), BATCH):
        chunk = wanted[start : start + BATCH]
        with transaction.atomic():
            made = [_product(i, leaves, values) for i in chunk]
            created = Product.objects.bulk_create([p for p, _ in made], batch_size=BATCH)
            # PostgreSQL and SQLite both return the new primary keys from bulk_create.
            ProductImage.objects.bulk_create(
                [
                    ProductImage(product=p, **_image_fields(p, *picture))
                    for p, (_, picture) in zip(created, made, strict=True)
                ],
                batch_size=BATCH,
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


def _ensure_categories() -> list[tuple[Category, list[tuple]]]:
    """The categories, two levels deep; [(leaf, what it sells)] in CATALOG's order."""
    leaves = []
    for position, (parent_name, children) in enumerate(CATALOG.items()):
        parent, _ = Category.objects.get_or_create(
            slug=slugify(parent_name), defaults={"name": parent_name, "position": position}
        )
        for child_position, (child, items) in enumerate(children.items()):
            category, _ = Category.objects.get_or_create(
                slug=slugify(child), defaults={"name": child, "parent": parent, "position": child_position}
            )
            leaves.append((category, items))
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


def _ensure_tees(values: dict) -> None:
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
                slug=slugify(name),
                description=(
                    f"Our {name.lower()}: cut from soft, breathable cotton jersey that keeps its shape wash after "
                    "wash, in five sizes and four colours. Part of our Everyday range."
                ),
                price=money(f"{rng.randint(19, 39)}.00"),
                category=category,
                product_type=tee["__type__"],
                is_featured=n == 1,
            )
            ProductImage.objects.create(product=product, **_image_fields(product, "tee", n - 1))
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


def _product(i: int, leaves: list[tuple[Category, list[tuple]]], values: dict) -> tuple[Product, tuple[str, int]]:
    """Demo product `i` and its picture (kind, colour): leaves take turns; within a leaf every
    (item, finish, collection) comes once before any comes again (then with a numbered slug)."""
    rng = random.Random(i)
    category, items = leaves[i % len(leaves)]
    combos = _combinations(category.slug, items)
    turn, cycle = divmod(i // len(leaves), len(combos))[::-1]
    kind, pattern, (low, high), finish, template, collection = combos[turn]
    name = pattern.format(collection=collection, finish=finish)
    finish_lower = finish.lower()
    article = "An" if finish_lower[0] in "aeiou" else "A"
    description = (
        template.replace("A {finish_lower}", f"{article} {{finish_lower}}")
        .replace("a {finish_lower}", f"{article.lower()} {{finish_lower}}")
        .format(finish_lower=finish_lower)
    )
    price = money(f"{rng.randint(low, high - 1)}.{rng.choice(['00', '50', '90', '95'])}")
    product = Product(
        product_type=values["Lamp"]["__type__"] if kind == "lamp" else None,
        sku=_sku(i),
        name=name,
        slug=slugify(name) + (f"-{cycle + 1}" if cycle else ""),
        description=f"{description} Part of our {collection} range.",
        price=price,
        # Every 13th product is on sale, a fifth off, with no end date.
        sale_price=money_round(price * Decimal("0.8")) if i % 13 == 5 else None,
        tax_class_id="reduced" if category.name in REDUCED_CATEGORIES else "standard",
        category=category,
        is_featured=i % 97 == 1,
    )
    return product, (kind, (i // len(leaves)) % len(COLOURS[kind]))


@lru_cache(maxsize=64)
def _combinations_cached(slug: str, items: tuple) -> list[tuple]:
    combos = [
        (kind, pattern, prices, finish, template, collection)
        for kind, pattern, prices, finishes, template in items
        for finish in finishes
        for collection in COLLECTIONS
    ]
    random.Random(slug).shuffle(combos)
    return combos


def _combinations(slug: str, items: list[tuple]) -> list[tuple]:
    return _combinations_cached(slug, tuple((k, p, r, tuple(f), t) for k, p, r, f, t in items))


def _image_fields(product: Product, kind: str, colour: int) -> dict:
    original, thumbnail, display = _picture(kind, colour)
    return {
        "image": original,
        "thumbnail": thumbnail,
        "display": display,
        "alt_text": product.name,
        "position": 1,
        "is_primary": True,
    }


def _picture(kind: str, colour: int) -> tuple[str, str, str]:
    """The storage names of one illustration (original, thumbnail, display), written under MEDIA_ROOT if
    missing. Drawn once per machine: the encoded files are kept in ART_CACHE, keyed by the drawing code."""
    paths = tuple(f"products/demo/{kind}-{colour}-{name}" for name in ("original.jpg", "thumb.webp", "display.webp"))
    if all(default_storage.exists(p) for p in paths):
        return paths
    cached = [ART_CACHE / Path(p).name for p in paths]
    if not all(f.exists() for f in cached):
        picture = demo_art.picture(kind, COLOURS[kind][colour], backdrop=colour)
        original = io.BytesIO()
        picture.save(original, "JPEG", quality=88)
        thumb = picture.resize(THUMBNAIL_SIZE, Image.Resampling.LANCZOS)
        ART_CACHE.mkdir(parents=True, exist_ok=True)
        for file, content in zip(
            cached, (original.getvalue(), _encode(thumb).read(), _encode(picture).read()), strict=True
        ):
            partial = file.with_suffix(f".{os.getpid()}.part")
            partial.write_bytes(content)
            partial.replace(file)  # atomic: a parallel seeding never reads half a file
    for path, file in zip(paths, cached, strict=True):
        if default_storage.exists(path):
            default_storage.delete(path)
        default_storage.save(path, ContentFile(file.read_bytes()))
    return paths
