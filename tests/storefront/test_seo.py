import json
import re
from decimal import Decimal
from xml.etree import ElementTree

import pytest

from tests.factories import make_category, make_product

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def _locs(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    return [e.text for e in ElementTree.fromstring(response.content).findall(".//s:loc", NS)]


@pytest.mark.django_db
def test_the_sitemap_lists_products_categories_and_pages_but_not_archived_products(client):
    lamps = make_category("Lamps", slug="lamps")
    make_product("Desk lamp", category=lamps, slug="desk-lamp")
    make_product("Old lamp", category=lamps, is_archived=True, slug="old-lamp")
    sections = _locs(client, "/sitemap.xml")
    assert sections == [
        "http://testserver/sitemap-pages.xml",
        "http://testserver/sitemap-categories.xml",
        "http://testserver/sitemap-products.xml",
    ]
    urls = sum((_locs(client, s.removeprefix("http://testserver")) for s in sections), [])
    assert "http://testserver/products/desk-lamp/" in urls
    assert "http://testserver/products/old-lamp/" not in urls
    assert "http://testserver/categories/lamps/" in urls
    assert "http://testserver/pages/imprint/" in urls
    assert "http://testserver/" in urls


@pytest.mark.django_db
def test_the_sitemap_splits_into_pages_above_the_limit(client, settings):
    settings.SEO_SITEMAP_LIMIT = 2
    lamps = make_category("Lamps", slug="lamps")
    for n in range(5):
        make_product(f"Lamp {n}", category=lamps)
    sections = _locs(client, "/sitemap.xml")
    product_pages = [s for s in sections if "sitemap-products" in s]
    # Five products, each in English and German: ten URLs, two per file.
    assert product_pages == [
        "http://testserver/sitemap-products.xml",
        "http://testserver/sitemap-products.xml?p=2",
        "http://testserver/sitemap-products.xml?p=3",
        "http://testserver/sitemap-products.xml?p=4",
        "http://testserver/sitemap-products.xml?p=5",
    ]
    assert len(_locs(client, "/sitemap-products.xml?p=5")) == 2
    assert client.get("/sitemap-products.xml?p=6").status_code == 404


@pytest.mark.django_db
def test_robots_txt_keeps_crawlers_out_of_private_pages_and_names_the_sitemap(client):
    text = client.get("/robots.txt").content.decode()
    assert "User-agent: *" in text
    for path in ["/admin/", "/cart/", "/checkout/", "/accounts/", "/api/"]:
        assert f"Disallow: {path}\n" in text
    assert "Sitemap: http://testserver/sitemap.xml" in text


def _canonical(html):
    return re.search(r'<link rel="canonical" href="([^"]+)">', html).group(1)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("/products/", "http://testserver/products/"),
        ("/products/?sort=price&in_stock=on&per_page=48", "http://testserver/products/"),
        ("/products/?page=1&sort=price", "http://testserver/products/"),
        ("/products/?page=2&sort=price&colour=red&size=m", "http://testserver/products/?page=2"),
        ("/?utm_source=newsletter", "http://testserver/"),
    ],
)
def test_canonical_urls_keep_only_the_page_number(client, url, canonical):
    lamps = make_category("Lamps", slug="lamps")
    for n in range(30):
        make_product(f"Lamp {n}", category=lamps)
    html = client.get(url).content.decode()
    assert _canonical(html) == canonical
    assert f'<meta property="og:url" content="{canonical}">' in html


@pytest.mark.django_db
def test_every_page_has_a_description_from_its_product_or_category_or_the_setting(client, settings):
    settings.SEO_DEFAULT_DESCRIPTION = "The default line."
    lamps = make_category("Lamps", slug="lamps")
    make_product("Desk lamp", category=lamps, slug="desk-lamp", description="A brass desk lamp\nwith a linen shade.")
    product = client.get("/products/desk-lamp/").content.decode()
    assert '<meta name="description" content="A brass desk lamp with a linen shade.">' in product
    assert '<meta property="og:type" content="product">' in product
    assert '<meta property="og:title" content="Desk lamp">' in product
    assert '<meta property="product:price:currency" content="EUR">' in product
    category = client.get("/categories/lamps/").content.decode()
    assert '<meta name="description" content="Lamps at Shop. The default line.">' in category
    for url in ["/", "/cart/", "/accounts/login/", "/pages/terms/", "/orders/lookup/"]:
        html = client.get(url).content.decode()
        assert html.count('<meta name="description" content="') == 1, url
        assert '<meta property="og:site_name" content="Shop">' in html, url


