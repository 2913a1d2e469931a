"""Reads for the storefront: every page's data in a fixed number of queries, whatever the catalog size."""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from urllib.parse import urlencode

from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import (
    CharField,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
)
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.utils import timezone
from django.utils.functional import cached_property

from catalog.models import (
    Attribute,
    AttributeChoice,
    Category,
    Option,
    OptionValue,
    Product,
    ProductAttributeValue,
    ProductImage,
    ProductVariant,
)
from catalog.search import SearchWords, product_search
from shop.memo import version_memo

SORTS = {
    "name": ("name", "pk"),
    "price": ("price", "pk"),
    "-price": ("-price", "pk"),
    "newest": ("-created_at", "-pk"),
}
DEFAULT_SORT = "name"


def catalog_version() -> str:
    """A value that changes whenever a product, variant or category is saved, or a sale starts or ends, or
    an option, option value, attribute or attribute choice (what the facets show) or the storefront's brand
    or content pages change: the key of every cached fragment and of what the process keeps per version
    (shop.memo: the category tree, the facet definitions, the storefront's chrome).

    One indexed query (MAX over `updated_at` in the tables), so it is right across processes and
    machines; writers that bypass save() must set `updated_at` themselves (the services do, stock included).
    A sale's start or end changes prices without a save, so the next sale boundary after now is part of the
    version too: once the clock passes it, the version moves on. The content pages and the facets' rows are
    also counted (a deleted row leaves the newest `updated_at` as it was); the brand is one row.
    """
    from django.apps import apps

    table = Product._meta.db_table
    brand, page = (apps.get_model("storefront", name)._meta.db_table for name in ("Brand", "Page"))
    # What the facets are made of (catalog.facets.facet_definitions): newest change and rows, per table.
    facet_rows = ", ".join(
        f"(SELECT MAX(updated_at) FROM {t}), (SELECT COUNT(*) FROM {t})"  # noqa: S608 - our table names
        for t in (m._meta.db_table for m in (Option, OptionValue, Attribute, AttributeChoice))
    )
    now = Product._meta.get_field("sale_starts_at").get_db_prep_value(timezone.now(), connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT MAX(updated_at) FROM {table}),"  # noqa: S608 - table names are ours
            f" (SELECT MAX(updated_at) FROM {ProductVariant._meta.db_table}),"
            f" (SELECT MAX(updated_at) FROM {Category._meta.db_table}),"
            f" (SELECT MIN(sale_starts_at) FROM {table} WHERE sale_starts_at > %s),"
            f" (SELECT MIN(sale_ends_at) FROM {table} WHERE sale_ends_at > %s),"
            f" (SELECT MAX(updated_at) FROM {brand}),"
            f" (SELECT MAX(updated_at) FROM {page}), (SELECT COUNT(*) FROM {page}), {facet_rows}",
            [now, now],
        )
        values = cursor.fetchone()
    stamps = "|".join(_stamp(value) for value in values)
    return hashlib.blake2b(stamps.encode(), digest_size=8).hexdigest()


def _stamp(value: datetime | str | None) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value or "")


