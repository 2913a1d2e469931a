"""Writes to the catalog: archive and restore, images and their renditions, CSV import.

Every write here bumps `updated_at` on what it changes, which is what invalidates the cached storefront
fragments (catalog.selectors.catalog_version).
"""

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import validate_slug
from django.db import IntegrityError, transaction
from django.db.models import F, Prefetch, QuerySet, Value
from django.db.models.functions import Greatest, Now
from django.utils import timezone
from django.utils.text import slugify
from PIL import Image, ImageOps, UnidentifiedImageError

from catalog.models import (
    Category,
    CategoryOldSlug,
    Option,
    OptionValue,
    Product,
    ProductImage,
    ProductOldSlug,
    ProductType,
    ProductVariant,
)
from catalog.money import InvalidMoney, money
from pricing.models import TaxClass

THUMBNAIL_SIZE = (320, 320)
DISPLAY_SIZE = (960, 960)
RENDITION_FORMAT, RENDITION_EXT, RENDITION_QUALITY = "WEBP", "webp", 80


class CatalogError(Exception):
    """A catalog operation was refused; the message is for the person who asked."""


# --- Archive / restore ---------------------------------------------------------------------------


def product_archive(products: QuerySet[Product]) -> int:
    """Hide products from the storefront and search; orders keep referring to them. Returns how many changed."""
    return _set_archived(products, archived=True)


def product_restore(products: QuerySet[Product]) -> int:
    """Put archived products back on the storefront. Returns how many changed."""
    return _set_archived(products, archived=False)


def _set_archived(products: QuerySet[Product], *, archived: bool) -> int:
    from api.webhooks import events_emit

    with transaction.atomic():
        ids = list(products.filter(is_archived=not archived).values_list("pk", flat=True))
        changed = Product.objects.filter(pk__in=ids, is_archived=not archived).update(
            is_archived=archived, archived_at=Now() if archived else None, updated_at=Now()
        )
        if changed:
            changed_products = Product.objects.filter(pk__in=ids).prefetch_related("variants")
            events_emit("product.updated", [product_payload(p) for p in changed_products])
    return changed


# --- Images --------------------------------------------------------------------------------------


def product_image_add(
    product: Product, file, *, alt_text: str = "", position: int | None = None, primary: bool = False
) -> ProductImage:
    """Attach an uploaded image to a product and make its display renditions."""
    if position is None:
        position = (product.images.order_by("-position").values_list("position", flat=True).first() or 0) + 1
    image = ProductImage(product=product, image=file, alt_text=alt_text, position=position)
    return product_image_save(image, primary=primary)


@transaction.atomic
def product_image_save(image: ProductImage, *, primary: bool | None = None) -> ProductImage:
    """Save an image (new or changed), render it when its original changed, and keep one primary per product."""
    if primary:
        ProductImage.objects.filter(product_id=image.product_id, is_primary=True).exclude(pk=image.pk).update(
            is_primary=False
        )
        image.is_primary = True
    fresh_upload = bool(image.image) and not image.image._committed
    if fresh_upload:
        # Store the original first, so the renditions are made from the stored file.
        image.image.save(PurePath(image.image.name).name, image.image.file, save=False)
    if not image.thumbnail or not image.display or _original_changed(image):
        try:
            product_image_render(image)
        except CatalogError:
            if fresh_upload:
                image.image.delete(save=False)
            raise
    image.save()
    product_images_ensure_primary(image.product_id)
    return image


def _original_changed(image: ProductImage) -> bool:
    if image.pk is None:
        return True
    stored = ProductImage.objects.filter(pk=image.pk).values_list("image", flat=True).first()
    return stored != image.image.name


def product_image_render(image: ProductImage) -> None:
    """Make the list thumbnail (square crop) and the detail size (fits in a box) as WebP. Does not save the row."""
    try:
        image.image.open("rb")
        with Image.open(image.image) as original:
            original = ImageOps.exif_transpose(original).convert("RGB")
            stem = PurePath(image.image.name).stem
            thumb = ImageOps.fit(original, THUMBNAIL_SIZE, method=Image.Resampling.LANCZOS)
            display = original.copy()
            display.thumbnail(DISPLAY_SIZE, Image.Resampling.LANCZOS)
    except (UnidentifiedImageError, OSError) as exc:
        raise CatalogError(f"{image.image.name} is not an image Pillow can read: {exc}") from exc
    finally:
        image.image.close()
    image.thumbnail.save(f"{stem}-thumb.{RENDITION_EXT}", _encode(thumb), save=False)
    image.display.save(f"{stem}-display.{RENDITION_EXT}", _encode(display), save=False)


