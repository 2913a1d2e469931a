from decimal import Decimal

import pytest

from catalog.models import Attribute, AttributeChoice, OptionValue, Product, ProductAttributeValue
from tests.api.conftest import problem
from tests.factories import (
    default_variant,
    make_category,
    make_product,
    make_product_type,
    make_products,
    make_variant,
    stock_of,
)


def test_products_are_paginated_in_a_stable_order(anon, category):
    make_products(25, category=category)
    first = anon.get("/products/?per_page=10").json()
    second = anon.get("/products/?per_page=10&page=2").json()
    assert first["count"] == 25
    assert first["pages"] == 3
    ids = [p["id"] for p in first["items"]] + [p["id"] for p in second["items"]]
    assert len(set(ids)) == 20


def test_list_and_detail_give_the_primary_images_thumbnail(anon, category):
    from catalog.services import product_image_add
    from tests.factories import image_upload

    lamp = make_product("Lamp", category=category)
    make_product("Mug", category=category)
    product_image_add(lamp, image_upload(), primary=True)

    listed = {p["name"]: p["thumbnail"] for p in anon.get("/products/").json()["items"]}
    assert listed["Mug"] is None
    assert listed["Lamp"].startswith("/media/products/thumbnails/")
    assert anon.get(f"/product/{lamp.pk}").json()["thumbnail"] == listed["Lamp"]


def test_products_filter_and_sort_like_the_storefront(anon, category):
    cheap = make_product("Cheap widget", category=category, price=Decimal("1.00"), stock=0)
    dear = make_product("Dear widget", category=category, price=Decimal("99.00"))
    other = make_product("Elsewhere", category=make_category("Garden", slug="garden"))
    by_price = [p["id"] for p in anon.get("/products/?sort=-price&category=tools").json()["items"]]
    assert by_price == [dear.pk, cheap.pk]
    in_stock = [p["id"] for p in anon.get("/products/?in_stock=true&category=tools").json()["items"]]
    assert in_stock == [dear.pk]
    found = [p["id"] for p in anon.get("/products/?q=widget").json()["items"]]
    assert other.pk not in found
    assert set(found) == {cheap.pk, dear.pk}


def test_an_unknown_category_or_sort_is_a_4xx(anon, product):
    problem(anon.get("/products/?category=nope"), 404)
    problem(anon.get("/products/?sort=sideways"), 422)
    problem(anon.get("/products/?per_page=1000"), 422)
    problem(anon.get("/products/?page=-1"), 422)


def test_catalog_reads_carry_an_etag_and_answer_304_until_the_catalog_changes(anon, product):
    first = anon.get("/products/")
    tag = first["ETag"]
    assert "Authorization" in first["Vary"]  # staff see more: caches keep callers apart
    assert anon.get("/products/", If_None_Match=tag).status_code == 304
    detail = anon.get(f"/product/{product.pk}")
    assert anon.get(f"/product/{product.pk}", If_None_Match=detail["ETag"]).status_code == 304
    categories = anon.get("/categories/")
    assert anon.get("/categories/", If_None_Match=categories["ETag"]).status_code == 304
    Product.objects.filter(pk=product.pk).update(price=Decimal("11.00"))  # bumps updated_at
    product.refresh_from_db()
    product.save()
    again = anon.get("/products/", If_None_Match=tag)
    assert again.status_code == 200
    assert again["ETag"] != tag
    assert again.json()["items"][0]["price"] == "11.00"