@dataclass
class CategoryTree:
    """All active categories, loaded once, with the walks the pages need (breadcrumbs, descendants)."""

    categories: list[Category]
    by_slug: dict[str, Category] = field(init=False)
    by_pk: dict[int, Category] = field(init=False)

    def __post_init__(self) -> None:
        self.by_slug = {c.slug: c for c in self.categories}
        self.by_pk = {c.pk: c for c in self.categories}

    @property
    def roots(self) -> list[Category]:
        return [c for c in self.categories if c.parent_id is None]

    def get(self, slug: str) -> Category | None:
        return self.by_slug.get(slug)

    def ancestors(self, category: Category) -> list[Category]:
        """From the root down to the category's parent; None when an ancestor is inactive."""
        chain, seen, node = [], {category.pk}, category
        while node.parent_id is not None:
            node = self.by_pk.get(node.parent_id)
            if node is None or node.pk in seen:
                break
            seen.add(node.pk)
            chain.append(node)
        return list(reversed(chain))

    def is_visible(self, category: Category) -> bool:
        """Active, and every ancestor active too."""
        node, seen = category, set()
        while node.parent_id is not None and node.pk not in seen:
            seen.add(node.pk)
            node = self.by_pk.get(node.parent_id)
            if node is None:
                return False
        return True

    def children(self, category: Category) -> list[Category]:
        return [c for c in self.categories if c.parent_id == category.pk]

    def descendant_ids(self, category: Category) -> list[int]:
        """The category and everything below it."""
        ids, frontier = [category.pk], [category.pk]
        while frontier:
            frontier = [c.pk for c in self.categories if c.parent_id in frontier and c.pk not in ids]
            ids.extend(frontier)
        return ids

    def visible_slugs(self) -> set[str]:
        return {c.slug for c in self.categories if self.is_visible(c)}

    def visible_ids(self) -> list[int]:
        return [c.pk for c in self.categories if self.is_visible(c)]

    def options(self) -> list[tuple[str, str]]:
        """(slug, indented name) for a category <select>, depth first."""
        out: list[tuple[str, str]] = []

        def walk(parent_id: int | None, depth: int) -> None:
            for c in self.categories:
                if c.parent_id == parent_id and self.is_visible(c):
                    out.append((c.slug, "\u2014 " * depth + c.name))
                    walk(c.pk, depth + 1)

        walk(None, 0)
        return out


_trees = version_memo()


def category_tree(version: str) -> CategoryTree:
    """The active categories (one query, or none when cached for this catalog version), kept in the process
    per version (shop.memo): every page needs the tree, so most requests neither query nor unpickle it."""

    def load() -> CategoryTree:
        key = f"catalog:tree:{version}"
        categories = cache.get(key)
        if categories is None:
            categories = list(Category.objects.filter(is_active=True).order_by("position", "name"))
            cache.set(key, categories, timeout=3600)
        return CategoryTree(categories)

    return _trees.get(version, load)


# Card annotations as SQL of their own, correlated on the product table of the outer query: built through the
# ORM (Subquery, Coalesce, OuterRef) the three cost about 1 ms of Python per list to build and compile, ten
# times what the database spends on them. Only for querysets whose base table is the products. Table names
# are the models' own and there are no parameters (hence the S608/S611 exemptions).
_PRODUCT, _VARIANT, _IMAGE = Product._meta.db_table, ProductVariant._meta.db_table, ProductImage._meta.db_table
_STOCK_SQL = f"COALESCE((SELECT SUM(v.stock) FROM {_VARIANT} v WHERE v.product_id = {_PRODUCT}.id), 0)"  # noqa: S608
_VARIANT_COUNT_SQL = f"(SELECT COUNT(*) FROM {_VARIANT} v WHERE v.product_id = {_PRODUCT}.id)"  # noqa: S608
# The partial unique index of one primary image per product answers it.
_THUMBNAIL_SQL = f"(SELECT i.thumbnail FROM {_IMAGE} i WHERE i.product_id = {_PRODUCT}.id AND i.is_primary)"  # noqa: S608


def _with_primary_image(queryset: QuerySet[Product]) -> QuerySet[Product]:
    """Annotate `primary_thumbnail`: the file name of the primary image's thumbnail (None without one), in the
    same query (a lookup on the one-primary index per row) instead of a prefetch query of its own."""
    thumbnail = RawSQL(_THUMBNAIL_SQL, (), output_field=CharField())  # noqa: S611
    return queryset.annotate(primary_thumbnail=thumbnail)


_THUMBNAIL = ProductImage._meta.get_field("thumbnail")


