import os

import pytest

# Sync Playwright runs an event loop in the test thread; Django's ORM refuses that unless told.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _analytics_buffer_discarded():
    """Events a test's requests buffered (analytics) never outlive it: no flush into another test's database."""
    yield
    from analytics.recorder import recorder

    recorder.stop()
    recorder.discard()


@pytest.fixture(autouse=True)
def _storefront_chrome_fresh():
    """Each test reads the brand and footer pages from its own database, never a cache an earlier test filled."""
    from django.core.cache import cache

    from storefront.selectors import CHROME_CACHE_KEY

    cache.delete(CHROME_CACHE_KEY)
    yield
    cache.delete(CHROME_CACHE_KEY)


@pytest.fixture(scope="session", autouse=True)
def _live_listener_stopped(django_db_setup):
    """live: the test process's LISTEN connection (PostgreSQL) closes before the test database is dropped."""
    yield
    from live.broker import listener

    listener.stop()
