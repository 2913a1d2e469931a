"""Writes for the storefront: saving the brand or a page refreshes the cached chrome on every process."""

from django.core.cache import cache
from django.db import transaction

from storefront.models import Brand, Page
from storefront.selectors import CHROME_CACHE_KEY


def chrome_invalidate() -> None:
    """Drop the cached chrome once the transaction commits (the next page reads it anew)."""
    transaction.on_commit(lambda: cache.delete(CHROME_CACHE_KEY))


def brand_save(brand: Brand) -> Brand:
    brand.pk = 1
    brand.full_clean()
    brand.save()
    chrome_invalidate()
    return brand


def page_save(page: Page) -> Page:
    page.save()
    chrome_invalidate()
    return page


def pages_delete(pages) -> int:
    count, _ = pages.delete()
    chrome_invalidate()
    return count