def thumbnail_url(product: Product) -> str:
    """The list image's URL: from the `primary_thumbnail` annotation (`_with_primary_image`), else from a
    prefetched `primary_images` list (a cart line, the API's single product); "" when it has none."""
    if (name := getattr(product, "primary_thumbnail", None)) is not None:
        return _THUMBNAIL.storage.url(name) if name else ""
    images = getattr(product, "primary_images", None) or ()
    return images[0].thumbnail.url if images and images[0].thumbnail else ""


def with_variant_summary(queryset: QuerySet[Product]) -> QuerySet[Product]:
    """Annotate `stock` (units over all variants) and `variant_count`: what cards and add buttons need.

    Correlated subqueries on the (product, stock) index, so the page's query count stays the same.
    """
    return queryset.annotate(
        stock=RawSQL(_STOCK_SQL, (), output_field=IntegerField()),  # noqa: S611
        variant_count=RawSQL(_VARIANT_COUNT_SQL, (), output_field=IntegerField()),  # noqa: S611
    )


def in_stock_filter() -> Exists:
    """A product with at least one variant in stock."""
    return Exists(ProductVariant.objects.filter(product_id=OuterRef("pk"), stock__gt=0))


def product_visible(tree: CategoryTree) -> QuerySet[Product]:
    """Products shoppers may see: not archived, in a visible category."""
    return Product.objects.filter(is_archived=False, category_id__in=tree.visible_ids())


@dataclass(frozen=True)
class ProductListParams:
    """The list's query, already cleaned (see catalog.forms.ProductListForm)."""

    q: str = ""
    category: str = ""
    sort: str = DEFAULT_SORT
    in_stock: bool = False
    per_page: int = 20
    page: int = 1
    # Facets (catalog.facets): option value ids (`o`), attribute choice ids (`a`), yes/no attribute answers
    # (`b`: "7-yes"), a price range.
    o: tuple[int, ...] = ()
    a: tuple[int, ...] = ()
    b: tuple[str, ...] = ()
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    # What the shopper should know about the filters (ignored values, an impossible range); not in the URL.
    notices: tuple[str, ...] = ()

    def query(self, **changes) -> str:
        """The query string for these parameters (defaults left out), with `changes` applied."""
        values = {**self.__dict__, **changes}
        values.pop("notices")
        defaults = ProductListParams()
        pairs = []
        for k, v in values.items():
            if v == getattr(defaults, k):
                continue
            if isinstance(v, tuple):
                pairs.extend((k, item) for item in v)
            else:
                pairs.append((k, "on" if v is True else v))
        return urlencode(pairs)

    @property
    def has_facets(self) -> bool:
        return bool(self.o or self.a or self.b or self.min_price is not None or self.max_price is not None)

    @property
    def impossible(self) -> bool:
        """A price range no product can be in (min above max)."""
        return self.min_price is not None and self.max_price is not None and self.min_price > self.max_price


class LazyPage:
    """A page of products that builds and runs its queries only when a template first reads it.

    The page's markup is cached per catalog version, so on a cache hit no query is built or run at all.
    `count`, when given, tells the number of products if it is already known (else None): the paginator
    then does not count them again.
    """

    def __init__(
        self,
        build: Callable[[], QuerySet[Product]],
        per_page: int,
        number: int,
        count: Callable[[], int | None] | None = None,
    ):
        self._build, self._per_page, self._number, self._count = build, per_page, number, count

    @cached_property
    def page(self) -> Page:
        paginator = Paginator(self._build(), self._per_page)
        known = self._count() if self._count is not None else None
        if known is not None:
            paginator.count = known  # a cached_property: what Paginator would have counted
        return paginator.get_page(self._number)


