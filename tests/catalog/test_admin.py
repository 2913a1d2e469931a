from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission

from accounts.models import User
from catalog.models import Product, ProductImage, ProductVariant
from tests.catalog.test_storefront import names
from tests.factories import (
    default_variant,
    image_upload,
    make_category,
    make_product,
    make_product_type,
    make_variant,
    stock_of,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = User.objects.create_user("staff@example.com", "pw", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="catalog",
            codename__in=[
                "view_product",
                "change_product",
                "add_product",
                "view_category",
                "add_productimage",
                "change_productimage",
                "delete_productimage",
                "view_productimage",
                "view_productvariant",
                "change_productvariant",
                "add_productvariant",
                "delete_productvariant",
            ],
        )
    )
    client.force_login(user)
    return user


def test_staff_archive_hides_products_from_the_storefront_and_restore_brings_them_back(client, staff):
    lamp = make_product("Desk Lamp")
    make_product("Kettle")

    response = client.post("/admin/catalog/product/", {"action": "archive", "_selected_action": [lamp.pk]}, follow=True)

    assert "Archived 1 product." in response.content.decode()
    lamp.refresh_from_db()
    assert lamp.is_archived
    assert lamp.archived_at is not None
    assert names(client.get("/products/")) == ["Kettle"]
    assert client.get(f"/products/{lamp.slug}/").status_code == 404
    assert names(client.get("/products/", {"q": "lamp"})) == []
    # Archived products stay in the admin, filterable.
    assert b"Desk Lamp" in client.get("/admin/catalog/product/?status=archived").content

    client.post("/admin/catalog/product/", {"action": "restore", "_selected_action": [lamp.pk]})

    lamp.refresh_from_db()
    assert not lamp.is_archived
    assert lamp.archived_at is None
    assert client.get(f"/products/{lamp.slug}/").status_code == 200
    history = list(LogEntry.objects.filter(object_id=str(lamp.pk)).values_list("change_message", flat=True))
    assert history == ["Restored.", "Archived."]


def test_the_admin_offers_no_hard_delete_of_products(client, staff):
    lamp = make_product("Desk Lamp")

    changelist = client.get("/admin/catalog/product/").content.decode()
    assert 'value="delete_selected"' not in changelist
    assert 'value="archive"' in changelist
    assert 'value="restore"' in changelist
    assert client.get(f"/admin/catalog/product/{lamp.pk}/delete/").status_code == 403
    response = client.post("/admin/catalog/product/", {"action": "delete_selected", "_selected_action": [lamp.pk]})
    assert response.status_code in (200, 302)
    assert Product.objects.filter(pk=lamp.pk).exists()


def test_superusers_cannot_hard_delete_products_either(client):
    client.force_login(User.objects.create_superuser("boss@example.com", "pw"))
    lamp = make_product()

    assert client.get(f"/admin/catalog/product/{lamp.pk}/delete/").status_code == 403


def test_non_staff_cannot_reach_the_admin(client):
    client.force_login(User.objects.create_user("shopper@example.com", "pw"))

    response = client.get("/admin/catalog/product/")

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_admin_lists_filters_and_searches_by_name_and_sku(client, staff):
    make_product("Desk Lamp", sku="LMP-77", stock=0)
    make_product("Kettle", sku="KTL-1", stock=4)

    assert b"Desk Lamp" in client.get("/admin/catalog/product/?q=LMP-77").content
    assert b"Kettle" not in client.get("/admin/catalog/product/?q=LMP-77").content
    assert b"Kettle" not in client.get("/admin/catalog/product/?in_stock=no").content
    assert b"Kettle" in client.get("/admin/catalog/product/?in_stock=yes").content


def test_stock_edited_from_the_variant_list_shows_on_the_storefront(client, staff):
    lamp = make_product("Desk Lamp", stock=10)
    variant = default_variant(lamp)
    client.get(f"/products/{lamp.slug}/")  # warm the cache

    response = client.post(
        "/admin/catalog/productvariant/",
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": str(variant.pk),
            "form-0-stock": "2",
            "form-0-price_override": "",
            "_save": "Save",
        },
    )

    assert response.status_code == 302
    assert stock_of(lamp) == 2
    assert "Only 2 left" in client.get(f"/products/{lamp.slug}/").content.decode()


def change_form(product, **changes):
    data = {
        "name": product.name,
        "slug": product.slug,
        "sku": product.sku,
        "category": product.category_id,
        "price": str(product.price),
        "tax_class": product.tax_class_id,
        "description": product.description,
        "images-TOTAL_FORMS": "0",
        "images-INITIAL_FORMS": "0",
        "images-MIN_NUM_FORMS": "0",
        "images-MAX_NUM_FORMS": "1000",
        # The specification inline (shown to staff who may edit attribute values): left empty.
        "attribute_values-TOTAL_FORMS": "0",
        "attribute_values-INITIAL_FORMS": "0",
        "attribute_values-MIN_NUM_FORMS": "0",
        "attribute_values-MAX_NUM_FORMS": "1000",
    }
    variants = list(product.variants.order_by("position", "pk")) if product.pk else []
    data.update(
        {
            "variants-TOTAL_FORMS": str(len(variants)),
            "variants-INITIAL_FORMS": str(len(variants)),
            "variants-MIN_NUM_FORMS": "1",
            "variants-MAX_NUM_FORMS": "1000",
        }
    )
    for i, variant in enumerate(variants):
        data.update(
            {
                f"variants-{i}-id": str(variant.pk),
                f"variants-{i}-product": str(product.pk),
                f"variants-{i}-sku": variant.sku,
                f"variants-{i}-option_values": ",".join(str(v.pk) for v in variant.option_values.all()),
                f"variants-{i}-price_override": "" if variant.price_override is None else str(variant.price_override),
                f"variants-{i}-stock": str(variant.stock),
                f"variants-{i}-weight_grams": "" if variant.weight_grams is None else str(variant.weight_grams),
                f"variants-{i}-position": str(variant.position),
            }
        )
    data.update(changes)
    return data