def _encode(picture: Image.Image) -> ContentFile:
    buffer = io.BytesIO()
    picture.save(buffer, RENDITION_FORMAT, quality=RENDITION_QUALITY)
    return ContentFile(buffer.getvalue())


def product_images_ensure_primary(product_id: int) -> None:
    """A product with images has exactly one primary: the first by position when none is marked."""
    images = ProductImage.objects.filter(product_id=product_id)
    if images.exists() and not images.filter(is_primary=True).exists():
        first = images.order_by("position", "pk").first()
        images.filter(pk=first.pk).update(is_primary=True)
    Product.objects.filter(pk=product_id).update(updated_at=Now())


# --- CSV import ----------------------------------------------------------------------------------

# One row per variant. Rows with the same `product_sku` are one product (its columns must agree);
# without `product_sku` a row is a product of one variant whose SKU is the product's too.
CSV_COLUMNS = [
    "sku",
    "product_sku",
    "name",
    "slug",
    "category",
    "product_type",
    "options",
    "price",
    "variant_price",
    "stock",
    "weight_grams",
    "description",
    "archived",
    "tax_class",
    "variant_tax_class",
]
REQUIRED_COLUMNS = {"sku", "name", "category", "price", "stock"}
PRODUCT_COLUMNS = ("name", "slug", "category", "product_type", "price", "description", "archived", "tax_class")


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)
    applied: bool = False
    # The file itself is unusable (encoding, header, CSV syntax): nothing applies, even with skip_invalid.
    fatal: bool = False


@dataclass
class _Row:
    line: int
    values: dict


