"""A product's or category's old URL answers 301 with the current one after staff change its slug."""

import pytest
from django.contrib.auth.models import Permission

from accounts.models import User
from catalog import services
from catalog.models import Category, Product
from tests.catalog.test_admin import change_form
from tests.factories import make_category, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = User.objects.create_user("staff@example.com", "pw", is_staff=True)
    codenames = ["view_product", "change_product", "view_category", "change_category", "view_productvariant"]
    codenames += ["change_productvariant", "add_productvariant", "delete_productvariant"]
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="catalog", codename__in=codenames))
    client.force_login(user)
    return user


def rename(client, product: Product, slug: str) -> None:
    product.refresh_from_db()
    response = client.post(f"/admin/catalog/product/{product.pk}/change/", change_form(product, slug=slug))
    assert response.status_code == 302, response.content


def test_the_old_url_of_a_product_renamed_in_the_admin_is_a_301_to_the_new_one(client, staff):
    lamp = make_product("Desk lamp", slug="desk-lamp")
    rename(client, lamp, "reading-lamp")

    response = client.get("/products/desk-lamp/?variant=3")

    assert response.status_code == 301
    assert response["Location"] == "/products/reading-lamp/?variant=3"
    assert client.get("/products/reading-lamp/").status_code == 200


def test_a_chain_of_slug_changes_ends_at_the_current_url_in_one_step(client, staff):
    lamp = make_product("Desk lamp", slug="lamp-a")
    rename(client, lamp, "lamp-b")
    rename(client, lamp, "lamp-c")

    assert client.get("/products/lamp-a/")["Location"] == "/products/lamp-c/"
    assert client.get("/products/lamp-b/")["Location"] == "/products/lamp-c/"


def test_a_product_going_back_to_an_old_slug_is_served_there(client, staff):
    lamp = make_product("Desk lamp", slug="lamp-a")
    rename(client, lamp, "lamp-b")
    rename(client, lamp, "lamp-a")

    assert client.get("/products/lamp-a/").status_code == 200
    assert client.get("/products/lamp-b/")["Location"] == "/products/lamp-a/"


def test_a_slug_taken_by_another_product_serves_that_product(client, staff):
    old = make_product("Old lamp", slug="lamp")
    rename(client, old, "old-lamp")
    new = make_product("New lamp", slug="new-lamp")
    rename(client, new, "lamp")

    response = client.get("/products/lamp/")

    assert response.status_code == 200
    assert "New lamp" in response.content.decode()
    # And when the new one moves on too, the slug follows its last owner.
    rename(client, new, "newer-lamp")
    assert client.get("/products/lamp/")["Location"] == "/products/newer-lamp/"


def test_an_old_url_of_an_archived_product_is_a_404(client, staff):
    lamp = make_product("Desk lamp", slug="desk-lamp")
    rename(client, lamp, "reading-lamp")
    services.product_archive(Product.objects.filter(pk=lamp.pk))

    assert client.get("/products/desk-lamp/").status_code == 404


def test_an_unknown_slug_is_still_a_404(client):
    assert client.get("/products/never-was/").status_code == 404
    assert client.get("/categories/never-was/").status_code == 404


def test_the_old_url_of_a_category_renamed_in_the_admin_is_a_301_to_the_new_one(client, staff):
    lighting = make_category("Lighting", slug="lighting")
    data = {"name": "Lighting", "slug": "lamps-and-lights", "position": "0", "is_active": "on"}

    response = client.post(f"/admin/catalog/category/{lighting.pk}/change/", data)

    assert response.status_code == 302, response.content
    assert Category.objects.get(pk=lighting.pk).slug == "lamps-and-lights"
    response = client.get("/categories/lighting/?sort=price")
    assert response.status_code == 301
    assert response["Location"] == "/categories/lamps-and-lights/?sort=price"
    assert client.get(response["Location"]).status_code == 200


def test_an_old_category_slug_reused_by_another_category_serves_that_one(client):
    first = make_category("Lighting", slug="lighting")
    first.slug = "lights"
    services.category_save(first)
    services.category_save(Category(name="Lighting again", slug="lighting"))

    assert client.get("/categories/lighting/").status_code == 200
    assert client.get("/categories/lights/").status_code == 200
