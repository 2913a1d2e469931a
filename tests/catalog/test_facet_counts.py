"""Facet counts under combined filters: each value's count is the number of products the list would show with
that value chosen and every *other* selected filter kept, checked against a count made by hand over the same
products; on PostgreSQL through the variant–option links' product column, which triggers keep right."""

import itertools
import re
from decimal import Decimal

import pytest
from django.db import connection

from catalog.models import Attribute, AttributeChoice, OptionValue, Product, ProductAttributeValue, ProductVariant
from tests.factories import make_category, make_product, make_product_type, make_variant

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="the product column is PostgreSQL's")


@pytest.fixture
def shop():
    clothes = make_category("Clothes", slug="clothes")
    tees = make_category("Tees", slug="tees", parent=clothes)
    kitchen = make_category("Kitchen", slug="kitchen")
    tee = make_product_type("Tee", {"Size": ["S", "M", "L"], "Colour": ["Blue", "Red", "Green"]})
    material = Attribute.objects.create(product_type=tee, name="Material", kind="choice", is_facetable=True)
    cotton = AttributeChoice.objects.create(attribute=material, value="Cotton")
    linen = AttributeChoice.objects.create(attribute=material, value="Linen")
    organic = Attribute.objects.create(product_type=tee, name="Organic", kind="boolean", is_facetable=True)
    # (name, category, price, [(size, colour, stock, own price)], material, organic)
    rows = [
        ("Alpha", tees, "20.00", [("S", "Blue", 2, None), ("M", "Red", 0, None)], cotton, True),
        ("Beta", tees, "30.00", [("M", "Blue", 3, None), ("L", "Green", 1, "45.00")], linen, False),
        ("Gamma", clothes, "12.00", [("S", "Red", 5, None), ("L", "Blue", 0, None)], cotton, None),
        ("Delta", tees, "50.00", [("L", "Red", 4, "15.00")], None, True),
        ("Epsilon", clothes, "25.00", [("M", "Green", 0, None)], linen, True),
    ]
    for name, category, price, variants, choice, answer in rows:
        product = make_product(f"{name} Tee", category=category, product_type=tee, price=Decimal(price))
        product.variants.all().delete()
        for size, colour, stock, own in variants:
            make_variant(product, size, colour, stock=stock, price_override=Decimal(own) if own else None)
        if choice is not None:
            ProductAttributeValue.objects.create(product=product, attribute=material, value_choice=choice)
        if answer is not None:
            ProductAttributeValue.objects.create(product=product, attribute=organic, value_bool=answer)
    make_product("Mug", category=kitchen, price=Decimal("5.00"), stock=4)
    archived = make_product("Archived Tee", category=tees, product_type=tee, price=Decimal("20.00"), is_archived=True)
    hidden = make_category("Hidden", slug="hidden", is_active=False)
    unseen = make_product("Unseen Tee", category=hidden, product_type=tee, price=Decimal("20.00"))
    for invisible in (archived, unseen):  # values of every group, and never counted
        invisible.variants.all().delete()
        make_variant(invisible, "S", "Blue", stock=9)
        ProductAttributeValue.objects.create(product=invisible, attribute=material, value_choice=cotton)
        ProductAttributeValue.objects.create(product=invisible, attribute=organic, value_bool=True)
    values = {v.value: v.pk for v in OptionValue.objects.filter(option__product_type=tee)}
    return {**values, "Cotton": cotton.pk, "Linen": linen.pk, "organic": organic.pk}


def facet_counts(response) -> dict[tuple[str, str] | str, int]:
    """{(group, label): count} of every facet value the page shows (categories and availability included),
    and the number of results the heading gives ("results")."""
    page = response.content.decode()
    aside = re.search(r'<aside class="facets".*?</aside>', page, re.S)[0]
    heading = re.search(r'<h2 id="results-heading"[^>]*>\s*(\d+) products?', page)
    out: dict = {"results": int(heading[1])}
    for name, body in re.findall(r"<h3>([^<]+)</h3>\s*<ul>(.*?)</ul>", aside, re.S):
        for label, count in re.findall(r'>([^<>]+?) <span class="facet-count">\((\d+)\)</span>', body):
            out[(name, label.strip())] = int(count)
    return out