def product_list(
    tree: CategoryTree,
    params: ProductListParams,
    category: Category | None = None,
    version: str | None = None,
    words: SearchWords | None = None,
    definitions=None,
    count: Callable[[], int | None] | None = None,
) -> LazyPage:
    """The storefront list: category (with its subcategories), search, facets (availability, price, options,
    attributes), sort, page. `words` and `definitions` (catalog.facets): what the facet counts use too, so
    the page reads them once; `count`: the number of results when already known (the facet counts tell it,
    `catalog.facets.Facets.result_count`), else None, and the page counts them."""

    def build() -> QuerySet[Product]:
        from catalog import facets

        queryset = product_visible(tree).select_related("category")
        if category is not None:
            queryset = queryset.filter(category_id__in=tree.descendant_ids(category))
        found = definitions or facets.facet_definitions(version or catalog_version())
        queryset = facets.facets_filter(queryset, params, found)
        if params.q:
            queryset = product_search(queryset, words or params.q, ranked=params.sort == DEFAULT_SORT)
            if params.sort != DEFAULT_SORT:
                queryset = queryset.order_by(*SORTS[params.sort])
        else:
            queryset = queryset.order_by(*SORTS[params.sort])
        return _with_primary_image(with_variant_summary(queryset))

    return LazyPage(build, params.per_page, params.page, count)


def product_list_count(products: LazyPage, key: str) -> int:
    """How many products a list found, after its page was rendered (for the search statistics).

    Known for free when the page was just built; on a fragment-cache hit it comes from a small cache
    entry of its own, or costs one COUNT when that entry is gone.
    """
    cache_key = f"catalog:count:{hashlib.blake2b(key.encode(), digest_size=16).hexdigest()}"
    if "page" not in products.__dict__:
        count = cache.get(cache_key)
        if count is not None:
            return count
    count = products.page.paginator.count
    cache.set(cache_key, count, timeout=600)
    return count


def product_get_visible(tree: CategoryTree, slug: str, version: str) -> Product:
    """The product a detail page shows (cached for this catalog version), or 404 when unknown, archived or hidden."""
    key = f"catalog:product:{version}:{hashlib.blake2b(slug.encode(), digest_size=16).hexdigest()}"
    product = cache.get(key)
    if product is None:
        # get(), not first(): first() would add ORDER BY name, and the planner may then walk the name index.
        try:
            product = Product.objects.select_related("category").get(slug=slug, is_archived=False)
        except Product.DoesNotExist:
            raise Http404("No such product.") from None
        cache.set(key, product, timeout=600)
    if product.category_id not in tree.visible_ids():
        raise Http404("No such product.")
    return product


def product_moved(tree: CategoryTree, slug: str) -> Product | None:
    """The visible product whose slug `slug` was, for a 301 to its current URL (asked only on a miss)."""
    product = Product.objects.filter(old_slugs__slug=slug, is_archived=False).first()
    return product if product and product.category_id in tree.visible_ids() else None


def category_moved(tree: CategoryTree, slug: str) -> Category | None:
    """The visible category whose slug `slug` was, like product_moved."""
    pk = Category.objects.filter(old_slugs__slug=slug).values_list("pk", flat=True).first()
    return next((c for c in tree.categories if c.pk == pk and tree.is_visible(c)), None)


@dataclass
class VariantChoice:
    """A product's variants and option axes, and which variant the shopper's selection points at.

    `selected` is None when the selection names a combination no variant has ("unavailable").
    `axes` is [(option, [(value, state)])], state "available", "sold-out" or "unavailable" given the
    shopper's other choices: what the option pickers show.
    """

    variants: list[ProductVariant]
    options: list[Option]
    chosen: dict[int, int]  # option id -> value id
    selected: ProductVariant | None

    @property
    def has_choice(self) -> bool:
        return len(self.variants) > 1 and bool(self.options)

    @property
    def key(self) -> str:
        """What the detail fragment's cache key needs: the selection, or the unavailable combination."""
        if self.selected is not None:
            return str(self.selected.pk)
        return "x" + "-".join(f"{o}.{v}" for o, v in sorted(self.chosen.items()))

    @property
    def axes(self) -> list[tuple[Option, list[tuple[OptionValue, str]]]]:
        out = []
        for option in self.options:
            values = []
            for value in option.values.all():
                wanted = {**self.chosen, option.pk: value.pk}
                matching = [v for v in self.variants if _matches(v, wanted)]
                if not matching:
                    state = "unavailable"
                elif not any(v.stock > 0 for v in matching):
                    state = "sold-out"
                else:
                    state = "available"
                values.append((value, state))
            out.append((option, values))
        return out


