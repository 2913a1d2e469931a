"""Typed attributes: staff define them on a product type, the detail page shows a specification table."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from catalog.models import Attribute, AttributeChoice, ProductAttributeValue
from tests.budgets import CHROME, JSON_LD
from tests.factories import make_product, make_product_type


@pytest.fixture
def lamp(db):
    lamp_type = make_product_type("Lamp", {"Wattage": ["40 W", "60 W"]})
    product = make_product("Desk Lamp", product_type=lamp_type)
    wattage = Attribute.objects.create(product_type=lamp_type, name="Power", kind="number", unit="W", position=1)
    colour = Attribute.objects.create(product_type=lamp_type, name="Light colour", kind="choice", position=2)
    warm = AttributeChoice.objects.create(attribute=colour, value="Warm white")
    dimmable = Attribute.objects.create(product_type=lamp_type, name="Dimmable", kind="boolean", position=3)
    material = Attribute.objects.create(product_type=lamp_type, name="Material", kind="text", position=0)
    ProductAttributeValue.objects.create(product=product, attribute=wattage, value_number=Decimal("60.000"))
    ProductAttributeValue.objects.create(product=product, attribute=colour, value_choice=warm)
    ProductAttributeValue.objects.create(product=product, attribute=dimmable, value_bool=False)
    ProductAttributeValue.objects.create(product=product, attribute=material, value_text="Brushed steel")
    return product


def test_the_detail_page_shows_the_specification_table_in_attribute_order(client, lamp):
    page = client.get(f"/products/{lamp.slug}/").content.decode()

    rows = [
        ("Material", "Brushed steel"),
        ("Power", "60 W"),
        ("Light colour", "Warm white"),
        ("Dimmable", "No"),
    ]
    assert '<table class="specs">' in page
    positions = [page.index(f'<th scope="row">{name}</th><td>{value}</td>') for name, value in rows]
    assert positions == sorted(positions)


def test_a_value_of_the_wrong_kind_is_refused(lamp):
    power = Attribute.objects.get(name="Power")
    value = ProductAttributeValue(product=lamp, attribute=power, value_text="sixty")
    with pytest.raises(ValidationError, match="is a number attribute"):
        value.full_clean()


def test_a_choice_of_another_attribute_is_refused(lamp):
    dimmable = Attribute.objects.get(name="Dimmable")
    other = Attribute.objects.create(product_type=dimmable.product_type, name="Finish", kind="choice")
    value = ProductAttributeValue(product=lamp, attribute=other, value_choice=AttributeChoice.objects.get())
    with pytest.raises(ValidationError, match="Not a choice of “Finish”"):
        value.full_clean()


def test_a_product_without_a_type_has_no_table_and_no_query_for_it(client, db, django_assert_num_queries):
    mug = make_product("Mug")
    # version, categories, product, variants, images, related, also bought; JSON-LD image, chrome
    with django_assert_num_queries(7 + JSON_LD + CHROME):
        page = client.get(f"/products/{mug.slug}/").content.decode()
    assert "specs" not in page
