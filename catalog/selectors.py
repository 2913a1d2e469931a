"""Reads for the storefront: every page's data in a fixed number of queries, whatever the catalog size."""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlencode

from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils.functional import cached_property

from catalog.models import Category, Product, ProductImage
from catalog.search import product_search

SORTS = {
    "name": ("name", "pk"),
    "price": ("price", "pk"),
    "-price": ("-price", "pk"),
    "newest": ("-created_at", "-pk"),
}
DEFAULT_SORT = "name"


def catalog_version() -> str:
    """A value that changes whenever a product or category is saved: the key of every cached fragment.

    One indexed query (MAX over `updated_at` in both tables), so it is right across processes and machines;
    writers that bypass save() must set `updated_at` themselves (the services do).
    """
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT MAX(updated_at) FROM {Product._meta.db_table}),"  # noqa: S608 - table names are ours
            f" (SELECT MAX(updated_at) FROM {Category._meta.db_table})"
        )
        product_max, category_max = cursor.fetchone()
    stamps = f"{_stamp(product_max)}|{_stamp(category_max)}"
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


def category_tree(version: str) -> CategoryTree:
    """The active categories (one query, or none when cached for this catalog version)."""
    key = f"catalog:tree:{version}"
    categories = cache.get(key)
    if categories is None:
        categories = list(Category.objects.filter(is_active=True).order_by("position", "name"))
        cache.set(key, categories, timeout=3600)
    return CategoryTree(categories)


def _with_primary_image(queryset: QuerySet[Product]) -> QuerySet[Product]:
    primary = ProductImage.objects.filter(is_primary=True).only("id", "product_id", "thumbnail", "alt_text")
    return queryset.prefetch_related(Prefetch("images", queryset=primary, to_attr="primary_images"))


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

    def query(self, **changes) -> str:
        """The query string for these parameters (defaults left out), with `changes` applied."""
        values = {**self.__dict__, **changes}
        defaults = ProductListParams()
        pairs = [(k, v) for k, v in values.items() if v != getattr(defaults, k)]
        return urlencode([(k, "on" if v is True else v) for k, v in pairs])


class LazyPage:
    """A page of products that builds and runs its queries only when a template first reads it.

    The page's markup is cached per catalog version, so on a cache hit no query is built or run at all.
    """

    def __init__(self, build: Callable[[], QuerySet[Product]], per_page: int, number: int):
        self._build, self._per_page, self._number = build, per_page, number

    @cached_property
    def page(self) -> Page:
        return Paginator(self._build(), self._per_page).get_page(self._number)


def product_list(tree: CategoryTree, params: ProductListParams, category: Category | None = None) -> LazyPage:
    """The storefront list: category (with its subcategories), search, in-stock filter, sort, page."""

    def build() -> QuerySet[Product]:
        queryset = product_visible(tree).select_related("category")
        if category is not None:
            queryset = queryset.filter(category_id__in=tree.descendant_ids(category))
        if params.in_stock:
            queryset = queryset.filter(stock__gt=0)
        if params.q:
            queryset = product_search(queryset, params.q, ranked=params.sort == DEFAULT_SORT)
            if params.sort != DEFAULT_SORT:
                queryset = queryset.order_by(*SORTS[params.sort])
        else:
            queryset = queryset.order_by(*SORTS[params.sort])
        return _with_primary_image(queryset)

    return LazyPage(build, params.per_page, params.page)


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


def product_images(product: Product) -> QuerySet[ProductImage]:
    """The product's images, primary first, then in staff order."""
    return product.images.order_by("-is_primary", "position", "pk")


def product_related(tree: CategoryTree, product: Product, limit: int = 4) -> QuerySet[Product]:
    """Other visible products of the same category, newest first."""
    queryset = product_visible(tree).filter(category_id=product.category_id).exclude(pk=product.pk)
    return _with_primary_image(queryset.order_by("-created_at", "-pk"))[:limit]


def product_featured(tree: CategoryTree, limit: int = 8) -> QuerySet[Product]:
    return _with_primary_image(product_visible(tree).filter(is_featured=True).order_by("-created_at", "-pk"))[:limit]


def product_newest(tree: CategoryTree, limit: int = 8) -> QuerySet[Product]:
    return _with_primary_image(product_visible(tree).order_by("-created_at", "-pk"))[:limit]


def catalog_is_empty() -> bool:
    return not Product.objects.exists()
