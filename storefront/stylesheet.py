"""The shop's one stylesheet: its CSS files in order, plus the brand's colours, served under a content hash.

The files stay separate in static/css/ (each app keeps its own, no build step); the browser loads one
render-blocking stylesheet, cached for a year because its name changes with its content.
"""

import hashlib
from functools import lru_cache

from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import translation

from storefront.colors import darken_to_aa
from storefront.selectors import Chrome, chrome_get, chrome_get_cached_only

# Order matters: the design system first, then the apps' rules that use its custom properties.
FILES = [
    "css/shop.css",
    "css/accounts.css",
    "css/catalog.css",
    "css/cart.css",
    "css/orders.css",
    "css/analytics.css",
    "css/storefront.css",
]


def _read_files() -> str:
    parts = []
    for name in FILES:
        path = finders.find(name)
        if path is None:
            raise FileNotFoundError(f"stylesheet {name} is listed in storefront/stylesheet.py but not found")
        with open(path, encoding="utf-8") as fh:
            parts.append(f"/* {name} */\n{fh.read()}")
    return "\n".join(parts)


_read_files_once = lru_cache(maxsize=1)(_read_files)


def _files() -> str:
    # In development an edited file shows on reload; elsewhere the files are read once per process.
    return _read_files() if settings.DEBUG else _read_files_once()


def _with_accent(accent: str) -> tuple[str, str]:
    # The accent is validated for AA on white when staff save it (storefront.models.validate_accent); one
    # saved before that rule, or set in the database by hand, is darkened here rather than served failing.
    css = _files() + f"\n/* brand */\n:root {{ --accent: {darken_to_aa(accent)}; }}\n"
    return css, hashlib.blake2b(css.encode(), digest_size=8).hexdigest()


_with_accent_once = lru_cache(maxsize=16)(_with_accent)


def _bundle_for(chrome: Chrome) -> tuple[str, str]:
    return _with_accent(chrome.accent) if settings.DEBUG else _with_accent_once(chrome.accent)


def bundle() -> tuple[str, str]:
    """(css, digest) for the current brand."""
    return _bundle_for(chrome_get())


def url_for(chrome: Chrome) -> str:
    # One address for every language (no /de/ prefix): browsers and caches keep one copy.
    with translation.override(settings.LANGUAGE_CODE):
        return reverse("storefront:stylesheet", args=[_bundle_for(chrome)[1]])


def context() -> dict:
    """The stylesheet's URL for templates rendered without a request (error pages): no database."""
    return {"stylesheet_url": url_for(chrome_get_cached_only())}
