"""Storefront pages. The product list answers htmx with its results fragment, anything else with the page."""

from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.views.decorators.http import require_safe

from analytics.models import EventName
from analytics.services import event_record, recording_allowed
from catalog import facets, search, selectors, services
from catalog.forms import ProductListForm, list_params
from catalog.models import Category
from shop.rendering import render_page_or_fragment, wants_fragment
from shop.shared import catalog_version, is_shared, shared_page


@require_safe
@shared_page
def home(request: HttpRequest) -> HttpResponse:
    version = catalog_version(request)
    tree = selectors.category_tree(version)
    ctx = {
        "version": version,
        # Callables: the template calls them inside its cached fragment, so a cache hit builds no query.
        "featured": lambda: selectors.product_featured(tree),
        "newest": lambda: selectors.product_newest(tree),
        "categories": tree.roots,
    }
    return render(request, "home.html", ctx)


@require_safe
@shared_page
def product_list(request: HttpRequest) -> HttpResponse:
    return _list(request, category=None)


@require_safe
@shared_page
def category_detail(request: HttpRequest, slug: str) -> HttpResponse:
    return _list(request, category=slug)


def _list(request: HttpRequest, category: str | None) -> HttpResponse:
    version = catalog_version(request)
    tree = selectors.category_tree(version)
    current: Category | None = None
    if category is not None:
        current = tree.get(category)
        if current is None and (moved := selectors.category_moved(tree, category)):
            return _moved(request, moved)
        if current is None or not tree.is_visible(current):
            raise Http404("No such category.")
    definitions = facets.facet_definitions(version)
    params = facets.facets_clean(list_params(request.GET, tree.visible_slugs()), definitions)
    current_filter = tree.get(params.category) if current is None and params.category else current
    words = search.SearchWords(params.q)  # the list and the facet counts search the same, corrected words
    counted: list[facets.Facets] = []

    def facet_counts() -> facets.Facets:
        counted.append(
            facets.facets_count(
                tree, params, current_filter, definitions, category_page=current is not None, words=words
            )
        )
        return counted[-1]

    ctx = {
        # Built only when the template renders it, i.e. not when the form's markup comes from the cache.
        "form": lambda: ProductListForm.for_params(params, tree.options()),
        "params": params,
        "version": version,
        "category": current,
        "breadcrumbs": tree.ancestors(current) if current else [],
        "subcategories": tree.children(current) if current else [],
        # The template shows the facets first: their counts then tell the page how many products it has.
        "products": selectors.product_list(
            tree,
            params,
            category=current_filter,
            version=version,
            words=words,
            definitions=definitions,
            count=lambda: counted[-1].result_count if counted else None,
        ),
        # Counted only when the template renders it, like the products.
        "facets": facet_counts,
    }
    searched = params.q and params.page == 1
    if searched and (is_shared(request) or recording_allowed(request)):
        results = selectors.product_list_count(ctx["products"], f"{version}:{category}:{params.query(page=1)}")
        if is_shared(request):  # the page's beacon records it for its visitor (shop.views.page_seen)
            ctx["page_seen"] = urlencode({"q": params.q, "results": results})
        else:
            event_record(request, EventName.SEARCH, props={"query": params.q, "results": results})
    return render_page_or_fragment(request, "catalog/product_list.html", ctx, fragment="results")


@require_safe
@shared_page(also=(selectors.RECENT_COOKIE,))
def product_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The product page; `?variant=` or `?option-<id>=<value id>` pick a variant (a plain GET form).

    htmx gets the product block alone (price, stock, gallery, add button of the chosen variant).
    """
    version = catalog_version(request)
    tree = selectors.category_tree(version)
    try:
        product = selectors.product_get_visible(tree, slug, version)
    except Http404:
        if moved := selectors.product_moved(tree, slug):
            return _moved(request, moved)
        raise
    choice = selectors.variant_choose(product, version, request.GET)
    recent = selectors.recently_viewed_ids(request)
    ctx = {
        "version": version,
        "product": product,
        "choice": choice,
        "selected": choice.selected,
        "breadcrumbs": [*tree.ancestors(product.category), product.category],
        # Callables: the template calls them inside its cached fragment, so a cache hit builds no query.
        "images": lambda: selectors.product_images(product, choice.selected),
        "specs": lambda: selectors.product_specs(product),
        "related": lambda: selectors.product_related(tree, product),
        "also_bought": lambda: selectors.product_also_bought(tree, product),
        # Per visitor, so outside the shared cache; no query when the visitor has seen nothing else yet.
        "recent": selectors.recently_viewed(tree, [pk for pk in recent if pk != product.pk]),
    }
    partial = wants_fragment(request)
    if is_shared(request):  # the page's beacon records the view and the recently viewed (shop.views.page_seen)
        ctx["page_seen"] = "" if partial else urlencode({"product": product.pk})
    else:
        event_record(request, EventName.PRODUCT_VIEWED, object_id=product.pk)
    response = render_page_or_fragment(request, "catalog/product_detail.html", ctx, fragment="product")
    if not partial and not is_shared(request):
        services.recently_viewed_push(response, recent, product.pk)
    return response


def _moved(request: HttpRequest, target) -> HttpResponsePermanentRedirect:
    """301 from a former slug to `target`'s current URL, with the same query string."""
    query = request.META.get("QUERY_STRING", "")
    return HttpResponsePermanentRedirect(target.get_absolute_url() + (f"?{query}" if query else ""))
