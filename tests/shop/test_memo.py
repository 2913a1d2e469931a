"""shop.memo: values kept in the process under the catalog version."""

import pytest

from catalog import selectors
from catalog.models import Category
from shop.memo import VersionMemo


def test_a_memo_builds_a_value_once_per_key_and_keeps_the_newest_keys():
    built = []
    memo = VersionMemo(size=2)

    def build(key):
        return lambda: built.append(key) or key.upper()

    assert memo.get("a", build("a")) == "A"
    assert memo.get("a", build("a")) == "A"
    memo.get("b", build("b"))
    memo.get("c", build("c"))  # "a" is the least recently used: dropped
    memo.get("b", build("b"))
    memo.get("a", build("a"))

    assert built == ["a", "b", "c", "a"]


@pytest.mark.django_db
def test_the_category_tree_is_read_once_per_catalog_version(django_assert_num_queries, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    Category.objects.create(name="Lamps", slug="lamps")
    version = selectors.catalog_version()
    with django_assert_num_queries(1):
        selectors.category_tree(version)
    with django_assert_num_queries(0):  # no shared cache, yet no query: the process keeps it
        assert [c.slug for c in selectors.category_tree(version).categories] == ["lamps"]

    Category.objects.create(name="Rugs", slug="rugs")  # a new version
    version = selectors.catalog_version()
    with django_assert_num_queries(1):
        assert {c.slug for c in selectors.category_tree(version).categories} == {"lamps", "rugs"}