def expected_counts(shop, selected: dict) -> dict[tuple[str, str], int]:
    """The counts made by hand: for each value, the visible products meeting every selected filter with that
    value's group replaced by the value alone (options and stock and price on one and the same variant)."""
    sizes = {name: shop[name] for name in ("S", "M", "L")}
    colours = {name: shop[name] for name in ("Blue", "Red", "Green")}
    products = []
    for product in Product.objects.filter(is_archived=False, category__is_active=True).select_related("category"):
        variants = []
        for variant in ProductVariant.objects.filter(product=product).prefetch_related("option_values"):
            price = variant.price_override if variant.price_override is not None else product.price
            variants.append((set(v.pk for v in variant.option_values.all()), variant.stock, price))
        values = {v.attribute_id: v for v in ProductAttributeValue.objects.filter(product=product)}
        products.append((product, variants, values))

    def matches(entry, f) -> bool:
        product, variants, values = entry
        if f.get("category") and product.category.slug not in f["category"]:
            return False
        choices = {v.value_choice_id for v in values.values() if v.value_choice_id}
        if f["a"] and not choices & f["a"]:
            return False
        answer = values.get(shop["organic"])
        if f["b"] and (answer is None or answer.value_bool not in f["b"]):
            return False

        def variant_ok(options, stock, price) -> bool:
            return (
                (not f["sizes"] or options & f["sizes"])
                and (not f["colours"] or options & f["colours"])
                and (not f["in_stock"] or stock > 0)
                and (f["min"] is None or price >= f["min"])
                and (f["max"] is None or price <= f["max"])
            )

        return any(variant_ok(*v) for v in variants)

    o = set(selected.get("o", ()))
    base = {
        "sizes": o & set(sizes.values()),
        "colours": o & set(colours.values()),
        "a": set(selected.get("a", ())),
        "b": set(selected.get("b", ())),
        "in_stock": selected.get("in_stock", False),
        "min": selected.get("min_price"),
        "max": selected.get("max_price"),
        "category": selected.get("category"),
    }

    def count(**changes) -> int:
        f = {**base, **changes}
        return sum(matches(entry, f) for entry in products)

    out = {}
    for label, pk in sizes.items():
        out[("Size", label)] = count(sizes={pk})
    for label, pk in colours.items():
        out[("Colour", label)] = count(colours={pk})
    for label in ("Cotton", "Linen"):
        out[("Material", label)] = count(a={shop[label]})
    out[("Organic", "Yes")] = count(b={True})
    out[("Organic", "No")] = count(b={False})
    out[("Availability", "In stock")] = count(in_stock=True)
    out["results"] = count()
    # Categories: a category counts its subcategories' products too.
    out[("Category", "Clothes")] = count(category={"clothes", "tees"})
    out[("Category", "Tees")] = count(category={"tees"})
    out[("Category", "Kitchen")] = count(category={"kitchen"})
    return out


SELECTIONS = [
    {},
    {"o": ["M"]},
    {"o": ["M", "Blue"]},
    {"o": ["S", "L", "Red"]},
    {"o": ["Blue"], "in_stock": True},
    {"a": ["Cotton"], "o": ["Red"]},
    {"a": ["Cotton", "Linen"], "b": [True]},
    {"b": [False, True], "o": ["L"], "in_stock": True},
    {"o": ["L"], "min_price": Decimal("40.00")},
    {"o": ["Red"], "max_price": Decimal("16.00"), "a": ["Cotton"]},
    {"o": ["M", "Green"], "b": [True], "in_stock": True},
    # Three groups and more, with availability and price: on PostgreSQL counted over the products of the
    # chosen values (catalog.facets.facets_count), checked here against the count by hand.
    {"o": ["S", "Blue"], "a": ["Cotton"]},
    {"o": ["M", "L", "Blue"], "a": ["Linen"], "in_stock": True},
    {"o": ["S", "Red"], "a": ["Cotton"], "b": [True], "max_price": Decimal("25.00")},
    {"o": ["L", "Green"], "a": ["Cotton", "Linen"], "b": [False], "min_price": Decimal("40.00"), "in_stock": True},
    # Attribute groups alone: the variant conditions (stock, price) asked of each product.
    {"a": ["Cotton"], "b": [True]},
    {"a": ["Linen"], "b": [False, True], "in_stock": True, "max_price": Decimal("40.00")},
    # A group whose values no visible product has.
    {"o": ["S"], "b": [False], "a": ["Cotton"]},
]


@pytest.mark.parametrize("selection", SELECTIONS, ids=lambda s: ",".join(f"{k}={v}" for k, v in s.items()) or "none")
def test_each_value_counts_what_choosing_it_would_show_with_the_other_filters_kept(client, shop, selection):
    query = {
        "o": [shop[name] for name in selection.get("o", ())],
        "a": [shop[name] for name in selection.get("a", ())],
        "b": [f"{shop['organic']}-{'yes' if answer else 'no'}" for answer in selection.get("b", ())],
    }
    if selection.get("in_stock"):
        query["in_stock"] = "on"
    for bound in ("min_price", "max_price"):
        if bound in selection:
            query[bound] = str(selection[bound])
    resolved = {
        **selection,
        "o": query["o"],
        "a": query["a"],
        "b": selection.get("b", ()),
    }

    shown = facet_counts(client.get("/products/", query))

    expected = expected_counts(shop, resolved)
    # The page leaves out values that would find nothing unless they are selected.
    assert {key: shown.get(key, 0) for key in expected} == expected


