import re

import pytest
from django.core.exceptions import ValidationError

from storefront.colors import contrast_ratio, darken_to_aa
from storefront.models import Brand, validate_accent
from tests.factories import image_upload


def test_an_accent_that_fails_aa_on_white_is_refused_with_a_darker_suggestion():
    with pytest.raises(ValidationError) as exc:
        validate_accent("#ff9900")  # orange: about 2.1:1 against white
    message = exc.value.messages[0]
    assert "4.5:1" in message
    suggestion = re.search(r"#[0-9a-f]{6}", message.split("darkened enough is")[1]).group(0)
    assert contrast_ratio(suggestion, "#ffffff") >= 4.5


def test_an_accent_that_meets_aa_is_accepted():
    validate_accent("#0b5cad")
    validate_accent("#1d6b35")


def test_darkening_keeps_a_colour_that_already_passes():
    assert darken_to_aa("#0b5cad") == "#0b5cad"
    assert contrast_ratio(darken_to_aa("#ffff00"), "#ffffff") >= 4.5


@pytest.mark.django_db
def test_staff_edit_the_brand_in_the_admin_and_every_page_shows_it(staff_client, django_capture_on_commit_callbacks):
    assert staff_client.get("/admin/storefront/brand/").status_code == 302
    data = {
        "name": "Nordlicht",
        "accent_colour": "#7a2e8e",
        "tagline": "",
        "meta_description": "Lamps and linen from the north.",
        "legal_name": "Nordlicht GmbH",
        "address": "Hauptstraße 1\n1010 Wien",
        "email": "hello@nordlicht.example",
        "phone": "+43 1 234 567",
        "payment_methods": "Visa, Mastercard",
        "logo": image_upload("logo.png", size=(200, 60)),
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post("/admin/storefront/brand/add/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    html = staff_client.get("/").content.decode()
    assert 'alt="Nordlicht"' in html
    assert 'class="brand-logo"' in html
    assert "Nordlicht GmbH" in html
    assert "hello@nordlicht.example" in html
    assert "Mastercard" in html
    assert '<meta name="description" content="Lamps and linen from the north.">' in html
    css_url = re.search(r'<link rel="stylesheet" href="([^"]+)"', html).group(1)
    assert "--accent: #7a2e8e" in staff_client.get(css_url).content.decode()


@pytest.mark.django_db
def test_the_admin_refuses_an_accent_without_enough_contrast(staff_client):
    response = staff_client.post("/admin/storefront/brand/add/", {"name": "Pale", "accent_colour": "#99ccff"})
    assert response.status_code == 200
    assert "4.5:1" in response.content.decode()
    assert not Brand.objects.exists()


@pytest.mark.django_db
def test_a_stored_accent_that_fails_is_darkened_in_the_stylesheet(client):
    Brand.objects.create(pk=1, name="Shop", accent_colour="#ffcc00")  # bypassing validation, as SQL would
    html = client.get("/").content.decode()
    css = client.get(re.search(r'<link rel="stylesheet" href="([^"]+)"', html).group(1)).content.decode()
    accent = re.search(r"--accent: (#[0-9a-f]{6}); }\s*$", css).group(1)
    assert contrast_ratio(accent, "#ffffff") >= 4.5


@pytest.mark.django_db
def test_without_a_shared_cache_a_page_reads_the_brand_and_pages_once(client, settings):
    """The ETag and the header and footer share one read of the chrome per request."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    Brand.objects.create(pk=1, name="Birch & Loom")
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/products/")

    assert response.status_code == 200
    assert "Birch &amp; Loom" in response.content.decode()
    brand_reads = [q for q in queries.captured_queries if 'FROM "storefront_brand"' in q["sql"]]
    page_reads = [q for q in queries.captured_queries if 'FROM "storefront_page"' in q["sql"]]
    assert (len(brand_reads), len(page_reads)) == (1, 1)


@pytest.mark.django_db
def test_a_brand_or_page_change_reaches_catalog_pages_that_the_process_keeps_the_chrome_for(client, settings):
    """Catalog pages keep the chrome in the process per catalog version (shop.memo), which covers the brand and
    the content pages: an edit, or a deleted page, shows on the next request, without a shared cache too."""
    from storefront.models import Page

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    brand = Brand.objects.create(pk=1, name="Birch & Loom")
    page = Page.objects.create(title="Care guide", slug="care-guide", group=Page.Group.SERVICE, body="Dust it.")
    first = client.get("/products/").content.decode()
    assert "Birch &amp; Loom" in first
    assert "Care guide" in first

    brand.name = "Oak & Thread"
    brand.save()
    assert "Oak &amp; Thread" in client.get("/products/").content.decode()

    Page.objects.filter(pk=page.pk).delete()
    assert "Care guide" not in client.get("/products/").content.decode()
