"""How pages travel: one stylesheet, gzip with BREACH padding, cache headers for media."""

import gzip
import re

import pytest

from tests.factories import make_product


def _stylesheets(html):
    return re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/products/", "/cart/", "/accounts/login/", "/pages/terms/"])
def test_every_page_loads_exactly_one_stylesheet(client, url):
    assert len(_stylesheets(client.get(url).content.decode())) == 1


@pytest.mark.django_db
def test_the_stylesheet_holds_every_css_file_and_is_cached_for_a_year(client):
    from storefront.stylesheet import FILES

    url = _stylesheets(client.get("/").content.decode())[0]
    response = client.get(url)
    assert response["Content-Type"] == "text/css; charset=utf-8"
    assert "immutable" in response["Cache-Control"]
    assert "max-age=31536000" in response["Cache-Control"]
    css = response.content.decode()
    for name in FILES:
        assert f"/* {name} */" in css
    assert ".product-grid" in css
    assert ".cart-lines" in css
    assert "--space-4" in css
    stale = client.get("/assets/site-0000000000000000.css")
    assert stale.status_code == 200
    assert "immutable" not in stale["Cache-Control"]


def test_every_css_file_is_in_the_stylesheet():
    from pathlib import Path

    from storefront.stylesheet import FILES

    static_css = Path(__file__).resolve().parents[2] / "static" / "css"
    assert sorted(f"css/{p.name}" for p in static_css.glob("*.css")) == sorted(FILES)


@pytest.mark.django_db
def test_html_is_gzipped_with_random_padding_and_a_masked_csrf_token(client):
    make_product("Desk lamp")
    client.cookies["shop_cart"] = "a-cart"  # a visitor with state gets a token (not the shared page)
    first = client.get("/products/", HTTP_ACCEPT_ENCODING="gzip, br")
    second = client.get("/products/", HTTP_ACCEPT_ENCODING="gzip, br")
    assert first["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in first["Vary"]
    assert first.content != second.content  # Django's GZipMiddleware pads with random bytes
    html = gzip.decompress(first.content).decode()
    assert "<!doctype html>" in html
    assert len(first.content) < len(html) / 3
    tokens = [
        re.search(r'"X-CSRFToken": "([^"]+)"', gzip.decompress(r.content).decode()).group(1) for r in (first, second)
    ]
    assert tokens[0] != tokens[1]  # masked anew for every response


@pytest.mark.django_db
def test_json_and_images_are_not_gzipped(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "big.webp").write_bytes(b"RIFF" + b"\0" * 5000)
    assert not client.get("/media/big.webp", HTTP_ACCEPT_ENCODING="gzip").has_header("Content-Encoding")
    schema = client.get("/api/v1/openapi.json", HTTP_ACCEPT_ENCODING="gzip")
    assert schema.status_code == 200
    assert not schema.has_header("Content-Encoding")


@pytest.mark.django_db
def test_product_images_are_served_with_cache_control_even_to_logged_in_shoppers(
    client, settings, tmp_path, django_user_model
):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "products").mkdir()
    (tmp_path / "products" / "lamp.webp").write_bytes(b"RIFF....WEBP")
    response = client.get("/media/products/lamp.webp")
    assert response.status_code == 200
    assert response["Cache-Control"] == f"public, max-age={settings.MEDIA_CACHE_SECONDS}"
    assert response.has_header("Last-Modified")
    client.force_login(django_user_model.objects.create_user("ada@example.com", "a-long-passphrase-42"))
    assert client.get("/media/products/lamp.webp")["Cache-Control"].startswith("public")
    assert "no-store" in client.get("/accounts/profile/")["Cache-Control"]