def test_a_search_counts_its_matches_only(client, shop):
    shown = facet_counts(client.get("/products/", {"q": "Alpha"}))

    assert shown[("Size", "S")] == 1
    assert shown[("Size", "M")] == 1
    assert ("Size", "L") not in shown
    assert shown[("Category", "Tees")] == 1


@pytest.mark.parametrize("combination", list(itertools.combinations(["S", "Blue", "Cotton"], 2)))
def test_a_category_page_counts_within_the_category(client, shop, combination):
    query = {"o": [shop[n] for n in combination if n != "Cotton"], "a": [shop[n] for n in combination if n == "Cotton"]}

    shown = facet_counts(client.get("/categories/tees/", query))
    everywhere = expected_counts(shop, {**query, "category": None})
    within = expected_counts(shop, {**query, "category": {"tees"}})
    stocked = expected_counts(shop, {**query, "category": {"tees"}, "in_stock": True})

    assert shown[("Availability", "In stock")] == within[("Availability", "In stock")]
    assert shown[("Category", "Tees")] == everywhere[("Category", "Tees")]
    assert shown[("Category", "Clothes")] == everywhere[("Category", "Clothes")]
    assert shown["results"] == within["results"]
    assert shown["results"] == shown[("Category", "Tees")]
    assert facet_counts(client.get("/categories/tees/", {**query, "in_stock": "on"}))["results"] == stocked["results"]
    # The list's category filter counts the same way.
    assert facet_counts(client.get("/products/", {**query, "category": "tees"}))["results"] == within["results"]


def link_products() -> set[tuple[int, int, int]]:
    """(variant, option value, product) of every variant–option link, read from the table itself."""
    table = ProductVariant.option_values.through._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT productvariant_id, optionvalue_id, product_id FROM {table}")  # noqa: S608 - ours
        return set(cursor.fetchall())


def true_links() -> set[tuple[int, int, int]]:
    return {
        (row.productvariant_id, row.optionvalue_id, row.productvariant.product_id)
        for row in ProductVariant.option_values.through.objects.select_related("productvariant")
    }


@postgres_only
def test_the_links_carry_their_variants_product_through_insert_update_and_delete(client, shop):
    assert link_products() == true_links()
    alpha = Product.objects.get(name="Alpha Tee")
    delta = Product.objects.get(name="Delta Tee")
    variant = make_variant(alpha, "L", "Green", stock=3)  # insert (the ORM's add)
    assert link_products() == true_links()

    ProductVariant.objects.filter(pk=variant.pk).update(product=delta)  # the variant moves to another product
    assert link_products() == true_links()
    assert all(product == delta.pk for v, _, product in link_products() if v == variant.pk)

    through = ProductVariant.option_values.through
    link = through.objects.filter(productvariant=variant).first()
    blue_s = ProductVariant.objects.get(product=alpha, option_values=shop["S"])  # has neither L nor Green
    through.objects.filter(pk=link.pk).update(productvariant=blue_s)
    assert link_products() == true_links()  # a link moved to another product's variant
    through.objects.filter(pk=link.pk).delete()

    variant.option_values.clear()  # delete
    variant.option_values.add(OptionValue.objects.get(pk=shop["S"]))
    assert link_products() == true_links()
    # And the counts follow the links as they now are.
    shown = facet_counts(client.get("/products/", {"o": [shop["S"]], "in_stock": "on"}))
    expected = expected_counts(shop, {"o": [shop["S"]], "in_stock": True})
    assert {key: shown.get(key, 0) for key in expected} == expected


@postgres_only
def test_a_variant_moved_to_another_product_counts_for_it(client, shop):
    gamma = Product.objects.get(name="Gamma Tee")
    mug = Product.objects.get(name="Mug")
    blue_l = ProductVariant.objects.get(product=gamma, option_values=shop["L"])
    before = facet_counts(client.get("/products/", {"o": [shop["Blue"]]}))[("Size", "L")]

    ProductVariant.objects.filter(pk=blue_l.pk).update(product=mug)

    after = facet_counts(client.get("/products/", {"o": [shop["Blue"]]}))
    assert after[("Size", "L")] == before  # Gamma loses its blue L, the mug gains one
    assert link_products() == true_links()
