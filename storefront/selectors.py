"""Reads for the storefront's chrome (header, footer, theme): one cached value, two queries when it is cold."""

from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError
from django.urls import reverse

from shop.memo import version_memo
from storefront.models import DEFAULT_ACCENT, Brand, Page

CHROME_CACHE_KEY = "storefront:chrome:v2"
CHROME_CACHE_SECONDS = 3600


@dataclass(frozen=True)
class PageLink:
    title: str
    group: str
    slug: str

    @property
    def url(self) -> str:
        # Reversed when shown, not when cached: the same chrome serves every language's prefix.
        return reverse("storefront:page", args=[self.slug])


@dataclass(frozen=True)
class Chrome:
    """What every storefront page shows around its content: brand, contact details, footer links."""

    name: str
    accent: str = DEFAULT_ACCENT
    logo_url: str = ""
    tagline: str = ""
    meta_description: str = ""
    legal_name: str = ""
    address: str = ""
    email: str = ""
    phone: str = ""
    payment_methods: tuple[str, ...] = ()
    pages: tuple[PageLink, ...] = field(default_factory=tuple)

    def pages_in(self, group: str) -> list[PageLink]:
        return [p for p in self.pages if p.group == group]

    @property
    def service_pages(self) -> list[PageLink]:
        return self.pages_in(Page.Group.SERVICE)

    @property
    def legal_pages(self) -> list[PageLink]:
        return self.pages_in(Page.Group.LEGAL)

    @property
    def privacy_url(self) -> str:
        return next((p.url for p in self.pages if p.slug == "privacy"), "")


def chrome_default() -> Chrome:
    """The chrome from settings alone, for pages that must render without the database (error pages)."""
    return Chrome(name=settings.SHOP_NAME)


def _chrome_from_database() -> Chrome:
    # Two queries: the brand row (if staff saved one) and the published pages.
    brand = Brand.objects.filter(pk=1).first()
    pages = Page.objects.filter(is_published=True).order_by("group", "position", "title")
    links = tuple(PageLink(p.title, p.group, p.slug) for p in pages)
    if brand is None:
        return Chrome(name=settings.SHOP_NAME, pages=links)
    return Chrome(
        name=brand.name,
        accent=brand.accent_colour,
        logo_url=brand.logo.url if brand.logo else "",
        tagline=brand.tagline,
        meta_description=brand.meta_description,
        legal_name=brand.legal_name,
        address=brand.address,
        email=brand.email,
        phone=brand.phone,
        payment_methods=tuple(brand.payment_method_list),
        pages=links,
    )


def chrome_get() -> Chrome:
    """The chrome, from the cache (shared by every process) or the database."""
    chrome = cache.get(CHROME_CACHE_KEY)
    if chrome is None:
        chrome = _chrome_from_database()
        cache.set(CHROME_CACHE_KEY, chrome, CHROME_CACHE_SECONDS)
    return chrome


_chromes = version_memo()


def chrome_for(request) -> Chrome:
    """`chrome_get` read once per request: the ETag, the header and the footer share it (without a shared
    cache, each read would be two queries). On a catalog page, which has read the catalog version (that
    covers the brand and the pages: catalog.selectors.catalog_version), the process keeps it per version."""
    chrome = getattr(request, "_chrome", None)
    if chrome is None:
        version = getattr(request, "_catalog_version", None)
        # Kept values come from the database, not the shared cache: right after an edit commits, the cache may
        # still hold the old chrome for a moment (its entry is deleted on commit), and a kept value stays.
        chrome = _chromes.get(version, _chrome_fresh) if version else chrome_get()
        request._chrome = chrome
    return chrome


def _chrome_fresh() -> Chrome:
    """The chrome from the database, also put in the shared cache (the error pages read it from there)."""
    chrome = _chrome_from_database()
    cache.set(CHROME_CACHE_KEY, chrome, CHROME_CACHE_SECONDS)
    return chrome


def chrome_get_cached_only() -> Chrome:
    """The chrome without touching the database: the cached one, else the defaults (error pages)."""
    try:
        return cache.get(CHROME_CACHE_KEY) or chrome_default()
    except DatabaseError:  # a database-backed cache that is down
        return chrome_default()
