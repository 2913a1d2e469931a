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
def _default_language_afterwards():
    """LocaleMiddleware leaves a German request's language active in the thread; the next test starts in the
    default language."""
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture(autouse=True)
def _cache_cleared():
    """Each test starts with an empty cache (fragments, the catalog tree, the storefront's chrome, rate
    counters) and no value kept in the process (shop.memo), and leaves none behind: the cache is per
    process, the database per test."""
    from django.core.cache import cache

    from shop import memo

    cache.clear()
    memo.clear_all()
    yield
    cache.clear()
    memo.clear_all()


@pytest.fixture(autouse=True)
def _tax_classes(request):
    """The tax classes come from a data migration, and a transactional test's flush empties every table: each
    test using the database finds them again (every product points at the standard class)."""
    marker = request.node.get_closest_marker("django_db")
    names = request.fixturenames
    if "transactional_db" in names or "live_server" in names or (marker and marker.kwargs.get("transaction")):
        request.getfixturevalue("transactional_db")
    elif "db" in names or marker:
        request.getfixturevalue("db")
    else:
        return
    from pricing.services import tax_classes_ensure

    tax_classes_ensure()


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploaded and generated images go to the test's own temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(scope="session", autouse=True)
def _live_listener_stopped(django_db_setup):
    """live: the test process's LISTEN connection (PostgreSQL) closes before the test database is dropped."""
    yield
    from live.broker import listener

    listener.stop()
