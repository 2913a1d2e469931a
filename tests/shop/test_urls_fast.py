"""shop.urls_fast.reverse_slug gives what reverse() gives, in every language."""

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from shop.urls_fast import reverse_slug


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("name", ["catalog:product-detail", "catalog:category-detail"])
def test_a_slug_url_is_the_one_reverse_gives(name, language):
    with translation.override(language):
        for slug in ("birch-lamp", "lamp_2", "A1"):
            assert reverse_slug(name, slug) == reverse(name, args=[slug])


def test_a_slug_a_slug_field_would_not_hold_is_reversed_the_ordinary_way():
    with pytest.raises(NoReverseMatch):  # as reverse() itself: the pattern's slug converter refuses it
        reverse_slug("catalog:product-detail", "straße")


def test_a_changed_urlconf_is_not_answered_from_the_old_one(settings):
    assert reverse_slug("catalog:product-detail", "lamp") == "/products/lamp/"
    settings.FORCE_SCRIPT_NAME = "/shop/"
    from django.urls import set_script_prefix

    set_script_prefix("/shop/")
    try:
        assert reverse_slug("catalog:product-detail", "lamp") == "/shop/products/lamp/"
    finally:
        set_script_prefix("/")
