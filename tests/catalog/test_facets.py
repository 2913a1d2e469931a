"""Faceted navigation: category, availability, price, options and attributes, with counts that keep the other
selected filters, in a constant number of queries; bad facet input gets a message, never a 500."""

import re
from decimal import Decimal

import pytest
from django.db import connection

from catalog.models import Attribute, AttributeChoice, OptionValue, Product, ProductAttributeValue
from tests.budgets import CHROME
from tests.factories import caches_clear, make_category, make_product, make_product_type, make_variant


@pytest.fixture
def shop(db):
    clothes = make_category("Clothes", slug="clothes")
    tees = make_category("Tees", slug="tees", parent=clothes)
    kitchen = make_category("Kitchen", slug="kitchen")
    tee_type = make_product_type("Tee", {"Size": ["S", "M"], "Colour": ["Blue", "Red"]})
    material = Attribute.objects.create(product_type=tee_type, name="Material", kind="choice", is_facetable=True)
    cotton = AttributeChoice.objects.create(attribute=material, value="Cotton")
    linen = AttributeChoice.objects.create(attribute=material, value="Linen")
    a = make_product("Alpha Tee", category=tees, product_type=tee_type, price=Decimal("20.00"))
    b = make_product("Beta Tee", category=tees, product_type=tee_type, price=Decimal("30.00"))
    for product in (a, b):
        product.variants.all().delete()
    make_variant(a, "S", "Blue", stock=2)
    make_variant(a, "M", "Red", stock=0)
    make_variant(b, "M", "Blue", stock=3)
    ProductAttributeValue.objects.create(product=a, attribute=material, value_choice=cotton)
    ProductAttributeValue.objects.create(product=b, attribute=material, value_choice=linen)
    make_product("Mug", category=kitchen, price=Decimal("5.00"), stock=4)
    ids = {v.value: v.pk for v in OptionValue.objects.filter(option__product_type=tee_type)}
    return {
        "S": ids["S"],
        "M": ids["M"],
        "Blue": ids["Blue"],
        "Red": ids["Red"],
        "Cotton": cotton.pk,
        "Linen": linen.pk,
    }


def names(response) -> list[str]:
    return re.findall(r'<span class="product-name">([^<]+)</span>', response.content.decode())


def facet(response, label: str) -> tuple[int, bool]:
    """(count, selected) of a facet value's link."""
    page = response.content.decode()
    match = re.search(
        r'role="checkbox" aria-checked="(true|false)">' + re.escape(label) + r' <span class="facet-count">\((\d+)\)',
        page,
    )
    assert match, f"no facet value {label!r}"
    return int(match[2]), match[1] == "true"


def test_each_value_counts_its_products(client, shop):
    response = client.get("/products/")

    assert names(response) == ["Alpha Tee", "Beta Tee", "Mug"]
    assert facet(response, "M") == (2, False)
    assert facet(response, "S") == (1, False)
    assert facet(response, "Cotton") == (1, False)
    assert facet(response, "In stock") == (3, False)


def test_options_must_hold_for_one_and_the_same_variant(client, shop):
    # Alpha has an M (red) and a blue (S), but no blue M.
    response = client.get("/products/", {"o": [shop["M"], shop["Blue"]]})

    assert names(response) == ["Beta Tee"]
    assert facet(response, "M") == (1, True)
    assert facet(response, "Blue") == (1, True)
    assert facet(response, "S") == (1, False)  # sizes keep the colour chosen: Alpha's blue is an S


def test_values_of_one_option_are_alternatives_and_counts_keep_the_other_filters(client, shop):
    response = client.get("/products/", {"o": [shop["S"], shop["M"]], "a": shop["Cotton"]})

    assert names(response) == ["Alpha Tee"]
    # Material's own values ignore the material chosen, but keep the sizes.
    assert facet(response, "Cotton") == (1, True)
    assert facet(response, "Linen") == (1, False)
    # Sizes keep the material: only Alpha (cotton) counts.
    assert facet(response, "M") == (1, True)


