import re
from decimal import Decimal

import pytest

from catalog import services
from catalog.models import Product
from tests.factories import image_upload, make_category, make_product, make_products

pytestmark = pytest.mark.django_db


def names(response) -> list[str]:
    import re

    return re.findall(r'<span class="product-name">([^<]*)</span>', response.content.decode())


def test_product_list_shows_products_with_price_and_stock(client):
    make_product("Desk Lamp", price=Decimal("1234.50"), stock=3)
    make_product("Teapot", stock=0)

    response = client.get("/products/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Desk Lamp" in html
    assert "€1,234.50" in html
    assert "Only 3 left" in html
    assert "Out of stock" in html
    assert "2 products" in html


def test_list_sorts_by_price_both_ways_and_by_newest(client):
    category = make_category()
    make_product("Middle", price=Decimal("5"), category=category)
    make_product("Cheap", price=Decimal("1"), category=category)
    make_product("Dear", price=Decimal("9"), category=category)

    assert names(client.get("/products/?sort=price")) == ["Cheap", "Middle", "Dear"]
    assert names(client.get("/products/?sort=-price")) == ["Dear", "Middle", "Cheap"]
    assert names(client.get("/products/?sort=newest")) == ["Dear", "Cheap", "Middle"]
    assert names(client.get("/products/")) == ["Cheap", "Dear", "Middle"]


def test_list_filters_by_category_including_subcategories_and_by_stock(client):
    home = make_category("Home", slug="home")
    lighting = make_category("Lighting", parent=home, slug="lighting")
    garden = make_category("Garden", slug="garden")
    make_product("Lamp", category=lighting, stock=2)
    make_product("Vase", category=home, stock=0)
    make_product("Spade", category=garden)

    assert sorted(names(client.get("/products/?category=home"))) == ["Lamp", "Vase"]
    assert names(client.get("/products/?category=home&in_stock=on")) == ["Lamp"]
    assert sorted(names(client.get("/categories/home/"))) == ["Lamp", "Vase"]
    assert names(client.get("/categories/lighting/")) == ["Lamp"]


def test_list_paginates_and_keeps_the_filters_in_page_links(client):
    make_products(25, category=make_category())

    first = client.get("/products/?per_page=20&sort=price")
    second = client.get("/products/?per_page=20&sort=price&page=2")

    assert len(names(first)) == 20
    assert len(names(second)) == 5
    assert "Page 1 of 2" in first.content.decode()
    assert 'href="?sort=price&amp;page=2"' in first.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        "page=abc",
        "page=999999",
        "page=-3",
        "sort=bogus",
        "per_page=100000",
        "per_page=-5",
        "per_page=abc",
        "category=no-such-category",
        "in_stock=maybe",
        "q=" + "x" * 10_000,
        "q=%27%3B+DROP+TABLE+catalog_product%3B+--",
        "q=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "q=%00%01",
        "q=a%26b%7Cc%21%3A*",
    ],
)
def test_bad_list_input_gives_a_normal_page(client, query):
    make_products(30, category=make_category())

    response = client.get("/products/?" + query)

    assert response.status_code == 200
    assert "<script>alert(1)" not in response.content.decode()
    assert Product.objects.count() == 30


def test_per_page_is_clamped_and_a_page_past_the_end_shows_the_last(client):
    make_products(130, category=make_category())

    assert len(names(client.get("/products/?per_page=100000"))) == 100
    assert len(names(client.get("/products/?per_page=100000&page=999999"))) == 30


def test_html_in_the_query_is_escaped(client):
    response = client.get("/products/", {"q": "<b>bold</b>"})

    assert "&lt;b&gt;bold&lt;/b&gt;" in response.content.decode()
    assert "<b>bold</b>" not in response.content.decode()


def test_empty_results_show_a_helpful_empty_state(client):
    make_product("Teapot")

    response = client.get("/products/", {"q": "zebra"})

    html = response.content.decode()
    assert "No products match “zebra”" in html
    assert "see all products" in html


def test_htmx_gets_only_the_results_fragment_and_responses_vary_on_hx_request(client):
    make_product("Teapot")

    page = client.get("/products/")
    fragment = client.get("/products/", headers={"HX-Request": "true"})

    assert "HX-Request" in page["Vary"]
    assert "HX-Request" in fragment["Vary"]
    assert b"<html" in page.content
    assert fragment.content.lstrip().startswith(b'<section id="results"')
    assert b"Teapot" in fragment.content


def test_htmx_history_restore_gets_the_whole_page(client):
    response = client.get("/products/", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})

    assert b"<html" in response.content


