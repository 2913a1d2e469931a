"""Cross-cutting rules: no control characters in paths, private pages never stored, no public answer with a
cookie, CSRF with a visitor's token-less first POST, unused browser features off, text answers compressed."""

import re

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.middleware.csrf import CsrfViewMiddleware, get_token
from django.middleware.gzip import GZipMiddleware
from django.utils.cache import add_never_cache_headers, patch_cache_control, patch_vary_headers
from django.utils.deprecation import MiddlewareMixin

CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


class ControlCharactersMiddleware:
    """A path with a NUL byte or another control character names no page: 404 before any view runs.

    Views take path segments (order numbers, slugs) to the database, and PostgreSQL refuses a NUL byte in
    text with an error; no URL of the shop contains such characters, so one rule covers every route.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if CONTROL_CHARACTERS.search(request.path_info):
            if request.path_info.startswith("/api/"):  # the API answers every error as a problem
                from api.errors import problem_response

                return problem_response(404, "Not found.")
            return HttpResponseNotFound("Not found.", content_type="text/plain")
        return self.get_response(request)


class PrivatePagesMiddleware:
    """Every answer to a logged-in visitor is private: `Cache-Control: no-store, private` (and no-cache).

    One rule instead of a decorator on every view behind login: such pages show the shopper's name, cart or
    orders, so no shared cache and no browser history may keep them. A view that marked its answer
    `public` (product images, the stylesheet: the same bytes for everyone) keeps it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not _declared_public(response):
            add_never_cache_headers(response)
        return response


def _directives(response: HttpResponse) -> set[str]:
    return {d.strip().split("=")[0].lower() for d in response.get("Cache-Control", "").split(",")}


def _declared_public(response: HttpResponse) -> bool:
    return "public" in _directives(response) and not response.cookies


class PublicResponseMiddleware:
    """A `public` answer is the same for everyone: one that sets a cookie becomes `private` (shared caches
    must not hand one visitor's cookie to the next), and one without drops `Vary: Cookie`, which the session
    middleware adds whenever the session was looked at (to find no user) and which would split a shared
    cache's entry by every visitor's analytics or CSRF cookie."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "public" not in _directives(response):
            return response
        if response.cookies:
            kept = [d for d in response["Cache-Control"].split(",") if d.strip().split("=")[0].lower() != "s-maxage"]
            response["Cache-Control"] = ",".join(kept)
            patch_cache_control(response, private=True)
            patch_vary_headers(response, ["Cookie"])
            if "ETag" in response:
                del response["ETag"]
        elif response.has_header("Vary"):
            vary = [v.strip() for v in response["Vary"].split(",") if v.strip().lower() != "cookie"]
            if vary:
                response["Vary"] = ", ".join(vary)
            else:
                del response["Vary"]
        return response


class FreshVisitorCsrfMiddleware(MiddlewareMixin):
    """Lets Django's CSRF check (the next middleware) pass the first POST of a visitor without state.

    A page from a shared cache carries no token (shop/shared.py). Its plain forms marked
    `shop.shared.csrf_fresh_visitor` (add to cart, the cookie notice) may post without one when the request
    has no session and no cart cookie, and no browser says it comes from another site (`Origin` of
    another host, `Sec-Fetch-Site: cross-site`): such a POST can only start a new cart, nothing an
    attacker gains from. A POST that acts on an existing session or cart needs the token as always; the
    answer sets the CSRF cookie, so the page's htmx requests send it from then on (static/js/shop.js).
    """

    def __init__(self, get_response):
        super().__init__(get_response)
        self.csrf = CsrfViewMiddleware(get_response)  # for its Origin check alone

    def process_view(self, request, callback, callback_args, callback_kwargs):
        if getattr(callback, "csrf_fresh_visitor", False) and self._fresh_visitor_post(request):
            request._dont_enforce_csrf_checks = True  # the flag Django's CsrfViewMiddleware honours
            get_token(request)
        return None

    def _fresh_visitor_post(self, request: HttpRequest) -> bool:
        from cart.services import CART_COOKIE

        if request.method != "POST":
            return False
        if settings.SESSION_COOKIE_NAME in request.COOKIES or CART_COOKIE in request.COOKIES:
            return False
        if request.META.get("HTTP_SEC_FETCH_SITE", "").lower() == "cross-site":
            return False
        return "HTTP_ORIGIN" not in request.META or self.csrf._origin_verified(request)


class PermissionsPolicyMiddleware:
    """`Permissions-Policy` from settings.PERMISSIONS_POLICY on every response (the shop uses none of them)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.header = ", ".join(f"{feature}=()" for feature in settings.PERMISSIONS_POLICY)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.header:
            response.headers.setdefault("Permissions-Policy", self.header)
        return response


class TextGZipMiddleware(GZipMiddleware):
    """Gzip for the shop's text answers (HTML, CSS, JavaScript, XML, plain text), nothing else.

    BREACH: Django's GZipMiddleware pads each compressed answer with up to 100 random bytes (the
    "Heal The Breach" mitigation), and Django masks the CSRF token anew in every response, so a secret
    in the page never compresses the same way twice. Images are already compressed; JSON (the API) keeps
    its strong ETags.
    """

    COMPRESSIBLE = (
        "text/html",
        "text/css",
        "text/javascript",
        "application/javascript",
        "application/xml",
        "text/xml",
        "text/plain",
        "image/svg+xml",
    )

    def process_response(self, request, response):
        content_type = response.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type not in self.COMPRESSIBLE:
            return response
        return super().process_response(request, response)
