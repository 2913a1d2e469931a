import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storefront.templatetags.markup import iso_datetime

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_time_values_carry_no_fraction_of_a_second(settings):
    settings.TIME_ZONE = "Europe/Vienna"
    assert iso_datetime(datetime(2026, 12, 2, 4, 13, 11, 123456, tzinfo=UTC)) == "2026-12-02T05:13:11+01:00"
    assert iso_datetime(None) == ""


def test_no_template_writes_a_datetime_attribute_with_microseconds():
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        for value in re.findall(r'datetime="([^"]*)"', path.read_text()):
            if "|date:'c'" in value or '|date:"c"' in value:
                offenders.append(f"{path.relative_to(TEMPLATES)}: {value}")
    assert offenders == []


@pytest.mark.django_db
def test_the_storefront_password_page_shows_no_search_box_or_cart(client, settings):
    settings.SHOP_PASSWORD = "open-sesame"
    response = client.get("/products/")
    html = response.content.decode()
    assert response.status_code == 503
    assert "opening soon" in html
    assert 'id="site-search-q"' not in html
    assert 'id="cart-badge"' not in html
    # The legal pages and the stylesheet stay readable behind the gate.
    assert client.get("/pages/imprint/").status_code == 200
    assert client.get(re.search(r'<link rel="stylesheet" href="([^"]+)"', html).group(1)).status_code == 200


@pytest.mark.django_db
def test_the_header_menu_works_without_javascript(client):
    html = client.get("/").content.decode()
    menu = html[html.index('<details class="site-menu">') : html.index("</details>")]
    assert "<summary" in menu
    assert 'href="/products/"' in menu
    assert 'id="site-search-q"' in menu