def _matches(variant: ProductVariant, wanted: dict[int, int]) -> bool:
    have = variant.value_by_option
    return all(have.get(option_id) == value_id for option_id, value_id in wanted.items())


def product_variants(product: Product, version: str) -> tuple[list[ProductVariant], list[Option]]:
    """The product's variants (with their option values) and its type's options (with their values).

    One query for a product without a type; four for a typed one (variants, their values, the options,
    their values), whatever the number of variants; none when cached for this catalog version.
    """
    key = f"catalog:variants:{version}:{product.pk}"
    cached = cache.get(key)
    if cached is None:
        variants_qs = ProductVariant.objects.filter(product_id=product.pk).order_by("position", "pk")
        if product.product_type_id is not None:  # only a typed product's variants have option values
            values = OptionValue.objects.only("id", "option_id", "value", "position")
            variants_qs = variants_qs.prefetch_related(Prefetch("option_values", queryset=values))
        variants = list(variants_qs)
        options: list[Option] = []
        if product.product_type_id is not None and any(v.option_values.all() for v in variants):
            options = list(
                Option.objects.filter(product_type_id=product.product_type_id)
                .prefetch_related(Prefetch("values", queryset=OptionValue.objects.order_by("position", "pk")))
                .order_by("position", "pk")
            )
        for variant in variants:
            variant.product = product
            variant.value_by_option = (
                {v.option_id: v.pk for v in variant.option_values.all()} if product.product_type_id else {}
            )
        cached = (variants, options)
        cache.set(key, cached, timeout=600)
    return cached


def variant_choose(product: Product, version: str, data) -> VariantChoice:
    """Which variant a detail request shows: `variant=<id>`, or one value per option (`option-<id>=<value id>`).

    Unknown or foreign ids are ignored (the default is shown); a combination no variant has selects none.
    Without a choice: the first variant in stock, else the first.
    """
    variants, options = product_variants(product, version)
    by_pk = {v.pk: v for v in variants}
    wanted = _int_or_none(data.get("variant"))
    if wanted in by_pk:
        selected = by_pk[wanted]
        return VariantChoice(variants, options, dict(selected.value_by_option), selected)
    chosen: dict[int, int] = {}
    for option in options:
        value_id = _int_or_none(data.get(f"option-{option.pk}"))
        if value_id is not None and any(v.pk == value_id for v in option.values.all()):
            chosen[option.pk] = value_id
    if chosen:
        matching = [v for v in variants if _matches(v, chosen)]
        if not matching:
            return VariantChoice(variants, options, chosen, None)
        selected = next((v for v in matching if v.stock > 0), matching[0])
    else:
        selected = next((v for v in variants if v.stock > 0), variants[0] if variants else None)
    return VariantChoice(variants, options, dict(selected.value_by_option) if selected else chosen, selected)


def _int_or_none(value) -> int | None:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


def product_specs(product: Product) -> list[tuple[str, str]]:
    """The specification table: (attribute, value as shown), in the type's attribute order.

    One query; none for a product without a type (attributes belong to types).
    """
    if product.product_type_id is None:
        return []
    values = (
        ProductAttributeValue.objects.filter(product_id=product.pk)
        .select_related("attribute", "value_choice")
        .order_by("attribute__position", "attribute_id")
    )
    return [(v.attribute.name, v.display) for v in values if v.display]


