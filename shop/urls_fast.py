"""`reverse()` for the URLs a page builds by the dozen (a product's, a category's), at the cost of a string join.

Django's `reverse()` walks the resolver's patterns on every call (about 25 µs); a product list links every
card, every category of its facets and every breadcrumb. A URL whose only argument is a slug is the same
text around that slug whatever the slug, so it is reversed once per (name, language, script prefix,
urlconf) with a stand-in slug and then filled in. A slug outside `[-a-zA-Z0-9_]` (which a SlugField does
not hold, but a caller might pass) is reversed the ordinary way.
"""

import re

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import get_language

STAND_IN = "slug0stand0in0slug"
SAFE_SLUG = re.compile(r"[-a-zA-Z0-9_]+")
_around: dict[tuple, tuple[str, str]] = {}


def reverse_slug(name: str, slug: str) -> str:
    """`reverse(name, args=[slug])`."""
    key = (name, get_language(), get_script_prefix(), get_urlconf())
    parts = _around.get(key)
    if parts is None:
        before, found, after = reverse(name, args=[STAND_IN]).partition(STAND_IN)
        if not found or STAND_IN in after:
            raise ValueError(f"{name}: its URL does not hold its slug once")
        parts = _around[key] = (before, after)
    if not SAFE_SLUG.fullmatch(slug):
        return reverse(name, args=[slug])
    return parts[0] + slug + parts[1]


@receiver(setting_changed)
def _forget(setting: str, **kwargs) -> None:
    """Tests that swap the URLs or the languages (Django clears its own resolver caches then too)."""
    if setting in ("ROOT_URLCONF", "LANGUAGES", "LANGUAGE_CODE", "FORCE_SCRIPT_NAME"):
        _around.clear()