def products_import(
    raw: bytes,
    *,
    dry_run: bool = False,
    skip_invalid: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Create or update products and their variants by SKU from CSV bytes (UTF-8, header row of CSV_COLUMNS).

    All or nothing: one bad row and nothing is applied, unless `skip_invalid`, which applies the good
    rows and reports the bad ones as skipped. `dry_run` validates and reports without writing. Counts
    are of variant rows. Options ("Size=M; Colour=Blue") missing from the product type are added to it.
    """
    result = ImportResult()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        result.errors.append(f"line {line}: not UTF-8 text (byte {exc.object[exc.start]:#04x}); save the file as UTF-8")
        result.fatal = True
        return result
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = REQUIRED_COLUMNS - set(header)
    unknown = set(header) - set(CSV_COLUMNS)
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"missing column(s): {', '.join(sorted(missing))}")
        if unknown:
            parts.append(f"unknown column(s): {', '.join(sorted(unknown))}")
        result.errors.append(f"line 1: wrong header ({'; '.join(parts)}); expected {','.join(CSV_COLUMNS)}")
        result.fatal = True
        return result
    reader.fieldnames = header

    categories = {c.slug: c for c in Category.objects.all()}
    types = {t.slug: t for t in ProductType.objects.all()}
    tax_classes = set(TaxClass.objects.values_list("code", flat=True))
    variant_owner = dict(ProductVariant.objects.values_list("sku", "product__sku"))
    slug_owner = dict(Product.objects.values_list("slug", "sku"))
    seen_skus: dict[str, int] = {}
    first_of_product: dict[str, _Row] = {}
    good: list[_Row] = []
    try:
        for row in reader:
            line = reader.line_num
            if progress:
                progress(1)
            errors, values = _validate_row(row, categories, types, tax_classes)
            sku, product_sku = values.get("sku"), values.get("product_sku")
            if sku:
                if sku in seen_skus:
                    errors.append(f"duplicate SKU {sku!r} (first on line {seen_skus[sku]})")
                else:
                    seen_skus[sku] = line
                if variant_owner.get(sku, product_sku) != product_sku:
                    errors.append(f"SKU {sku!r} is a variant of product {variant_owner[sku]!r}")
            slug = values.get("slug")
            if slug and slug_owner.get(slug, product_sku) != product_sku:
                errors.append(f"slug {slug!r} already belongs to SKU {slug_owner[slug]!r}")
            first = first_of_product.get(product_sku) if product_sku else None
            if first is not None and not errors:
                differ = [c for c in PRODUCT_COLUMNS if first.values[c] != values[c]]
                if differ:
                    errors.append(
                        f"{', '.join(differ)} differ(s) from line {first.line} of the same product {product_sku!r}"
                    )
            if errors:
                result.errors.extend(f"line {line}: {e}" for e in errors)
                result.skipped += 1
                continue
            slug_owner[values["slug"]] = product_sku
            good.append(_Row(line, values))
            first_of_product.setdefault(product_sku, good[-1])
    except csv.Error as exc:
        result.errors.append(f"line {reader.line_num}: unreadable CSV ({exc})")
        result.fatal = True
        return result

    # Counted before the all-or-nothing check too: what the good rows would do once the bad ones are fixed.
    for row in good:
        if row.values["sku"] in variant_owner:
            result.updated += 1
        else:
            result.created += 1
    if dry_run or (result.errors and not skip_invalid):
        return result
    try:
        _apply(good)
    except IntegrityError as exc:
        # Another writer got in between validation and the write: nothing was applied.
        result.errors.append(f"the database refused the import, nothing was applied: {exc}")
        result.created = result.updated = 0
        result.fatal = True
        return result
    result.applied = True
    return result


def _validate_row(
    row: dict, categories: dict[str, Category], types: dict[str, ProductType], tax_classes: set[str]
) -> tuple[list[str], dict]:
    errors: list[str] = []
    if None in row:
        errors.append("more fields than the header has")
    values = {k: (v or "").strip() for k, v in row.items() if k is not None}
    # Tax classes: an empty `tax_class` keeps a product's (standard for a new one); a file without the
    # `variant_tax_class` column keeps the variants' own, an empty cell clears it (the product's applies).
    keep_variant_tax_class = "variant_tax_class" not in values
    for column in CSV_COLUMNS:
        values.setdefault(column, "")
    sku_max = ProductVariant._meta.get_field("sku").max_length
    if not values["sku"]:
        errors.append("sku is empty")
    elif len(values["sku"]) > sku_max:
        errors.append(f"sku is longer than {sku_max} characters")
    values["product_sku"] = values["product_sku"] or values["sku"]
    if len(values["product_sku"]) > sku_max:
        errors.append(f"product_sku is longer than {sku_max} characters")
    if not values["name"]:
        errors.append("name is empty")
    elif len(values["name"]) > Product._meta.get_field("name").max_length:
        errors.append("name is longer than 200 characters")
    values["slug"] = values["slug"] or slugify(values["name"])[:200] or slugify(values["product_sku"])
    try:
        validate_slug(values["slug"])
    except ValidationError:
        errors.append(f"slug {values['slug']!r} may only contain letters, numbers, hyphens and underscores")
    try:
        values["price"] = money(values["price"])
    except InvalidMoney as exc:
        errors.append(f"bad price: {exc}")
    if values["variant_price"]:
        try:
            values["variant_price"] = money(values["variant_price"])
        except InvalidMoney as exc:
            errors.append(f"bad variant_price: {exc}")
    else:
        values["variant_price"] = None
    values["stock"] = _whole(values["stock"], "stock", errors)
    values["weight_grams"] = _whole(values["weight_grams"], "weight_grams", errors) if values["weight_grams"] else None
    category = categories.get(values["category"])
    if category is None:
        errors.append(f"unknown category {values['category']!r} (use a category slug that exists)")
    values["category"] = category
    product_type = types.get(values["product_type"]) if values["product_type"] else None
    if values["product_type"] and product_type is None:
        errors.append(f"unknown product type {values['product_type']!r} (use a product type slug that exists)")
    values["product_type"] = product_type
    values["options"], option_errors = _parse_options(values["options"])
    errors.extend(option_errors)
    if values["options"] and product_type is None and not errors:
        errors.append("options need a product_type")
    archived = values["archived"].lower()
    if archived not in ("", "0", "1", "true", "false", "yes", "no"):
        errors.append(f"bad archived value {archived!r}: use 0 or 1")
    values["archived"] = archived in ("1", "true", "yes")
    for column in ("tax_class", "variant_tax_class"):
        if values[column] and values[column] not in tax_classes:
            errors.append(f"unknown {column} {values[column]!r} (use one of {', '.join(sorted(tax_classes))})")
    if keep_variant_tax_class:
        values["variant_tax_class"] = None
    return errors, values


def _whole(text: str, column: str, errors: list[str]) -> int | None:
    try:
        number = int(text)
    except ValueError:
        errors.append(f"bad {column} {text!r}: a whole number 0 or more is needed")
        return None
    if number < 0:
        errors.append(f"negative {column} {number}; {column} must be 0 or more")
    elif number > 2**31 - 1:
        errors.append(f"{column} {number} is too large")
    return number


def _parse_options(text: str) -> tuple[list[tuple[str, str]], list[str]]:
    """ "Size=M; Colour=Blue" → [("Size", "M"), ("Colour", "Blue")], in the order written."""
    pairs, errors = [], []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        name, sep, value = (x.strip() for x in part.partition("="))
        if not sep or not name or not value:
            errors.append(f"bad option {part!r}: write Name=Value, separated by ';'")
        elif len(name) > 60 or len(value) > 60:
            errors.append(f"option {part!r} is longer than 60 characters")
        elif name in dict(pairs):
            errors.append(f"option {name!r} is given twice")
        else:
            pairs.append((name, value))
    return pairs, errors


def _options_text(variant: ProductVariant) -> str:
    values = sorted(variant.option_values.all(), key=lambda v: (v.option.position, v.option_id))
    return "; ".join(f"{v.option.name}={v.value}" for v in values)


@transaction.atomic
def _apply(rows: list[_Row]) -> None:
    now = timezone.now()
    by_product: dict[str, list[_Row]] = {}
    for row in rows:
        by_product.setdefault(row.values["product_sku"], []).append(row)
    existing = {p.sku: p for p in Product.objects.filter(sku__in=by_product)}
    to_create, to_update = [], []
    for product_sku, product_rows in by_product.items():
        v = product_rows[0].values
        product = existing.get(product_sku) or Product(sku=product_sku)
        product.name, product.slug, product.category = v["name"], v["slug"], v["category"]
        product.product_type, product.price, product.description = v["product_type"], v["price"], v["description"]
        if v["tax_class"]:
            product.tax_class_id = v["tax_class"]
        if product.is_archived != v["archived"] or product.pk is None:
            product.is_archived = v["archived"]
            product.archived_at = now if v["archived"] else None
        product.updated_at = now
        (to_update if product.pk else to_create).append(product)
    fields = [
        "name",
        "slug",
        "category",
        "product_type",
        "price",
        "tax_class",
        "description",
        "is_archived",
        "archived_at",
    ]
    Product.objects.bulk_update(to_update, [*fields, "updated_at"], batch_size=1000)
    Product.objects.bulk_create(to_create, batch_size=1000)
    products = {p.sku: p for p in [*to_update, *to_create]}

    variants = {v.sku: v for v in ProductVariant.objects.filter(sku__in=[r.values["sku"] for r in rows])}
    values_of: dict[str, list[OptionValue]] = {}
    option_cache: dict[tuple[int, str], Option] = {}
    value_cache: dict[tuple[int, str], OptionValue] = {}
    new_variants, changed_variants = [], []
    for position, row in enumerate(rows):
        v = row.values
        product = products[v["product_sku"]]
        variant = variants.get(v["sku"]) or ProductVariant(sku=v["sku"], product=product, position=position)
        variant.price_override, variant.stock, variant.weight_grams = v["variant_price"], v["stock"], v["weight_grams"]
        if v["variant_tax_class"] is not None:
            variant.tax_class_id = v["variant_tax_class"] or None
        variant.updated_at = now
        (changed_variants if variant.pk else new_variants).append(variant)
        values_of[v["sku"]] = [
            _option_value(product.product_type, name, value, option_cache, value_cache) for name, value in v["options"]
        ]
    ProductVariant.objects.bulk_update(
        changed_variants, ["price_override", "stock", "weight_grams", "tax_class", "updated_at"], batch_size=1000
    )
    ProductVariant.objects.bulk_create(new_variants, batch_size=1000)
    through = ProductVariant.option_values.through
    all_variants = [*changed_variants, *new_variants]
    through.objects.filter(productvariant_id__in=[v.pk for v in all_variants]).delete()
    through.objects.bulk_create(
        [
            through(productvariant_id=variant.pk, optionvalue_id=value.pk)
            for variant in all_variants
            for value in values_of[variant.sku]
        ],
        batch_size=1000,
    )
    variant_labels_refresh([p.pk for p in products.values()])


def _option_value(product_type, name: str, value: str, options: dict, values: dict) -> OptionValue:
    option = options.get((product_type.pk, name))
    if option is None:
        option, _ = Option.objects.get_or_create(product_type=product_type, name=name)
        options[(product_type.pk, name)] = option
    found = values.get((option.pk, value))
    if found is None:
        found, _ = OptionValue.objects.get_or_create(option=option, value=value)
        values[(option.pk, value)] = found
    return found


def products_export(stream: io.TextIOBase, products: QuerySet[Product] | None = None) -> int:
    """Write one row per variant as CSV that products_import reads back unchanged. Returns the row count."""
    writer = csv.writer(stream)
    writer.writerow(CSV_COLUMNS)
    count = 0
    product_ids = products.values("pk") if products is not None else Product.objects.values("pk")
    queryset = (
        ProductVariant.objects.filter(product_id__in=product_ids)
        .select_related("product__category", "product__product_type")
        .prefetch_related(Prefetch("option_values", queryset=OptionValue.objects.select_related("option")))
        .order_by("product__sku", "position", "pk")
    )
    for variant in queryset.iterator(chunk_size=2000):
        p = variant.product
        writer.writerow(
            [
                variant.sku,
                "" if variant.sku == p.sku else p.sku,
                p.name,
                p.slug,
                p.category.slug,
                p.product_type.slug if p.product_type else "",
                _options_text(variant),
                p.price,
                "" if variant.price_override is None else variant.price_override,
                variant.stock,
                "" if variant.weight_grams is None else variant.weight_grams,
                p.description,
                "1" if p.is_archived else "0",
                p.tax_class_id,
                variant.tax_class_id or "",
            ]
        )
        count += 1
    return count


def variant_labels_refresh(product_ids: list[int]) -> None:
    """Write each variant's `label` ("M / Blue") from its option values, in option order; touches the variants."""
    variants = list(
        ProductVariant.objects.filter(product_id__in=product_ids).prefetch_related(
            Prefetch("option_values", queryset=OptionValue.objects.select_related("option"))
        )
    )
    now = timezone.now()
    for variant in variants:
        values = sorted(variant.option_values.all(), key=lambda v: (v.option.position, v.option_id, v.position))
        variant.label = " / ".join(v.value for v in values)
        variant.updated_at = now
    ProductVariant.objects.bulk_update(variants, ["label", "updated_at"], batch_size=1000)


# --- Create and change one product (staff: the admin and the API) --------------------------------

PRODUCT_FIELDS = ("name", "slug", "sku", "description", "price", "category_id", "product_type_id", "is_featured")


def product_save(product: Product, data: dict) -> Product:
    """Create or change a product from cleaned values (PRODUCT_FIELDS, and `stock`); the model's rules decide.

    A new product gets its default variant (the product's SKU, `stock` units). `stock` on an existing
    product sets its only variant's; a product with several variants has stock per variant. A single
    variant that carried the product's SKU follows a SKU change. An empty slug is made from the name.
    Raises django.core.exceptions.ValidationError. Integrations subscribed to `product.updated` are told
    after commit.
    """
    from api.webhooks import event_emit

    old_sku, old_slug = (
        Product.objects.filter(pk=product.pk).values_list("sku", "slug").first() if product.pk else None
    ) or (None, None)
    for name in PRODUCT_FIELDS:
        if name in data:
            setattr(product, name, data[name])
    if not product.slug:
        product.slug = slugify(product.name)[:200] or slugify(product.sku)
    product.full_clean()
    try:
        with transaction.atomic():
            is_new = product.pk is None
            product.save()
            slug_moved(product, old_slug)
            variants = list(ProductVariant.objects.select_for_update().filter(product=product))
            if is_new or not variants:
                ProductVariant.objects.create(product=product, sku=product.sku, stock=data.get("stock") or 0)
            else:
                _sole_variant_follow(product, variants, old_sku, data.get("stock"))
            event_emit("product.updated", product_payload(product))
    except IntegrityError as exc:  # a concurrent writer took the SKU or slug
        raise ValidationError(
            "A product or variant with this SKU, or a product with this slug, already exists."
        ) from exc
    return product


def _sole_variant_follow(product: Product, variants: list[ProductVariant], old_sku: str | None, stock) -> None:
    if stock is not None and len(variants) != 1:
        raise ValidationError({"stock": "This product has several variants: set the stock of each variant."})
    if len(variants) != 1:
        return
    variant, changes = variants[0], {}
    if stock is not None and stock != variant.stock:
        changes["stock"] = stock
    if old_sku is not None and variant.sku == old_sku and product.sku != old_sku:
        changes["sku"] = product.sku
    if changes:
        ProductVariant.objects.filter(pk=variant.pk).update(**changes, updated_at=Now())


def variant_bulk_set(
    variants: QuerySet[ProductVariant],
    *,
    price: Decimal | None = None,
    clear_price: bool = False,
    stock: int | None = None,
    stock_delta: int | None = None,
) -> int:
    """Staff: one price (or back to the product's), one stock, or a stock change, for many variants at once.

    A stock change that would go below zero leaves that variant at zero. Returns how many changed.
    """
    changes: dict = {"updated_at": Now()}
    if price is not None:
        changes["price_override"] = price
    if clear_price:
        changes["price_override"] = None
    if stock is not None:
        changes["stock"] = stock
    if stock_delta is not None:
        changes["stock"] = Greatest(F("stock") + stock_delta, Value(0))
    if len(changes) == 1:
        return 0
    with transaction.atomic():
        return ProductVariant.objects.filter(pk__in=list(variants.values_list("pk", flat=True))).update(**changes)


def product_payload(product: Product) -> dict:
    """What integrations are told about a product (the `product.updated` and `stock.low` webhooks).

    `stock` is the sum over the variants, which are listed too (prefetch `variants` for many products).
    """
    variants = list(product.variants.all())
    return {
        "id": product.pk,
        "sku": product.sku,
        "name": product.name,
        "price": str(product.price),
        "stock": sum(v.stock for v in variants),
        "is_deleted": product.is_archived,
        "variants": [variant_payload(v, product) for v in variants],
    }


def variant_payload(variant: ProductVariant, product: Product | None = None) -> dict:
    product = product or variant.product
    price = variant.price_override if variant.price_override is not None else product.price
    return {"id": variant.pk, "sku": variant.sku, "label": variant.label, "price": str(price), "stock": variant.stock}


# --- Recently viewed -----------------------------------------------------------------------------


def recently_viewed_push(response, ids: list[int], product_id: int) -> None:
    """Put `product_id` first in the visitor's recently viewed cookie (signed, a year, at most RECENT_MAX)."""
    from catalog.selectors import RECENT_COOKIE, RECENT_MAX

    newest = [product_id, *(pk for pk in ids if pk != product_id)][:RECENT_MAX]
    response.set_signed_cookie(
        RECENT_COOKIE,
        ".".join(map(str, newest)),
        salt="catalog.recent",
        max_age=365 * 24 * 3600,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


# --- Slug history -----------------------------------------------------------------------------------


def slug_moved(owner: Product | Category, old_slug: str | None) -> None:
    """After a save: remember `old_slug` as a former slug of `owner` (its old URL then answers 301), and
    forget `owner`'s current slug as anyone's former one (a slug in use is served, not redirected).

    The row names the owner, not the next slug, so a chain of changes ends at the current URL in one
    step; a slug given up by several products belongs to the last one.
    """
    history, field_name = (ProductOldSlug, "product") if isinstance(owner, Product) else (CategoryOldSlug, "category")
    history.objects.filter(slug=owner.slug).delete()
    if old_slug and old_slug != owner.slug:
        history.objects.update_or_create(slug=old_slug, defaults={field_name: owner})


def category_save(category: Category) -> Category:
    """Save a category (cleaned by its form); a changed slug keeps the old URL as a redirect."""
    with transaction.atomic():
        old_slug = Category.objects.filter(pk=category.pk).values_list("slug", flat=True).first()
        category.save()
        slug_moved(category, old_slug)
    return category