def test_in_stock_means_a_variant_in_stock_with_the_chosen_options(client, shop):
    response = client.get("/products/", {"o": shop["M"], "in_stock": "on"})

    assert names(response) == ["Beta Tee"]  # Alpha's M is sold out
    assert facet(response, "In stock") == (1, True)


def test_the_price_range_uses_each_variants_price(client, shop):
    response = client.get("/products/", {"min_price": "25", "max_price": "40"})
    assert names(response) == ["Beta Tee"]
    assert 'name="min_price" min="0" step="0.01" inputmode="decimal" value="25.00"' in response.content.decode()


def test_a_minimum_above_the_maximum_is_explained_and_matches_nothing(client, shop):
    response = client.get("/products/", {"min_price": "50", "max_price": "10"})

    assert response.status_code == 200
    assert names(response) == []
    assert "The lowest price is above the highest" in response.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        {"o": "999999"},
        {"a": "999999"},
        {"o": "abc"},
        {"o": "-3"},
        {"min_price": "cheap"},
        {"max_price": "NaN"},
        {"min_price": "1e400"},
        {"o": "99999999999999999999999999"},
    ],
)
def test_unknown_or_unreadable_facet_values_are_left_out_with_a_message(client, shop, query):
    response = client.get("/products/", query)

    assert response.status_code == 200
    assert names(response) == ["Alpha Tee", "Beta Tee", "Mug"]
    assert "were left out" in response.content.decode()


def test_500_facet_parameters_get_a_message_not_a_500(client, shop):
    query = "&".join([f"o={shop['M']}"] * 250 + [f"o={n}" for n in range(1, 251)])

    response = client.get(f"/products/?{query}")

    assert response.status_code == 200
    assert "were left out" in response.content.decode()


def test_contradictory_filters_give_an_empty_result(client, shop):
    response = client.get("/categories/kitchen/", {"o": shop["M"]})
    assert response.status_code == 200
    assert names(response) == []
    assert "No products match" in response.content.decode()


def test_category_counts_include_subcategories_and_keep_the_other_filters(client, shop):
    response = client.get("/products/", {"o": shop["M"]})
    page = response.content.decode()
    assert re.search(r'>Clothes <span class="facet-count">\(2\)', page)
    assert re.search(r'>Tees <span class="facet-count">\(2\)', page)
    assert re.search(r'>Kitchen <span class="facet-count">\(0\)', page)
    assert f'href="?category=tees&amp;o={shop["M"]}"' in page


def test_facet_links_combine_in_the_url_and_htmx_swaps_the_results(client, shop):
    first = client.get("/products/", {"o": shop["M"]})
    link = re.search(r'href="\?([^"]+)" role="checkbox" aria-checked="false">Cotton', first.content.decode())[1]
    assert link.replace("&amp;", "&") == f"o={shop['M']}&a={shop['Cotton']}"

    response = client.get(f"/products/?{link.replace('&amp;', '&')}", headers={"HX-Request": "true"})

    assert response.content.decode().lstrip().startswith('<section id="results"')
    assert names(response) == ["Alpha Tee"] or names(response) == []
    assert "HX-Request" in response["Vary"]


@pytest.mark.parametrize("count", [3, 30])
def test_facet_counts_cost_the_same_queries_whatever_the_catalog_size(client, shop, count, django_assert_num_queries):
    tees = make_category("More tees", slug="more-tees")
    material = Attribute.objects.get()
    for i in range(count):
        product = make_product(f"Tee {i}", category=tees, product_type=material.product_type)
        make_variant(product, "S", "Red", stock=1)
        ProductAttributeValue.objects.create(product=product, attribute=material, value_choice_id=shop["Cotton"])
    caches_clear()
    # version, categories, facet definitions (2), page (with its thumbnails), category counts (with
    # availability: here the filter itself), option counts, attribute counts; the storefront's chrome. No
    # count: the category counts tell it.
    with django_assert_num_queries(8 + CHROME):
        response = client.get("/products/", {"o": [shop["S"], shop["Red"]], "a": shop["Cotton"], "in_stock": "on"})
    assert len(names(response)) == min(count, 20)