def test_an_admin_price_edit_invalidates_the_cached_pages(client, staff):
    lamp = make_product("Desk Lamp", price=Decimal("10.00"))
    assert "€10.00" in client.get("/products/").content.decode()

    response = client.post(f"/admin/catalog/product/{lamp.pk}/change/", change_form(lamp, price="12.50"))

    assert response.status_code == 302
    assert "€12.50" in client.get("/products/").content.decode()
    assert "€12.50" in client.get(f"/products/{lamp.slug}/").content.decode()
    assert "Changed Price." in LogEntry.objects.get(object_id=str(lamp.pk)).get_change_message()


def test_a_negative_price_in_the_admin_is_a_form_error_not_a_500(client, staff):
    lamp = make_product("Desk Lamp")

    response = client.post(
        f"/admin/catalog/product/{lamp.pk}/change/", change_form(lamp, price="-1", **{"variants-0-stock": "-2"})
    )

    assert response.status_code == 200
    assert "Ensure this value is greater than or equal to 0" in response.content.decode()


def test_an_image_added_in_the_admin_gets_renditions_and_becomes_primary(client, staff, media_root):
    lamp = make_product("Desk Lamp")
    data = change_form(
        lamp,
        **{
            "images-TOTAL_FORMS": "1",
            "images-0-image": image_upload(),
            "images-0-alt_text": "Lamp",
            "images-0-position": "1",
        },
    )

    response = client.post(f"/admin/catalog/product/{lamp.pk}/change/", data)

    assert response.status_code == 302
    image = ProductImage.objects.get(product=lamp)
    assert image.is_primary
    assert image.thumbnail.name.endswith(".webp")
    assert image.display.name.endswith(".webp")
    from PIL import Image

    with Image.open(image.thumbnail.path) as thumb, Image.open(image.display.path) as display:
        assert thumb.size == (320, 320)
        assert max(display.size) == 960


def test_category_admin_has_prepopulated_slug(client):
    client.force_login(User.objects.create_superuser("boss@example.com", "pw"))
    make_category("Home")

    assert b"prepopulated" in client.get("/admin/catalog/category/add/").content


@pytest.mark.parametrize("count", [5, 50])
def test_the_change_page_of_a_product_with_many_variants_costs_no_query_per_variant(
    client, staff, count, django_assert_max_num_queries
):
    product_type = make_product_type("Tee", {"Size": [f"S{i}" for i in range(50)]})
    product = make_product("Tee", product_type=product_type)
    for i in range(1, count):
        make_variant(product, f"S{i}")

    with django_assert_max_num_queries(25):
        response = client.get(f"/admin/catalog/product/{product.pk}/change/")

    assert response.status_code == 200
    assert response.content.decode().count('name="variants-') > count


def test_a_product_with_50_variants_saves_from_its_change_page(client, staff):
    product_type = make_product_type("Tee", {"Size": [f"S{i}" for i in range(50)]})
    product = make_product("Tee", product_type=product_type)
    for i in range(1, 50):
        make_variant(product, f"S{i}")

    response = client.post(f"/admin/catalog/product/{product.pk}/change/", change_form(product, price="9.00"))

    assert response.status_code == 302
    assert product.variants.count() == 50
    assert product.variants.exclude(label="").count() == 49  # the default variant has no option value


def test_bulk_price_and_stock_change_across_variants(client, staff):
    product_type = make_product_type("Tee", {"Size": ["S", "M", "L"]})
    product = make_product("Tee", product_type=product_type, price=Decimal("10.00"))
    variants = [make_variant(product, size, stock=2) for size in ("S", "M", "L")]
    chosen = [str(v.pk) for v in variants[:2]]
    url = "/admin/catalog/productvariant/"

    form = client.post(url, {"action": "bulk_change", "_selected_action": chosen})
    assert form.status_code == 200
    assert "2 variants selected" in form.content.decode()

    bad = client.post(
        url, {"action": "bulk_change", "_selected_action": chosen, "apply": "1", "stock": "1", "stock_delta": "3"}
    )
    assert bad.status_code == 400
    assert "not both" in bad.content.decode()

    done = client.post(
        url, {"action": "bulk_change", "_selected_action": chosen, "apply": "1", "price": "12.00", "stock_delta": "-5"}
    )
    assert done.status_code == 302
    rows = dict(ProductVariant.objects.filter(product=product).exclude(label="").values_list("label", "price_override"))
    assert rows == {"S": Decimal("12.00"), "M": Decimal("12.00"), "L": None}
    assert list(
        ProductVariant.objects.filter(product=product, label__in=["S", "M"]).values_list("stock", flat=True)
    ) == [0, 0]
