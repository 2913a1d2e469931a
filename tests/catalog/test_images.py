import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from catalog import services
from catalog.models import ProductImage
from tests.factories import image_upload, make_product

pytestmark = pytest.mark.django_db


def test_adding_an_image_makes_webp_renditions_at_display_sizes():
    product = make_product()

    image = services.product_image_add(product, image_upload(size=(2400, 1200)))

    with Image.open(image.thumbnail.path) as thumb, Image.open(image.display.path) as display:
        assert (thumb.format, thumb.size) == ("WEBP", (320, 320))
        assert (display.format, display.size) == ("WEBP", (960, 480))


def test_the_first_image_becomes_primary_and_a_new_primary_replaces_the_old():
    product = make_product()

    first = services.product_image_add(product, image_upload("a.png"))
    second = services.product_image_add(product, image_upload("b.png"))
    third = services.product_image_add(product, image_upload("c.png"), primary=True)

    primaries = list(ProductImage.objects.filter(product=product, is_primary=True))
    assert primaries == [third]
    assert [first.position, second.position] == [1, 2]


def test_removing_the_primary_image_promotes_the_next():
    product = make_product()
    first = services.product_image_add(product, image_upload("a.png"))
    second = services.product_image_add(product, image_upload("b.png"))

    first.delete()
    services.product_images_ensure_primary(product.pk)

    second.refresh_from_db()
    assert second.is_primary


def test_a_file_that_is_not_an_image_is_refused_with_a_reason():
    product = make_product()

    with pytest.raises(services.CatalogError, match="not an image"):
        services.product_image_add(product, SimpleUploadedFile("x.png", b"not an image at all"))
    assert not ProductImage.objects.exists()


def test_the_admin_refuses_a_file_that_is_not_an_image(client):
    from accounts.models import User
    from tests.catalog.test_admin import change_form

    client.force_login(User.objects.create_superuser("boss@example.com", "pw"))
    product = make_product()
    data = change_form(
        product,
        **{"images-TOTAL_FORMS": "1", "images-0-image": SimpleUploadedFile("x.png", b"nope"), "images-0-position": "1"},
    )

    response = client.post(f"/admin/catalog/product/{product.pk}/change/", data)

    assert response.status_code == 200
    assert "Upload a valid image" in response.content.decode()


def test_list_images_above_the_fold_load_at_once_and_the_rest_lazily(client):
    # Image-less products would be no test: every card here has a thumbnail (shared files, quick).
    first = make_product("Product 00")
    image = services.product_image_add(first, image_upload(size=(64, 64)))
    for n in range(1, 7):
        ProductImage.objects.create(
            product=make_product(f"Product {n:02d}"),
            image=image.image.name,
            thumbnail=image.thumbnail.name,
            display=image.display.name,
            is_primary=True,
        )

    page = client.get("/products/").content.decode()

    cards = re.findall(r'<img src="[^"]+/thumbnails/[^"]+"[^>]*>', page)
    assert len(cards) == 7
    assert all('width="320" height="320"' in img for img in cards)
    assert ["lazy" in img for img in cards] == [False] * 4 + [True] * 3


def test_gallery_images_carry_their_size_so_nothing_shifts_as_they_load(client):
    product = make_product("Desk lamp", slug="desk-lamp")
    services.product_image_add(product, image_upload(size=(1600, 1200)))
    services.product_image_add(product, image_upload(size=(1200, 1600)))

    page = client.get("/products/desk-lamp/").content.decode()

    slides = re.findall(r'<li class="gallery-slide"[^>]*><img [^>]*>', page)
    assert len(slides) == 2
    assert all('width="960" height="960"' in slide for slide in slides)  # the square frame they are shown in
    assert ["lazy" in slide for slide in slides] == [False, True]
