"""Writes to the catalog: archive and restore, images and their renditions, CSV import.

Every write here bumps `updated_at` on what it changes, which is what invalidates the cached storefront
fragments (catalog.selectors.catalog_version).
"""

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import validate_slug
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.text import slugify
from PIL import Image, ImageOps, UnidentifiedImageError

from catalog.models import Category, Product, ProductImage
from catalog.money import InvalidMoney, money

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
            events_emit("product.updated", [product_payload(p) for p in Product.objects.filter(pk__in=ids)])
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

CSV_COLUMNS = ["sku", "name", "slug", "category", "price", "stock", "description", "archived"]
REQUIRED_COLUMNS = {"sku", "name", "category", "price", "stock"}


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
    """Create or update products by SKU from CSV bytes (UTF-8, header row with CSV_COLUMNS).

    All or nothing: one bad row and nothing is applied, unless `skip_invalid`, which applies the good
    rows and reports the bad ones as skipped. `dry_run` validates and reports without writing.
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
    existing = {p.sku: p for p in Product.objects.all()}
    slug_owner = dict(Product.objects.values_list("slug", "sku"))
    seen_skus: dict[str, int] = {}
    good: list[_Row] = []
    try:
        for row in reader:
            line = reader.line_num
            if progress:
                progress(1)
            errors, values = _validate_row(row, categories)
            sku = values.get("sku")
            if sku:
                if sku in seen_skus:
                    errors.append(f"duplicate SKU {sku!r} (first on line {seen_skus[sku]})")
                else:
                    seen_skus[sku] = line
            slug = values.get("slug")
            if slug and slug_owner.get(slug, sku) != sku:
                errors.append(f"slug {slug!r} already belongs to SKU {slug_owner[slug]!r}")
            if errors:
                result.errors.extend(f"line {line}: {e}" for e in errors)
                result.skipped += 1
                continue
            slug_owner[values["slug"]] = sku
            good.append(_Row(line, values))
    except csv.Error as exc:
        result.errors.append(f"line {reader.line_num}: unreadable CSV ({exc})")
        result.fatal = True
        return result

    if result.errors and not skip_invalid:
        result.skipped = 0
        return result
    for row in good:
        if row.values["sku"] in existing:
            result.updated += 1
        else:
            result.created += 1
    if dry_run:
        return result
    try:
        _apply(good, existing)
    except IntegrityError as exc:
        # Another writer got in between validation and the write: nothing was applied.
        result.errors.append(f"the database refused the import, nothing was applied: {exc}")
        result.created = result.updated = 0
        result.fatal = True
        return result
    result.applied = True
    return result


def _validate_row(row: dict, categories: dict[str, Category]) -> tuple[list[str], dict]:
    errors: list[str] = []
    if None in row:
        errors.append("more fields than the header has")
    values = {k: (v or "").strip() for k, v in row.items() if k is not None}
    if not values["sku"]:
        errors.append("sku is empty")
    elif len(values["sku"]) > Product._meta.get_field("sku").max_length:
        errors.append("sku is longer than 64 characters")
    if not values["name"]:
        errors.append("name is empty")
    elif len(values["name"]) > Product._meta.get_field("name").max_length:
        errors.append("name is longer than 200 characters")
    values["slug"] = values.get("slug") or slugify(values["name"])[:200] or slugify(values["sku"])
    try:
        validate_slug(values["slug"])
    except ValidationError:
        errors.append(f"slug {values['slug']!r} may only contain letters, numbers, hyphens and underscores")
    try:
        values["price"] = money(values["price"])
    except InvalidMoney as exc:
        errors.append(f"bad price: {exc}")
    try:
        values["stock"] = int(values["stock"])
        if values["stock"] < 0:
            errors.append(f"negative stock {values['stock']}; stock must be 0 or more")
    except ValueError:
        errors.append(f"bad stock {values['stock']!r}: a whole number 0 or more is needed")
    category = categories.get(values["category"])
    if category is None:
        errors.append(f"unknown category {values['category']!r} (use a category slug that exists)")
    values["category"] = category
    archived = values.get("archived", "").lower()
    if archived not in ("", "0", "1", "true", "false", "yes", "no"):
        errors.append(f"bad archived value {archived!r}: use 0 or 1")
    values["archived"] = archived in ("1", "true", "yes")
    values.setdefault("description", "")
    return errors, values


@transaction.atomic
def _apply(rows: list[_Row], existing: dict[str, Product]) -> None:
    now = timezone.now()
    to_create, to_update = [], []
    for row in rows:
        v = row.values
        product = existing.get(v["sku"]) or Product(sku=v["sku"])
        product.name, product.slug, product.category = v["name"], v["slug"], v["category"]
        product.price, product.stock, product.description = v["price"], v["stock"], v["description"]
        if product.is_archived != v["archived"] or product.pk is None:
            product.is_archived = v["archived"]
            product.archived_at = now if v["archived"] else None
        product.updated_at = now
        (to_update if product.pk else to_create).append(product)
    fields = ["name", "slug", "category", "price", "stock", "description", "is_archived", "archived_at", "updated_at"]
    Product.objects.bulk_update(to_update, fields, batch_size=1000)
    Product.objects.bulk_create(to_create, batch_size=1000)


def products_export(stream: io.TextIOBase, products: QuerySet[Product] | None = None) -> int:
    """Write products as CSV that products_import reads back unchanged. Returns the row count."""
    writer = csv.writer(stream)
    writer.writerow(CSV_COLUMNS)
    count = 0
    queryset = (products if products is not None else Product.objects.all()).select_related("category").order_by("sku")
    for p in queryset.iterator(chunk_size=2000):
        writer.writerow(
            [p.sku, p.name, p.slug, p.category.slug, p.price, p.stock, p.description, "1" if p.is_archived else "0"]
        )
        count += 1
    return count


# --- Create and change one product (staff: the admin and the API) --------------------------------

PRODUCT_FIELDS = ("name", "slug", "sku", "description", "price", "stock", "category_id", "is_featured")


def product_save(product: Product, data: dict) -> Product:
    """Create or change a product from cleaned values (PRODUCT_FIELDS); the model's rules decide (full_clean).

    An empty slug is made from the name. Raises django.core.exceptions.ValidationError. Integrations that
    subscribed to `product.updated` are told after commit.
    """
    from api.webhooks import event_emit

    for name in PRODUCT_FIELDS:
        if name in data:
            setattr(product, name, data[name])
    if not product.slug:
        product.slug = slugify(product.name)[:200] or slugify(product.sku)
    product.full_clean()
    try:
        with transaction.atomic():
            product.save()
            event_emit("product.updated", product_payload(product))
    except IntegrityError as exc:  # a concurrent writer took the SKU or slug
        raise ValidationError("A product with this SKU or slug already exists.") from exc
    return product


def product_payload(product: Product) -> dict:
    """What integrations are told about a product (the `product.updated` and `stock.low` webhooks)."""
    return {
        "id": product.pk,
        "sku": product.sku,
        "name": product.name,
        "price": str(product.price),
        "stock": product.stock,
        "is_deleted": product.is_archived,
    }