def test_product_detail_shows_price_stock_breadcrumbs_and_related(client):
    home = make_category("Home", slug="home")
    lighting = make_category("Lighting", parent=home, slug="lighting")
    lamp = make_product("Desk Lamp", category=lighting, stock=2, description="Warm light.", price=Decimal("19.90"))
    make_product("Floor Lamp", category=lighting)
    make_product("Spade", category=make_category("Garden"))

    response = client.get(f"/products/{lamp.slug}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Desk Lamp</h1>" in html
    assert "€19.90" in html
    assert "Only 2 left" in html
    assert "Warm light." in html
    assert 'href="/categories/home/"' in html
    assert 'href="/categories/lighting/"' in html
    assert "Floor Lamp" in html
    assert "Spade" not in html


def test_product_detail_shows_display_renditions_not_originals(client):
    lamp = make_product("Desk Lamp")
    services.product_image_add(lamp, image_upload(), alt_text="The lamp, lit")

    html = client.get(f"/products/{lamp.slug}/").content.decode()
    list_html = client.get("/products/").content.decode()

    assert "products/display/" in html
    assert 'alt="The lamp, lit"' in html
    assert "products/thumbnails/" in list_html
    assert "products/originals/" not in html + list_html


@pytest.mark.parametrize("slug", ["no-such-product", "archived-one", "hidden-one"])
def test_unknown_archived_or_hidden_products_are_404(client, slug):
    make_product("Archived one", slug="archived-one", is_archived=True)
    make_product("Hidden one", slug="hidden-one", category=make_category(is_active=False))

    response = client.get(f"/products/{slug}/")

    assert response.status_code == 404
    assert b"Page not found" in response.content


def test_unknown_or_inactive_category_is_404(client):
    make_category("Closed", slug="closed", is_active=False)

    assert client.get("/categories/closed/").status_code == 404
    assert client.get("/categories/nope/").status_code == 404


def test_products_of_an_inactive_category_are_hidden_from_the_list(client):
    make_product("Shown")
    make_product("Hidden", category=make_category(is_active=False))

    assert names(client.get("/products/")) == ["Shown"]


def test_home_shows_featured_and_newest_products_and_categories(client):
    make_category("Garden", slug="garden")
    make_product("Star Teapot", is_featured=True)
    make_product("Plain Spoon")

    html = client.get("/").content.decode()

    assert "Featured" in html
    assert "Star Teapot" in html
    assert "New in" in html
    assert "Plain Spoon" in html
    assert 'href="/categories/garden/"' in html


def test_every_page_has_the_header_search_box_and_a_products_link(client):
    html = client.get("/").content.decode()

    assert '<form class="site-search" method="get" action="/products/" role="search">' in html
    assert '<label for="site-search-q">Search products</label>' in html
    assert 'name="q"' in html
    assert '<a href="/products/">Products</a>' in html


def test_cached_list_follows_a_price_change_made_through_save(client):
    product = make_product("Teapot", price=Decimal("10.00"))
    assert "€10.00" in client.get("/products/").content.decode()

    product.price = Decimal("12.00")
    product.save()

    assert "€12.00" in client.get("/products/").content.decode()


def test_media_files_are_served_when_serve_media_is_on(client):
    lamp = make_product("Desk Lamp")
    image = services.product_image_add(lamp, image_upload())

    response = client.get(image.thumbnail.url)

    assert response.status_code == 200
    assert b"".join(response.streaming_content)[:4] == b"RIFF"


def test_a_cached_product_page_disappears_when_the_product_is_archived(client):
    lamp = make_product("Desk Lamp")
    assert client.get(f"/products/{lamp.slug}/").status_code == 200

    services.product_archive(Product.objects.filter(pk=lamp.pk))

    assert client.get(f"/products/{lamp.slug}/").status_code == 404
    assert names(client.get("/products/")) == []


def test_a_cached_product_page_follows_a_category_being_hidden(client):
    lamp = make_product("Desk Lamp")
    assert client.get(f"/products/{lamp.slug}/").status_code == 200

    lamp.category.is_active = False
    lamp.category.save()

    assert client.get(f"/products/{lamp.slug}/").status_code == 404


def test_the_search_field_says_its_type_once(client, db):
    page = client.get("/products/").content.decode()
    field = re.search(r'<input[^>]*name="q"[^>]*>', page)[0]
    assert field.count("type=") == 1
    assert 'type="search"' in field


def test_the_product_page_shows_no_template_comment(client):
    product = make_product("Linen Lamp")
    services.product_image_add(product, image_upload(), alt_text="The lamp")

    page = client.get(product.get_absolute_url()).content.decode()

    assert 'class="gallery-slides"' in page
    assert "{#" not in page
    assert "scrollable strip" not in page
