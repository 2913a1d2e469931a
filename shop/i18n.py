"""The visitor's language: from the URL on storefront pages, else from the language cookie or Accept-Language.

Storefront pages live under `i18n_patterns` (shop/urls.py): English without a prefix, every other language
under `/<code>/`. A storefront page asked for without a prefix by a visitor whose `django_language` cookie
or, without one, whose Accept-Language header prefers another language is redirected to that language's
URL. So one URL always shows one language, and a shared cache keys its pages by URL alone; the unprefixed
pages also say `Vary: Accept-Language`, and a visitor with a language cookie gets them privately (see
`prefers_by_cookie` and shop/shared.py). Pages outside the storefront (admin, staff pages, API) have no
prefix and follow the cookie or the header as they did before.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponseRedirect
from django.middleware.locale import LocaleMiddleware
from django.urls import URLResolver, get_resolver, get_script_prefix
from django.urls.exceptions import Resolver404
from django.urls.resolvers import LocalePrefixPattern
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme


def _storefront_resolver(urlconf: str) -> URLResolver | None:
    for pattern in get_resolver(urlconf).url_patterns:
        if isinstance(pattern, URLResolver) and isinstance(pattern.pattern, LocalePrefixPattern):
            return pattern
    return None


def is_storefront_path(path: str, urlconf: str | None = None) -> bool:
    """Whether `path` (without a language prefix) is a storefront page, one that has a URL per language."""
    resolver = _storefront_resolver(urlconf or settings.ROOT_URLCONF)
    if resolver is None:
        return False
    with translation.override(settings.LANGUAGE_CODE):  # the default language's prefix is none
        try:
            resolver.resolve(path.removeprefix("/"))  # below the root resolver, paths have no leading slash
        except Resolver404:
            return False
    return True


def strip_language(path: str) -> tuple[str | None, str]:
    """('/de/products/') -> ('de', '/products/'); a path without a prefix -> (None, path)."""
    language = translation.get_language_from_path(path)
    if language is None or language == settings.LANGUAGE_CODE:
        return None, path
    return language, path[len(language) + 1 :]


def url_for_language(path: str, language: str) -> str:
    """The same storefront page in `language`: '/products/?q=x', 'de' -> '/de/products/?q=x'.

    The shop's URL patterns are the same words in every language, so only the prefix changes.
    """
    _, bare = strip_language(path)
    if language == settings.LANGUAGE_CODE:
        return bare
    return f"/{language}{bare}"


def prefers_by_cookie(request: HttpRequest) -> bool:
    """The visitor chose a language with the switcher (the cookie is one of ours)."""
    return request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) in dict(settings.LANGUAGES)


def safe_next(request: HttpRequest, target: str | None) -> str | None:
    """`target` if it is a path on this site, else None."""
    if not target or not url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return None
    return target if target.startswith("/") else None


class ShopLocaleMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware, with the redirect of an unprefixed storefront page to the preferred language."""

    def process_request(self, request: HttpRequest):
        from_path = translation.get_language_from_path(request.path_info)
        urlconf = getattr(request, "urlconf", settings.ROOT_URLCONF)
        request.storefront_page = from_path is None and is_storefront_path(request.path_info, urlconf)
        if from_path:
            translation.activate(from_path)
        else:
            preferred = translation.get_language_from_request(request, check_path=False)
            if not request.storefront_page:
                translation.activate(preferred)  # admin, staff pages, API: cookie or header as before
            else:
                translation.activate(settings.LANGUAGE_CODE)
                if preferred != settings.LANGUAGE_CODE and request.method in ("GET", "HEAD"):
                    request.LANGUAGE_CODE = settings.LANGUAGE_CODE
                    return self._redirect(request, preferred)
        request.LANGUAGE_CODE = translation.get_language()
        return None

    def _redirect(self, request: HttpRequest, language: str) -> HttpResponseRedirect:
        script_prefix = get_script_prefix()
        full_path = request.get_full_path()
        target = full_path.replace(script_prefix, f"{script_prefix}{language}/", 1)
        response = self.response_redirect_class(target)
        # It depends on the cookie and the header: no shared cache may keep it.
        patch_cache_control(response, private=True, max_age=0)
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        return response

    def process_response(self, request: HttpRequest, response):
        if getattr(request, "storefront_page", False):
            # The page is English here, but a German browser or cookie would have been sent elsewhere.
            patch_vary_headers(response, ("Accept-Language",))
        return super().process_response(request, response)


def language_alternates(request: HttpRequest) -> list[dict]:
    """This storefront page in every language: [{"code", "name", "path", "current"}]; [] off the storefront.

    `path` is the page's path in that language (query string not included).
    """
    _, bare = strip_language(request.path_info)
    if not is_storefront_path(bare, getattr(request, "urlconf", None)):
        return []
    current = translation.get_language()
    return [
        {"code": code, "name": name, "path": url_for_language(bare, code), "current": code == current}
        for code, name in settings.LANGUAGES
    ]