def test_staff_create_a_product_through_the_catalog_service(staff_api, category):
    response = staff_api.post(
        "/product/", {"name": "Copper cog", "sku": "COG-1", "price": "4.20", "stock": 3, "category_id": category.pk}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["slug"] == "copper-cog"
    assert body["price"] == "4.20"
    assert stock_of(Product.objects.get(sku="COG-1")) == 3


def test_a_duplicate_sku_or_unknown_category_is_a_422(staff_api, product):
    body = {"name": "Copy", "sku": product.sku, "price": "1.00", "category_id": product.category_id}
    problem(staff_api.post("/product/", body), 422)
    problem(staff_api.post("/product/", {**body, "sku": "NEW", "category_id": 999999}), 422)


@pytest.mark.parametrize("price", ["-1.00", "abc", "1.234", 10**20])
def test_a_bad_price_is_a_422(staff_api, category, price):
    problem(staff_api.post("/product/", {"name": "A", "sku": "A", "price": price, "category_id": category.pk}), 422)


def test_staff_change_a_product_partially(staff_api, product):
    response = staff_api.put(f"/product/{product.pk}", {"price": "12.50", "stock": 0})
    assert response.status_code == 200, response.content
    product.refresh_from_db()
    assert product.price == Decimal("12.50")
    assert stock_of(product) == 0
    assert product.name == "Brass gear"


def test_delete_archives_the_product_which_then_is_gone_for_shoppers_but_not_staff(staff_api, anon, product):
    assert staff_api.delete(f"/product/{product.pk}").status_code == 204
    product.refresh_from_db()
    assert product.is_archived
    problem(anon.get(f"/product/{product.pk}"), 404)
    assert anon.get("/products/").json()["count"] == 0
    assert staff_api.get(f"/product/{product.pk}").json()["is_deleted"] is True


def test_a_product_in_a_hidden_category_is_a_404_for_shoppers(anon, product, category):
    category.is_active = False
    category.save()
    problem(anon.get(f"/product/{product.pk}"), 404)


def test_categories_list_only_visible_ones(anon, category):
    make_category("Hidden", slug="hidden", is_active=False)
    assert [c["slug"] for c in anon.get("/categories/").json()] == ["tools"]


@pytest.mark.parametrize("per_page", [5, 20])
def test_product_list_sql_is_constant_in_page_size(anon, category, django_assert_num_queries, per_page):
    make_products(30, category=category)
    anon.get("/products/")  # the category tree is cached per catalog version
    with django_assert_num_queries(4):  # version, count, page (with its primary thumbnails), the page's variants
        assert len(anon.get(f"/products/?per_page={per_page}").json()["items"]) == per_page


def test_product_list_with_a_token_adds_only_the_token_lookup(shopper_api, category, django_assert_num_queries):
    make_products(30, category=category)
    shopper_api.get("/products/")
    with django_assert_num_queries(5):  # the token, then the four of the anonymous list
        shopper_api.get("/products/?per_page=20")


def test_a_304_costs_only_the_version_query(anon, product, django_assert_num_queries):
    tag = anon.get("/products/")["ETag"]
    with django_assert_num_queries(1):
        assert anon.get("/products/", If_None_Match=tag).status_code == 304


def test_product_detail_queries(anon, product, django_assert_num_queries):
    anon.get(f"/product/{product.pk}")
    with django_assert_num_queries(4):  # catalog version, the product, its primary image, its variants
        assert anon.get(f"/product/{product.pk}").status_code == 200


def test_a_repeated_products_page_is_served_from_the_cache_until_the_catalog_changes(
    anon, product, django_assert_num_queries
):
    first = anon.get("/products/?per_page=20")
    with django_assert_num_queries(1):  # the catalog version; the body comes from the cache under its ETag
        again = anon.get("/products/?per_page=20")
    assert again.content == first.content
    assert again["ETag"] == first["ETag"]
    assert again["Content-Type"] == first["Content-Type"] == "application/json; charset=utf-8"
    variant = default_variant(product)
    variant.stock = 0
    variant.save()
    changed = anon.get("/products/?per_page=20")
    assert changed["ETag"] != first["ETag"]
    assert changed.json()["items"][0]["in_stock"] is False


@pytest.fixture
def tees(category):
    """Two typed tees with sizes, a material and a yes/no attribute, and an untyped product."""
    tee_type = make_product_type("Tee", {"Size": ["S", "M"]})
    material = Attribute.objects.create(product_type=tee_type, name="Material", kind="choice", is_facetable=True)
    cotton = AttributeChoice.objects.create(attribute=material, value="Cotton")
    organic = Attribute.objects.create(product_type=tee_type, name="Organic", kind="boolean", is_facetable=True)
    alpha = make_product("Alpha Tee", category=category, product_type=tee_type, price=Decimal("20.00"))
    beta = make_product("Beta Tee", category=category, product_type=tee_type, price=Decimal("30.00"))
    for product in (alpha, beta):
        product.variants.all().delete()
    make_variant(alpha, "S", stock=2)
    make_variant(beta, "M", stock=3)
    ProductAttributeValue.objects.create(product=alpha, attribute=material, value_choice=cotton)
    ProductAttributeValue.objects.create(product=alpha, attribute=organic, value_bool=True)
    ProductAttributeValue.objects.create(product=beta, attribute=organic, value_bool=False)
    make_product("Mug", category=category, price=Decimal("5.00"))
    sizes = {v.value: v.pk for v in OptionValue.objects.filter(option__product_type=tee_type)}
    return {"alpha": alpha.pk, "beta": beta.pk, "M": sizes["M"], "cotton": cotton.pk, "organic": organic.pk}


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [p["id"] for p in response.json()["items"]]


def test_products_filter_by_the_storefronts_facets(anon, tees):
    assert ids(anon.get(f"/products/?o={tees['M']}")) == [tees["beta"]]
    assert ids(anon.get(f"/products/?a={tees['cotton']}")) == [tees["alpha"]]
    assert ids(anon.get(f"/products/?b={tees['organic']}-no")) == [tees["beta"]]
    both = anon.get(f"/products/?b={tees['organic']}-yes&b={tees['organic']}-no")
    assert ids(both) == [tees["alpha"], tees["beta"]]
    assert ids(anon.get("/products/?min_price=10&max_price=25")) == [tees["alpha"]]
    assert ids(anon.get(f"/products/?o={tees['M']}&a={tees['cotton']}")) == []  # contradictory: empty


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("o=999999", "unknown"),
        ("a=999999", "unknown"),
        ("b=999999-yes", "unknown"),
        ("o=-3", "could not be read"),
        ("o=99999999999999999999999999", "could not be read"),
        ("b=7-maybe", "could not be read"),
        ("min_price=cheap", "could not be read"),
        ("max_price=NaN", "could not be read"),
        ("min_price=50&max_price=10", "lowest price is above the highest"),
    ],
)
def test_bad_facet_values_are_a_422_with_the_storefronts_reason(anon, tees, query, reason):
    body = problem(anon.get(f"/products/?{query}"), 422)
    assert reason in body["detail"]


def test_500_facet_parameters_are_a_422_not_a_500(anon, tees):
    query = "&".join([f"o={tees['M']}"] * 250 + [f"o={n}" for n in range(1, 251)])
    body = problem(anon.get(f"/products/?{query}"), 422)
    assert "left out" in body["detail"]


def test_an_unreadable_facet_id_is_a_422(anon, tees):
    problem(anon.get("/products/?o=abc"), 422)


def test_the_openapi_schema_documents_the_facet_parameters(anon):
    schema = anon.get("/openapi.json").json()
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/products/"]["get"]["parameters"]}
    assert {"o", "a", "b", "min_price", "max_price"} <= set(parameters)
    assert parameters["o"]["schema"]["type"] == "array"
    assert "-yes" in parameters["b"]["schema"]["description"]
