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


@pytest.mark.django_db
def test_a_renamed_or_deleted_option_value_shows_in_the_facets_at_once(client, settings):
    """The facet definitions are kept in the process per catalog version, which covers the options, their
    values, the attributes and their choices: an edit or a deletion changes the version."""
    from catalog.models import OptionValue
    from tests.factories import make_product, make_product_type, make_variant

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    shirt = make_product_type("Shirt", {"Size": ["S", "M"]})
    tee = make_product("Tee", product_type=shirt)
    tee.variants.all().delete()
    make_variant(tee, "S")
    make_variant(tee, "M")

    def size_labels() -> list[str]:
        page = client.get("/products/").content.decode()
        facet = page.split('class="facet facet-o"', 1)[1].split("</div>", 1)[0]
        return [label.split(" <span")[0] for label in facet.split('role="checkbox"')[1:]]

    assert [label.split(">", 1)[1] for label in size_labels()] == ["S", "M"]
    small = OptionValue.objects.get(value="S")
    small.value = "Small"
    small.save()
    assert [label.split(">", 1)[1] for label in size_labels()] == ["Small", "M"]

    OptionValue.objects.filter(value="M").delete()  # its variant loses the value
    assert [label.split(">", 1)[1] for label in size_labels()] == ["Small"]
