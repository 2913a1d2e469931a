from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from catalog.models import Product, ProductImage, ProductVariant
from catalog.money import InvalidMoney, format_money, money
from tests.factories import make_category, make_product

pytestmark = pytest.mark.django_db


def test_the_database_refuses_a_negative_price():
    product = make_product()
    with pytest.raises(IntegrityError), transaction.atomic():
        Product.objects.filter(pk=product.pk).update(price=Decimal("-0.01"))


def test_the_database_refuses_negative_stock():
    product = make_product()
    with pytest.raises(IntegrityError), transaction.atomic():
        ProductVariant.objects.filter(product=product).update(stock=-1)


def test_variant_skus_are_unique_and_a_variant_price_is_never_negative():
    product = make_product()
    with pytest.raises(IntegrityError), transaction.atomic():
        ProductVariant.objects.create(product=product, sku=product.sku)
    with pytest.raises(IntegrityError), transaction.atomic():
        ProductVariant.objects.filter(product=product).update(price_override=Decimal("-0.01"))


def test_a_variant_without_its_own_price_sells_at_the_products():
    product = make_product(price=Decimal("12.00"))
    variant = ProductVariant.objects.get(product=product)
    assert variant.price == Decimal("12.00")
    variant.price_override = Decimal("15.00")
    assert variant.price == Decimal("15.00")


def test_sku_and_slug_are_unique():
    product = make_product()
    with pytest.raises(IntegrityError), transaction.atomic():
        make_product(sku=product.sku)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_product(slug=product.slug)


def test_a_product_has_at_most_one_primary_image():
    product = make_product()
    ProductImage.objects.create(product=product, image="a.png", is_primary=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        ProductImage.objects.create(product=product, image="b.png", is_primary=True)


def test_a_category_cannot_be_moved_inside_its_own_subcategory():
    parent = make_category("Parent")
    child = make_category("Child", parent=parent)
    parent.parent = child
    with pytest.raises(ValidationError, match="inside itself"):
        parent.full_clean()


def test_a_product_referenced_elsewhere_cannot_lose_its_category():
    category = make_category()
    make_product(category=category)
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        category.delete()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("12.5", Decimal("12.50")), ("0.005", Decimal("0.01")), (3, Decimal("3.00")), (Decimal("1.234"), Decimal("1.23"))],
)
def test_money_rounds_half_up_to_two_places(raw, expected):
    assert money(raw) == expected


@pytest.mark.parametrize("raw", ["abc", "-1", "NaN", "Infinity", "", "100000000"])
def test_money_refuses_what_is_not_a_price(raw):
    with pytest.raises(InvalidMoney):
        money(raw)


def test_money_refuses_floats():
    with pytest.raises(TypeError):
        money(1.1)


def test_money_is_shown_with_the_currency():
    assert format_money(Decimal("1234.5"), "EUR") == "€1,234.50"
