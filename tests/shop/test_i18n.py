"""Languages: English without a prefix, German under /de/; the German catalog complete and current."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from django.conf import settings

from tests.factories import make_category, make_product

ROOT = Path(settings.BASE_DIR)
PO = ROOT / "locale" / "de" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _catalog(path: Path = PO):
    with path.open("rb") as f:
        return read_po(f, locale="de")


def _translated(message) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(strings)


def _strings(message) -> tuple:
    return tuple(message.string) if isinstance(message.string, (list, tuple)) else (message.string,)


def _key(message):
    return message.id if isinstance(message.id, str) else tuple(message.id)


def test_the_german_catalog_has_no_untranslated_or_fuzzy_entry():
    catalog = _catalog()
    assert len(catalog) > 100
    untranslated = [m.id for m in catalog if m.id and not _translated(m)]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == [], f"untranslated in {PO.relative_to(ROOT)}: {untranslated}"
    assert fuzzy == [], f"fuzzy in {PO.relative_to(ROOT)}: {fuzzy}"
    assert not catalog.fuzzy, "the catalog's header is marked fuzzy"


def test_the_compiled_catalog_matches_the_po_file():
    with MO.open("rb") as f:
        compiled = {_key(m): _strings(m) for m in read_mo(f) if m.id}
    source = {_key(m): _strings(m) for m in _catalog() if m.id}
    assert compiled == source, "django.mo is stale: run `make messages`"


def test_the_catalog_holds_every_marked_string():
    """Extraction over a copy of the source finds no msgid missing from the committed django.po."""
    if shutil.which("xgettext") is None:
        if IN_CI:
            pytest.fail("xgettext is missing: .ci/run installs gettext")
        pytest.skip("xgettext is missing (apt-get install gettext)")
    work = Path(os.environ.get("TMPDIR", "/tmp")) / f"i18n-check-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    ignore = shutil.ignore_patterns(
        ".venv", "node_modules", "tests", "bench", "staticfiles", "media", ".git", "*.pyc", "db.sqlite3*"
    )
    try:
        shutil.copytree(ROOT, work, ignore=ignore, symlinks=True)
        env = {**os.environ, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "shop.settings", "DATABASE_URL": ""}
        command = [sys.executable, "manage.py", "makemessages", "-l", "de", "--no-location", "--no-wrap"]
        command += ["-i", "sandbox", "-i", "staticfiles", "-i", "media"]
        subprocess.run(command, cwd=work, env=env, check=True, capture_output=True, timeout=300)
        extracted = {_key(m) for m in _catalog(work / "locale" / "de" / "LC_MESSAGES" / "django.po") if m.id}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    committed = {_key(m) for m in _catalog() if m.id}
    missing = sorted(map(str, extracted - committed))
    assert missing == [], f"marked but not in django.po (run `make messages` and translate): {missing}"


@pytest.fixture
def catalog_data():
    lamps = make_category("Lamps", slug="lamps")
    make_product("Desk lamp", category=lamps, slug="desk-lamp", stock=10)


@pytest.mark.django_db
def test_the_german_product_list_is_german_and_the_english_one_english(client, catalog_data):
    german = client.get("/de/products/")
    assert german.status_code == 200
    html = german.content.decode()
    assert '<html lang="de">' in html
    assert "Produkte" in html
    assert "In den Warenkorb" in html
    assert "Auf Lager" in html
    assert "Add to cart" not in html
    assert "Sort by" not in html
    assert german["Content-Language"] == "de"
    english = client.get("/products/")
    assert english.status_code == 200
    assert '<html lang="en">' in english.content.decode()
    assert "Add to cart" in english.content.decode()


@pytest.mark.django_db
def test_a_german_browser_is_redirected_to_the_german_page_with_its_query(client, catalog_data):
    response = client.get("/products/?q=lamp&sort=price", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9,en;q=0.5")
    assert response.status_code == 302
    assert response["Location"] == "/de/products/?q=lamp&sort=price"
    assert "private" in response["Cache-Control"]
    assert {"Accept-Language", "Cookie"} <= {v.strip() for v in response["Vary"].split(",")}
    assert client.get("/products/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.8").status_code == 200


@pytest.mark.django_db
def test_the_language_cookie_wins_over_accept_language(client, catalog_data):
    client.cookies["django_language"] = "de"
    assert client.get("/products/")["Location"] == "/de/products/"
    client.cookies["django_language"] = "en"
    response = client.get("/products/", HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 200
    assert "Add to cart" in response.content.decode()


@pytest.mark.django_db
def test_posts_and_machine_endpoints_are_never_redirected(client):
    assert client.get("/healthz", HTTP_ACCEPT_LANGUAGE="de").status_code == 200
    assert client.get("/robots.txt", HTTP_ACCEPT_LANGUAGE="de").status_code == 200
    assert client.get("/sitemap.xml", HTTP_ACCEPT_LANGUAGE="de").status_code == 200
    assert client.get("/de/healthz").status_code == 404
    assert client.get("/de/admin/").status_code == 404
    # The webhook stays at one URL for the provider, outside any language.
    assert client.post("/payments/webhook/sandbox/", b"{}", content_type="application/json").status_code != 302
    assert client.post("/de/payments/webhook/sandbox/", b"{}", content_type="application/json").status_code == 404
    response = client.post("/cart/add/", {"product": "x"}, HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 400


@pytest.mark.django_db
def test_unprefixed_pages_vary_by_accept_language_and_stay_shared(client, catalog_data):
    english = client.get("/products/")
    assert "public" in english["Cache-Control"]
    assert "s-maxage" in english["Cache-Control"]
    assert "Accept-Language" in english["Vary"]
    assert "Cookie" not in english["Vary"]
    assert english.has_header("ETag")
    assert not english.cookies
    german = client.get("/de/products/")
    assert "public" in german["Cache-Control"]
    assert german.has_header("ETag")
    assert german["ETag"] != english["ETag"]
    assert client.get("/de/products/", HTTP_IF_NONE_MATCH=german["ETag"]).status_code == 304


@pytest.mark.django_db
def test_an_unprefixed_page_for_a_visitor_with_a_language_cookie_is_private(client, catalog_data):
    client.cookies["django_language"] = "en"
    response = client.get("/products/")
    assert "private" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"]
    assert {"Accept-Language", "Cookie"} <= {v.strip() for v in response["Vary"].split(",")}
    assert not response.has_header("ETag")
    # The German page is German for everyone: a cache may keep it whatever the cookie says.
    client.cookies["django_language"] = "de"
    assert "public" in client.get("/de/products/")["Cache-Control"]


@pytest.mark.django_db
def test_the_switcher_sets_the_cookie_and_shows_the_same_page_in_the_other_language(client, catalog_data):
    response = client.get("/language/", {"lang": "de", "next": "/products/?q=lamp"})
    assert response.status_code == 302
    assert response["Location"] == "/de/products/?q=lamp"
    assert response.cookies["django_language"].value == "de"
    assert "no-store" in response["Cache-Control"]
    back = client.get("/language/", {"lang": "en", "next": "/de/products/desk-lamp/"})
    assert back["Location"] == "/products/desk-lamp/"
    assert back.cookies["django_language"].value == "en"


@pytest.mark.django_db
def test_the_switcher_refuses_other_sites_and_unknown_languages(client):
    away = client.get("/language/", {"lang": "de", "next": "https://evil.example/"})
    assert away.status_code == 302
    assert away["Location"] == "/de/"
    unknown = client.get("/language/", {"lang": "xx", "next": "/"})
    assert unknown.status_code == 400
    assert "'xx'" in unknown.content.decode()
    assert "en, de" in unknown.content.decode()
    assert "django_language" not in unknown.cookies


@pytest.mark.django_db
def test_the_footer_links_to_each_language_of_this_page(client, catalog_data):
    html = client.get("/products/?q=lamp").content.decode()
    switcher = re.search(r'<nav class="language-switcher".*?</nav>', html, re.S).group(0)
    assert 'href="/language/?lang=de&amp;next=/products/%3Fq%3Dlamp"' in switcher
    assert 'lang="de"' in switcher
    assert ">Deutsch</a>" in switcher
    assert re.search(r'lang="en"[^>]*aria-current="true"', switcher)
    german = client.get("/de/products/").content.decode()
    assert re.search(r'lang="de"[^>]*aria-current="true"', german)
    assert 'aria-label="Sprache"' in german


@pytest.mark.django_db
def test_every_storefront_page_names_its_languages_with_hreflang(client, catalog_data):
    for path in ("/", "/products/", "/products/desk-lamp/", "/categories/lamps/", "/cart/"):
        html = client.get(f"/de{path}").content.decode()
        links = dict(re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', html))
        assert links == {
            "en": f"http://testserver{path}",
            "de": f"http://testserver/de{path}",
            "x-default": f"http://testserver{path}",
        }, path
        assert f'<link rel="canonical" href="http://testserver/de{path}">' in html
    html = client.get("/products/?page=2&sort=price").content.decode()
    assert '<link rel="alternate" hreflang="de" href="http://testserver/de/products/?page=2">' in html


@pytest.mark.django_db
def test_the_sitemap_lists_both_languages_with_alternates(client, catalog_data):
    xml = client.get("/sitemap-products.xml").content.decode()
    assert "<loc>http://testserver/products/desk-lamp/</loc>" in xml
    assert "<loc>http://testserver/de/products/desk-lamp/</loc>" in xml
    assert 'hreflang="de" href="http://testserver/de/products/desk-lamp/"' in xml
    assert 'hreflang="x-default" href="http://testserver/products/desk-lamp/"' in xml


@pytest.mark.django_db
def test_error_pages_and_the_stylesheet_follow_the_prefix(client):
    missing = client.get("/de/no-such-page/")
    assert missing.status_code == 404
    assert "Seite nicht gefunden" in missing.content.decode()
    html = client.get("/de/").content.decode()
    stylesheet = re.search(r'<link rel="stylesheet" href="([^"]+)">', html).group(1)
    assert stylesheet.startswith("/assets/")  # one stylesheet URL for every language


@pytest.mark.django_db
def test_the_password_gate_exempts_german_legal_pages(client, settings):
    from storefront.models import Page

    Page.objects.update_or_create(slug="imprint", defaults={"title": "Imprint", "body": "Us.", "is_published": True})
    settings.SHOP_PASSWORD = "open-sesame"
    assert client.get("/de/pages/imprint/").status_code == 200
    gated = client.get("/de/products/")
    assert gated.status_code == 503
    assert 'action="/de/password/"' in gated.content.decode()


@pytest.mark.django_db
def test_content_page_dates_follow_the_locale_and_keep_iso_datetime(client):
    from storefront.models import Page

    Page.objects.update_or_create(
        slug="imprint", defaults={"title": "Imprint", "body": "Us.", "is_published": True, "group": Page.Group.LEGAL}
    )
    html = client.get("/de/pages/imprint/").content.decode()
    match = re.search(r'Zuletzt aktualisiert am <time datetime="(\d{4}-\d{2}-\d{2})">([^<]+)</time>', html)
    assert match, html
    assert re.fullmatch(r"\d{1,2}\. \w+ \d{4}", match.group(2))
