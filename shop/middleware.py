"""Cross-cutting rules: no control characters in paths, private pages never stored, unused browser features off,
text answers compressed."""

import re

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.middleware.gzip import GZipMiddleware
from django.utils.cache import add_never_cache_headers

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


def _declared_public(response: HttpResponse) -> bool:
    directives = {d.strip().split("=")[0].lower() for d in response.get("Cache-Control", "").split(",")}
    return "public" in directives and not response.cookies


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
