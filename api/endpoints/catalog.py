"""Catalog reads (anyone, or a token with catalog:read) with ETags; staff writes (catalog:write)."""

from typing import Literal

from django.conf import settings
from django.core.cache import cache
from django.db.models import Prefetch, prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers
from ninja import Query, Router, Schema, Status
from ninja.renderers import JSONRenderer
from pydantic import Field

from api.auth import OPTIONAL, PUBLIC, require
from api.errors import ApiProblem
from api.http import etag, idempotent, not_modified, page_meta
from api.models import Scope
from api.schemas import ERRORS, CategoryOut, Problem, ProductIn, ProductOut, ProductPage, ProductUpdate, VariantOut
from catalog import services as catalog_services
from catalog.facets import facet_definitions, facets_clean
from catalog.forms import PER_PAGE_DEFAULT, PER_PAGE_MAX, Q_MAX_LENGTH, list_params
from catalog.models import Product, ProductImage
from catalog.selectors import DEFAULT_SORT, catalog_version, category_tree, product_list, thumbnail_url

router = Router(tags=["catalog"])

# A cached products page lives at most this long; a catalog change makes a new ETag (and key) at once.
PRODUCTS_PAGE_TTL = 600
RENDERER = JSONRenderer()  # the API's renderer (ShopAPI keeps ninja's default)


class ProductFilters(Schema):
    """The storefront list's filters and sorts."""

    q: str = Field("", max_length=Q_MAX_LENGTH, description="Search words (or an exact SKU).")
    category: str = Field("", max_length=140, description="A category slug; its subcategories are included.")
    sort: Literal["name", "price", "-price", "newest"] = DEFAULT_SORT
    in_stock: bool = False
    page: int = Field(1, ge=1, le=10**6)
    per_page: int = Field(PER_PAGE_DEFAULT, ge=1, le=PER_PAGE_MAX)
    # The storefront's facets (catalog/facets.py), read by the storefront's own parser: values of one
    # option or attribute are alternatives, different ones must all hold.
    o: list[int] = Field(
        [],
        description="Option value ids (size M, colour blue), repeated; option values, stock and price hold "
        "for one and the same variant.",
    )
    a: list[int] = Field([], description="Choice ids of facetable choice attributes (material: linen), repeated.")
    b: list[str] = Field(
        [], description="Facetable yes/no attributes: `<attribute id>-yes` or `<attribute id>-no`, repeated."
    )
    min_price: str = Field("", max_length=20, description="Lowest price (each variant's own), e.g. `9.99`.")
    max_price: str = Field("", max_length=20, description="Highest price (each variant's own), e.g. `49.99`.")


def _reader(request: HttpRequest) -> bool:
    """Anyone may read the catalog; a token must hold catalog:read. True when the caller is staff."""
    if request.auth.user is None:
        return False
    return require(request, Scope.CATALOG_READ).user.is_staff


def product_out(product: Product) -> ProductOut:
    """The product with its variants (prefetch `variants`)."""
    variants = list(product.variants.all())
    stock = sum(v.stock for v in variants)
    thumbnail = thumbnail_url(product) or None
    return ProductOut(
        id=product.pk,
        name=product.name,
        slug=product.slug,
        sku=product.sku,
        description=product.description,
        price=product.current_price,
        regular_price=product.price,
        currency=settings.SHOP_CURRENCY,
        stock=stock,
        in_stock=stock > 0,
        category_id=product.category_id,
        is_featured=product.is_featured,
        is_deleted=product.is_archived,
        variants=[
            VariantOut(
                id=v.pk,
                sku=v.sku,
                label=v.label,
                price=v.price_now(product)[1],
                regular_price=v.price_now(product)[0],
                stock=v.stock,
                in_stock=v.stock > 0,
                weight_grams=v.weight_grams,
            )
            for v in variants
        ],
        thumbnail=thumbnail,
        url=product.get_absolute_url(),
        created_at=product.created_at,
        updated_at=product.updated_at,
    )


