"""SEO markup: canonical URL, description and Open Graph in <head>; JSON-LD for the product page.

`{% seo_head %}` reads what the page shows from its context (a `product`, a `category`, a content page),
so page templates need no SEO markup of their own.
"""

import json
from urllib.parse import urlencode

from django import template
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from django.utils.html import strip_tags
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from catalog.money import money_round
from shop.i18n import language_alternates
from storefront.selectors import chrome_default

register = template.Library()

DESCRIPTION_CHARS = 160
_JSON_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def canonical_url(request) -> str:
    """The page's address without the parameters that only sort, filter or size it.

    Only the parameters in SEO_CANONICAL_PARAMS survive (the page number by default), in a stable order,
    and `page=1` is the page itself. Facets and sort orders of any app are dropped without knowing them.
    """
    kept = []
    for name in settings.SEO_CANONICAL_PARAMS:
        value = request.GET.get(name, "").strip()
        if not value or (name == "page" and value == "1"):
            continue
        kept.append((name, value))
    query = f"?{urlencode(kept)}" if kept else ""
    return request.build_absolute_uri(request.path) + query


def _plain(text: str) -> str:
    return Truncator(" ".join(strip_tags(text or "").split())).chars(DESCRIPTION_CHARS)


def _default_description(chrome) -> str:
    # The default text is a msgid too (home.html shows it): German pages get it in German.
    return chrome.meta_description or _(settings.SEO_DEFAULT_DESCRIPTION)


def _product_image_url(request, product, version) -> str:
    """The product's primary display image, absolute; cached per catalog version (no query when warm), and
    read once per request (the Open Graph tags and the JSON-LD both show it)."""
    seen = request.__dict__.setdefault("_seo_image_urls", {})
    key = f"seo:image:{version}:{product.pk}"
    url = seen.get(key)
    if url is None:
        url = cache.get(key)
    if url is None:
        name = product.images.filter(is_primary=True).exclude(display="").values_list("display", flat=True).first()
        storage = product.images.model._meta.get_field("display").storage
        url = request.build_absolute_uri(storage.url(name)) if name else ""
        cache.set(key, url, 600)
    seen[key] = url
    return url


@register.inclusion_tag("storefront/seo_head.html", takes_context=True)
def seo_head(context):
    request = context.get("request")
    chrome = context.get("chrome") or chrome_default()
    product = context.get("product")
    category = context.get("category")
    content_page = context.get("content_page")
    data = {"site_name": chrome.name, "type": "website", "image": "", "price": None, "currency": None}
    if request is None:
        return data | {"description": _default_description(chrome), "title": chrome.name}
    if product is not None and hasattr(product, "sku"):
        at_shop = _("%(product)s at %(shop)s.") % {"product": product.name, "shop": chrome.name}
        data |= {
            "title": product.name,
            "description": _plain(product.description) or at_shop,
            "type": "product",
            "image": _product_image_url(request, product, context.get("version", "")),
            "price": money_round(product.current_price),  # what it sells for now; machine format: a plain decimal
            "currency": settings.SHOP_CURRENCY,
        }
    elif category is not None and hasattr(category, "slug"):
        own = _plain(getattr(category, "description", ""))
        fallback = _("%(category)s at %(shop)s.") % {"category": category.name, "shop": chrome.name}
        fallback = f"{fallback} {_default_description(chrome)}"
        data |= {"title": category.name, "description": own or fallback}
    elif content_page is not None:
        data |= {"title": content_page.title, "description": content_page.meta_description or _plain(content_page.body)}
    else:
        data |= {"title": chrome.name, "description": _default_description(chrome)}
    data["description"] = _plain(data["description"])
    if not data["image"] and chrome.logo_url:
        data["image"] = request.build_absolute_uri(chrome.logo_url)
    data["canonical"] = canonical_url(request)
    data["alternates"] = hreflang_links(request, data["canonical"])
    return data


def hreflang_links(request, canonical: str) -> list[tuple[str, str]]:
    """[(hreflang, absolute URL)] for this page in every language, and x-default (the default language's).

    Each is the canonical URL of that language's page: the same kept query, another prefix.
    """
    alternates = language_alternates(request)
    if not alternates:
        return []
    query = canonical.partition("?")[2]
    suffix = f"?{query}" if query else ""
    links = [(a["code"], request.build_absolute_uri(a["path"]) + suffix) for a in alternates]
    default = next(url for code, url in links if code == settings.LANGUAGE_CODE)
    return [*links, ("x-default", default)]


def _json_ld(data: dict) -> str:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(_JSON_ESCAPES)
    # json.dumps plus the escapes above: no "</script>" or "<!--" can survive inside the block.
    return mark_safe(f'<script type="application/ld+json">{text}</script>')  # noqa: S308


@register.simple_tag(takes_context=True)
def product_json_ld(context, product, breadcrumbs, variant=None):
    """schema.org Product with its Offer, and the page's BreadcrumbList, as one JSON-LD block.

    The offer is the chosen variant's (its price, SKU and stock); with no variant (a combination that
    does not exist) the product's price, out of stock.
    """
    request = context["request"]
    chrome = context.get("chrome") or chrome_default()
    url = request.build_absolute_uri(product.get_absolute_url())
    image = _product_image_url(request, product, context.get("version", ""))
    offer = {
        "@type": "Offer",
        "url": url,
        "price": str(money_round(variant.price_now(product)[1] if variant else product.current_price)),
        "priceCurrency": settings.SHOP_CURRENCY,
        "availability": "https://schema.org/InStock"
        if variant is not None and variant.in_stock
        else "https://schema.org/OutOfStock",
        "itemCondition": "https://schema.org/NewCondition",
        "seller": {"@type": "Organization", "name": chrome.name},
    }
    item = {
        "@type": "Product",
        "@id": f"{url}#product",
        "name": product.name,
        "sku": variant.sku if variant else product.sku,
        "url": url,
        "description": _plain(product.description) or product.name,
        "offers": offer,
    }
    if image:
        item["image"] = [image]
    if getattr(product, "category", None) is not None:
        item["category"] = product.category.name
    trail = [(chrome.name, reverse("home")), (_("Products"), reverse("catalog:product-list"))]
    trail += [(crumb.name, crumb.get_absolute_url()) for crumb in breadcrumbs]
    trail.append((product.name, product.get_absolute_url()))
    crumbs = {
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": n, "name": name, "item": request.build_absolute_uri(path)}
            for n, (name, path) in enumerate(trail, start=1)
        ],
    }
    return _json_ld({"@context": "https://schema.org", "@graph": [item, crumbs]})