def product_images(product: Product, variant: ProductVariant | None = None) -> list[ProductImage]:
    """The gallery: the variant's own images first, then the product's (primary first, then staff order).

    Other variants' images are left out. One query.
    """
    images = list(product.images.order_by("-is_primary", "position", "pk"))
    own = [i for i in images if variant is not None and i.variant_id == variant.pk]
    shared = [i for i in images if i.variant_id is None]
    return own + shared


def product_related(tree: CategoryTree, product: Product, limit: int = 4) -> QuerySet[Product]:
    """Staff picks first, then other visible products of the same category, newest first (one query + images)."""
    through = Product.related_products.through.objects.filter(from_product_id=product.pk)
    picks = through.filter(to_product_id=OuterRef("pk"))
    # Candidates: the picks and the category's newest `limit`, as a UNION where the database allows a LIMIT
    # in one (PostgreSQL): "in the category or picked" as one condition reads and ranks every product of
    # the category, 1.6 s for one of 11,000.
    newest = (
        product_visible(tree)
        .filter(category_id=product.category_id)
        .exclude(pk=product.pk)
        .order_by("-created_at", "-pk")
        .values("pk")[:limit]
    )
    if connection.features.supports_slicing_ordering_in_compound:
        candidates = Q(pk__in=through.values("to_product_id").union(newest))
    else:
        candidates = Q(pk__in=through.values("to_product_id")) | Q(pk__in=newest)
    queryset = (
        product_visible(tree)
        .filter(candidates)
        .exclude(pk=product.pk)
        .annotate(picked=Exists(picks))
        .order_by("-picked", "-created_at", "-pk")
    )
    return _with_primary_image(with_variant_summary(queryset))[:limit]


def product_also_bought(tree: CategoryTree, product: Product, limit: int = 4) -> list[Product]:
    """What the orders that hold this product held besides, most often ordered together first.

    Two queries (the ranking, the products) + their images; the ranking runs over order lines by product.
    """
    from orders.models import OrderLine

    orders = OrderLine.objects.filter(product_id=product.pk).values("order_id")
    ranked = list(
        OrderLine.objects.filter(order_id__in=orders)
        .exclude(product_id=product.pk)
        .values("product_id")
        .annotate(n=Count("order_id", distinct=True))
        .order_by("-n", "product_id")
        .values_list("product_id", flat=True)[: limit * 3]
    )
    if not ranked:
        return []
    found = {p.pk: p for p in _with_primary_image(with_variant_summary(product_visible(tree).filter(pk__in=ranked)))}
    return [found[pk] for pk in ranked if pk in found][:limit]


RECENT_COOKIE = "shop_recent"
RECENT_MAX = 8


def recently_viewed_ids(request) -> list[int]:
    """The visitor's recently viewed product ids, newest first, from a signed cookie (no query)."""
    raw = request.get_signed_cookie(RECENT_COOKIE, default="", salt="catalog.recent")
    return [int(part) for part in raw.split(".") if part.isdigit() and 0 < int(part) < 2**63][:RECENT_MAX]


def recently_viewed(tree: CategoryTree, ids: list[int]) -> list[Product]:
    """Those products still visible, in the order viewed; no query at all for an empty list."""
    if not ids:
        return []
    found = {p.pk: p for p in _with_primary_image(with_variant_summary(product_visible(tree).filter(pk__in=ids)))}
    return [found[pk] for pk in ids if pk in found]


def product_featured(tree: CategoryTree, limit: int = 8) -> QuerySet[Product]:
    queryset = product_visible(tree).filter(is_featured=True).order_by("-created_at", "-pk")
    return _with_primary_image(with_variant_summary(queryset))[:limit]


def product_newest(tree: CategoryTree, limit: int = 8) -> QuerySet[Product]:
    return _with_primary_image(with_variant_summary(product_visible(tree).order_by("-created_at", "-pk")))[:limit]


def catalog_is_empty() -> bool:
    return not Product.objects.exists()