def test_facets_filter_and_count_a_search_result(client, shop):
    response = client.get("/products/", {"q": "tee", "o": shop["M"], "a": shop["Linen"]})

    assert names(response) == ["Beta Tee"]
    assert facet(response, "Linen") == (1, True)
    assert facet(response, "Cotton") == (1, False)


@pytest.fixture
def organic(shop):
    """A yes/no facet on the tees: Alpha is organic, Beta is not; the mug has no such attribute."""
    attribute = Attribute.objects.create(
        product_type=Attribute.objects.get(name="Material").product_type,
        name="Organic",
        kind="boolean",
        is_facetable=True,
    )
    ProductAttributeValue.objects.create(
        product=Product.objects.get(name="Alpha Tee"), attribute=attribute, value_bool=True
    )
    ProductAttributeValue.objects.create(
        product=Product.objects.get(name="Beta Tee"), attribute=attribute, value_bool=False
    )
    return {**shop, "yes": f"{attribute.pk}-yes", "no": f"{attribute.pk}-no"}


def test_yes_no_attributes_are_facets_with_a_count_per_answer(client, organic):
    response = client.get("/products/")

    assert re.search(r"<h3>Organic</h3>", response.content.decode())
    assert facet(response, "Yes") == (1, False)
    assert facet(response, "No") == (1, False)


def test_a_yes_no_facet_filters_and_its_counts_keep_the_other_filters(client, organic):
    response = client.get("/products/", {"b": organic["yes"]})

    assert names(response) == ["Alpha Tee"]
    assert facet(response, "Yes") == (1, True)
    assert facet(response, "No") == (1, False)  # the answers of one attribute are alternatives
    assert facet(response, "Cotton") == (1, False)  # other attributes keep the answer chosen
    assert 'name="b" value="' + organic["yes"] + '" form="product-filters"' in response.content.decode()

    # Beta's M is the only one in stock: counts of the answers keep the size and availability.
    response = client.get("/products/", {"o": organic["M"], "in_stock": "on"})
    assert facet(response, "No") == (1, False)
    assert "Yes <span" not in response.content.decode()


def test_both_answers_of_a_yes_no_facet_are_either(client, organic):
    response = client.get("/products/", {"b": [organic["yes"], organic["no"]], "a": organic["Linen"]})

    assert names(response) == ["Beta Tee"]
    assert facet(response, "No") == (1, True)
    assert facet(response, "Yes") == (0, True)  # selected, so shown: Alpha is organic, but cotton


@pytest.mark.parametrize("value", ["999999-yes", "abc", "7-maybe", "-yes", "１-yes"])
def test_unknown_or_unreadable_yes_no_values_are_left_out_with_a_message(client, organic, value):
    response = client.get("/products/", {"b": value})

    assert response.status_code == 200
    assert names(response) == ["Alpha Tee", "Beta Tee", "Mug"]
    assert "were left out" in response.content.decode()


def test_yes_no_facets_cost_no_query_of_their_own(client, organic, django_assert_num_queries):
    caches_clear()
    # As without them: the yes/no answers are counted in the attribute query and defined with the choices.
    # Version, categories, definitions (2), page (with its thumbnails), category counts, in-stock count
    # (PostgreSQL, with two groups or more chosen: in the category counts' query), option counts, attribute
    # counts.
    with django_assert_num_queries(9 - (connection.vendor == "postgresql") + CHROME):
        response = client.get("/products/", {"o": organic["S"], "a": organic["Cotton"], "b": organic["yes"]})
    assert names(response) == ["Alpha Tee"]
