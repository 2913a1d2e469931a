"""Pages a shared cache (a CDN, nginx's proxy_cache) may keep, and the one kind of POST they may send.

A catalog page asked for by a visitor without state (no login, no cart, no message waiting, nothing viewed
yet) is the same HTML for every such visitor: no CSRF token, no cart count, no cookie set. `shared_page`
marks it `Cache-Control: public, s-maxage=SHOP_SHARED_CACHE_SECONDS, max-age=0` with an `ETag` from the
catalog version, so a shared cache serves it and browsers revalidate it (304). Everything per visitor
comes after the page: the header badge loads itself from /cart/badge/ (private), analytics' page views
come from a beacon (/seen/), the CSRF cookie arrives with the first POST.

A visitor with any of the cookies in `VISITOR_STATE_COOKIES` gets the page rendered for them, `private`,
with `Vary: Cookie`; a reverse proxy must bypass its cache for the same cookies (bench/http_cache.py's
nginx configuration shows how), and on unprefixed (English) pages also for the language cookie
`django_language`. Every storefront page has one URL per language (shop/i18n.py): /de/ pages are German
for everyone; unprefixed ones say `Vary: Accept-Language`, since a German browser is redirected to /de/.

`csrf_fresh_visitor` lets such a page's plain forms (add to cart, the cookie notice) post without a token
when the visitor has no session and no cart yet; see shop.middleware.CsrfViewMiddleware and docs/cart.md.
"""

import hashlib
from collections.abc import Callable
from functools import partial, wraps

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import get_language
from django.views.decorators.http import condition

from accounts.gate import COOKIE_NAME as GATE_COOKIE
from cart.services import CART_COOKIE
from catalog.selectors import catalog_version as _catalog_version
from shop.i18n import prefers_by_cookie
from storefront import stylesheet
from storefront.consent import COOKIE as CONSENT_COOKIE
from storefront.selectors import chrome_for


def visitor_state_cookies() -> tuple[str, ...]:
    """Cookies that change what a page shows (or which session or cart a POST acts on)."""
    return (
        settings.SESSION_COOKIE_NAME,
        CART_COOKIE,
        CookieStorage.cookie_name,
        CONSENT_COOKIE,
        GATE_COOKIE,
    )


def visitor_is_blank(request: HttpRequest, also: tuple[str, ...] = ()) -> bool:
    """True when the request carries nothing of its visitor (nor the page's own cookies `also`): any such
    visitor would get the same page."""
    if settings.SHOP_PASSWORD:  # behind the launch password no page may leave the shop through a cache
        return False
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return False
    if getattr(request, "storefront_page", False) and prefers_by_cookie(request):
        # An unprefixed page shows the default language only to visitors without a language cookie (the
        # German one is redirected, the English one must not be cached for the first): shop/i18n.py.
        return False
    return not any(name in request.COOKIES for name in (*visitor_state_cookies(), *also))


def is_shared(request: HttpRequest) -> bool:
    """Whether this request's page is being rendered for a shared cache (set by `shared_page`)."""
    return getattr(request, "shared_page", False)


def catalog_version(request: HttpRequest) -> str:
    """The catalog version, read once per request (the ETag and the view both need it)."""
    version = getattr(request, "_catalog_version", None)
    if version is None:
        version = request._catalog_version = _catalog_version()
    return version


def _etag(request: HttpRequest, *args, etag_extra=None, **kwargs) -> str | None:
    if not is_shared(request):
        return None  # a visitor's own page changes with their cart: no validator
    if (known := getattr(request, "_shared_etag", None)) is not None:
        return known
    parts = (
        etag_extra(request, *args, **kwargs) if etag_extra else "",
        catalog_version(request),
        repr(chrome_for(request)),  # name, footer pages: read once per request, no query on a warm cache
        stylesheet.url_for(chrome_for(request)),  # the CSS bundle's digest
        settings.SHOP_RELEASE,
        get_language() or "",
        request.META.get("HTTP_HX_REQUEST", ""),  # a history restore: htmx's header, the whole page
        request.get_full_path(),
    )
    etag = request._shared_etag = hashlib.blake2b("\n".join(parts).encode(), digest_size=12).hexdigest()
    return etag


PAGE_KEY = "shared-page:v1:{etag}"


def _kept_in_cache(view, etag_extra):
    """The view, whose shared pages are kept whole in the shop's cache under their ETag.

    The ETag covers everything a shared page shows (the catalog version, the chrome, the stylesheet, the
    release, the language, the full path), so a kept page is never stale: any change makes a new key, and
    the old page expires after SHOP_SHARED_CACHE_SECONDS. A hit costs the catalog version's query and one
    cache read, no rendering. Pages rendered for a visitor (private) are never kept, nor a response that
    sets a cookie or is not a 200. With the cache off (`dummycache://`) every page is rendered.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not is_shared(request) or request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        key = PAGE_KEY.format(etag=_etag(request, *args, etag_extra=etag_extra, **kwargs))
        response = cache.get(key)
        if response is not None:
            return response
        response = view(request, *args, **kwargs)
        if response.status_code == 200 and not response.cookies and not response.streaming:
            cache.set(key, response, settings.SHOP_SHARED_CACHE_SECONDS)
        return response

    return wrapper


def shared_page(view=None, *, also: tuple[str, ...] = (), etag_extra=None):
    """A storefront page a shared cache may keep when the visitor is blank; private for everyone else.

    `also`: cookies only this page shows something of (the product page: recently viewed).
    `etag_extra(request, *args, **kwargs)`: what else than the catalog the page shows (a content page's
    own version).
    """
    if view is None:
        return lambda view: shared_page(view, also=also, etag_extra=etag_extra)
    conditional = condition(etag_func=partial(_etag, etag_extra=etag_extra))(_kept_in_cache(view, etag_extra))

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        # An htmx request comes from a page already in a browser: that visitor's, rendered for them.
        fragment = request.headers.get("HX-Request") == "true" and not request.headers.get("HX-History-Restore-Request")
        request.shared_page = not fragment and visitor_is_blank(request, also)
        response = conditional(request, *args, **kwargs)
        if request.shared_page and response.status_code in (200, 304) and not response.cookies:
            patch_cache_control(response, public=True, s_maxage=settings.SHOP_SHARED_CACHE_SECONDS, max_age=0)
        else:
            patch_cache_control(response, private=True)
            patch_vary_headers(response, ["Cookie"])
            if "ETag" in response:
                del response["ETag"]
        return response

    return wrapper


def csrf_fresh_visitor(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A POST a shared page's plain form sends: accepted without a token from a visitor without a session
    or cart (shop.middleware.CsrfViewMiddleware decides)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        return view(*args, **kwargs)

    wrapper.csrf_fresh_visitor = True
    return wrapper