def _json_ld(html):
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert len(blocks) == 1
    return json.loads(blocks[0])


@pytest.mark.django_db
def test_the_product_page_has_json_ld_product_with_offer_and_breadcrumbs(client):
    home = make_category("Home", slug="home")
    textiles = make_category("Textiles", parent=home, slug="textiles")
    make_product("Linen throw", category=textiles, slug="linen-throw", price=Decimal("49.5"), stock=3, sku="LIN-1")
    make_product("Wool throw", category=textiles, stock=0, slug="wool-throw")
    data = _json_ld(client.get("/products/linen-throw/").content.decode())
    assert data["@context"] == "https://schema.org"
    product, crumbs = data["@graph"]
    assert product["@type"] == "Product"
    assert product["name"] == "Linen throw"
    assert product["sku"] == "LIN-1"
    assert product["url"] == "http://testserver/products/linen-throw/"
    offer = product["offers"]
    assert offer == offer | {
        "@type": "Offer",
        "price": "49.50",
        "priceCurrency": "EUR",
        "availability": "https://schema.org/InStock",
    }
    assert crumbs["@type"] == "BreadcrumbList"
    items = crumbs["itemListElement"]
    assert [i["position"] for i in items] == [1, 2, 3, 4, 5]
    assert [i["name"] for i in items] == ["Shop", "Products", "Home", "Textiles", "Linen throw"]
    assert all(i["@type"] == "ListItem" and i["item"].startswith("http://testserver/") for i in items)
    sold_out = _json_ld(client.get("/products/wool-throw/").content.decode())
    assert sold_out["@graph"][0]["offers"]["availability"] == "https://schema.org/OutOfStock"


@pytest.mark.django_db
def test_json_ld_cannot_be_broken_out_of_by_a_product_name(client):
    make_product("Lamp </script><script>alert(1)</script>", slug="evil-lamp")
    html = client.get("/products/evil-lamp/").content.decode()
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    assert "<" not in block
    assert json.loads(block)["@graph"][0]["name"].startswith("Lamp </script>")


@pytest.mark.django_db
def test_the_breadcrumb_root_is_the_shop_when_a_category_is_called_home(client):
    home = make_category("Home", slug="home")
    textiles = make_category("Textiles", parent=home, slug="textiles")
    make_product("Linen throw", category=textiles, slug="linen-throw")
    for url in ["/products/linen-throw/", "/categories/textiles/"]:
        html = client.get(url).content.decode()
        nav = html[html.index('aria-label="Breadcrumb"') :]
        nav = nav[: nav.index("</nav>")]
        names = re.findall(r">([^<]+)</a>", nav)
        assert names[:3] == ["Shop", "Products", "Home"], url


@pytest.mark.django_db
def test_json_ld_offers_the_chosen_variant(client):
    from tests.factories import make_product_type, make_variant

    tee_type = make_product_type("T-shirt", {"Size": ["S", "M"]})
    tee = make_product("Tee", slug="tee", product_type=tee_type, price=Decimal("10.00"), sku="TEE")
    small = make_variant(tee, "S", stock=0, sku="TEE-S", price_override=Decimal("12.00"))
    medium = make_variant(tee, "M", stock=2, sku="TEE-M", price_override=Decimal("15.00"))

    offered = _json_ld(client.get(f"/products/tee/?variant={medium.pk}").content.decode())["@graph"][0]
    assert offered["sku"] == "TEE-M"
    assert offered["offers"]["price"] == "15.00"
    assert offered["offers"]["availability"] == "https://schema.org/InStock"
    sold_out = _json_ld(client.get(f"/products/tee/?variant={small.pk}").content.decode())["@graph"][0]
    assert (sold_out["sku"], sold_out["offers"]["price"]) == ("TEE-S", "12.00")
    assert sold_out["offers"]["availability"] == "https://schema.org/OutOfStock"


@pytest.mark.django_db
def test_without_a_shared_cache_the_product_image_is_read_once_for_open_graph_and_json_ld(client, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from catalog.services import product_image_add
    from tests.factories import image_upload

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    lamp = make_product("Lamp", category=make_category("Lighting"))
    product_image_add(lamp, image_upload(), primary=True)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(f"/products/{lamp.slug}/").content.decode()

    image = re.search(r'<meta property="og:image" content="([^"]+)"', page)[1]
    json_ld = re.search(r'<script type="application/ld\+json">(.*?)</script>', page)[1]
    assert image in json_ld  # the JSON-LD names the same image
    reads = [q for q in queries.captured_queries if 'SELECT "catalog_productimage"."display"' in q["sql"]]
    assert len(reads) == 1