@router.get(
    "/products/",
    response={200: ProductPage, ERRORS: Problem},
    summary="List products",
    auth=PUBLIC,
    openapi_extra=OPTIONAL,
)
def products(request: HttpRequest, response: HttpResponse, filters: Query[ProductFilters]):
    _reader(request)
    version = catalog_version()
    tag = etag("products", version, request.get_full_path())
    if cached := not_modified(request, tag):
        return cached
    tree = category_tree(version)
    category = tree.get(filters.category) if filters.category else None
    if filters.category and (category is None or not tree.is_visible(category)):
        raise ApiProblem(404, f"No category {filters.category!r}.")
    # The storefront leaves unknown, unreadable or too many facet values out with a notice; here each
    # notice is the reason of a 422.
    definitions = facet_definitions(version)
    params = facets_clean(list_params(filters.model_dump(), tree.visible_slugs()), definitions)
    if params.notices:
        raise ApiProblem(422, " ".join(params.notices))
    response["ETag"] = tag
    patch_vary_headers(response, ["Authorization"])
    # The page is the same for every reader, so its body is cached under its ETag (which names the
    # catalog version and the query): a repeat costs the version lookup and one cache read.
    key = f"api:products:{tag}"
    if (body := cache.get(key)) is not None:
        response.content = body
        return response
    page = product_list(tree, params, category, version=version, definitions=definitions).page
    prefetch_related_objects(page.object_list, "variants")
    out = ProductPage(items=[product_out(p) for p in page.object_list], **page_meta(page, filters.per_page))
    response.content = RENDERER.render(request, out.model_dump(), response_status=200)
    cache.set(key, response.content, timeout=PRODUCTS_PAGE_TTL)
    return response


@router.get("/product/{product_id}", response={200: ProductOut, ERRORS: Problem}, auth=PUBLIC, openapi_extra=OPTIONAL)
def product_detail(request: HttpRequest, response: HttpResponse, product_id: int):
    staff = _reader(request)
    version = catalog_version()
    tag = etag("product", version, product_id, staff)
    if cached := not_modified(request, tag):
        return cached
    tree = category_tree(version)
    primary = ProductImage.objects.filter(is_primary=True)
    product = (
        Product.objects.filter(pk=product_id)
        .prefetch_related(Prefetch("images", queryset=primary, to_attr="primary_images"), "variants")
        .first()
    )
    # Shoppers see what the storefront shows; staff also see deleted (archived) and hidden products.
    if product is None or not staff and (product.is_archived or product.category_id not in tree.visible_ids()):
        raise ApiProblem(404, "No such product.")
    response["ETag"] = tag
    patch_vary_headers(response, ["Authorization"])
    return product_out(product)


@router.get(
    "/categories/",
    response={200: list[CategoryOut], ERRORS: Problem},
    summary="List categories",
    auth=PUBLIC,
    openapi_extra=OPTIONAL,
)
def categories(request: HttpRequest, response: HttpResponse):
    _reader(request)
    version = catalog_version()
    tag = etag("categories", version)
    if cached := not_modified(request, tag):
        return cached
    tree = category_tree(version)
    response["ETag"] = tag
    patch_vary_headers(response, ["Authorization"])
    return [c for c in tree.categories if tree.is_visible(c)]


def _staff_product(request: HttpRequest, product_id: int) -> Product:
    require(request, Scope.CATALOG_WRITE)
    product = Product.objects.filter(pk=product_id).first()
    if product is None:
        raise ApiProblem(404, "No such product.")
    return product


@router.post("/product/", response={201: ProductOut, ERRORS: Problem}, summary="Create a product (staff)")
@idempotent
def product_create(request: HttpRequest, body: ProductIn):
    require(request, Scope.CATALOG_WRITE)
    product = catalog_services.product_save(Product(), body.model_dump())
    return 201, product_out(Product.objects.prefetch_related("variants").get(pk=product.pk))


@router.put("/product/{product_id}", response={200: ProductOut, ERRORS: Problem}, summary="Change a product (staff)")
def product_update(request: HttpRequest, product_id: int, body: ProductUpdate):
    product = _staff_product(request, product_id)
    catalog_services.product_save(product, body.model_dump(exclude_unset=True))
    return product_out(Product.objects.prefetch_related("variants").get(pk=product.pk))


@router.delete("/product/{product_id}", response={204: None, ERRORS: Problem}, summary="Delete a product (staff)")
def product_delete(request: HttpRequest, product_id: int):
    """Soft: the product is archived (hidden, kept for orders); staff can restore it in the admin."""
    product = _staff_product(request, product_id)
    catalog_services.product_archive(Product.objects.filter(pk=product.pk))
    return Status(204, None)
