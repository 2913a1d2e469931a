"""The Nu Html Checker (vnu.jar from the npm package `vnu-jar`, pinned in package.json) finds no error.

htmx's `hx-*` (and its SSE extension's `sse-*`) attributes are reported apart: the checker knows no
custom attributes without `data-`.
"""

import json
import shutil
import subprocess

import pytest

from tests.browser.checkers import NODE_MODULES, require
from tests.factories import make_category, make_product
from tests.orders.conftest import fill_cart, make_shopper, pay, place

VNU = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
PAGES = [
    "/",
    "/products/",
    "/products/?q=lamp&sort=price",
    "/categories/lighting/",
    "/products/desk-lamp/",
    "/cart/",
    "/accounts/login/",
    "/accounts/register/",
    "/orders/lookup/",
    "/pages/terms/",
    "/pages/imprint/",
    "/no-such-page/",
]


# Known errors owned elsewhere, left out of the count (none today).
KNOWN: set[str] = set()


def _is_htmx(message: dict) -> bool:
    text = message.get("message", "")
    return "“hx-" in text or "“sse-" in text  # htmx and its SSE extension (live updates)


@pytest.mark.django_db
def test_the_nu_html_checker_finds_no_error(client, tmp_path):
    jar = require(VNU)
    if shutil.which("java") is None:
        pytest.skip("java is not installed")
    lighting = make_category("Lighting", slug="lighting")
    make_product("Desk lamp", category=lighting, slug="desk-lamp", description="A brass desk lamp.")
    shopper = make_shopper()
    fill_cart(shopper, (make_product("Wool blanket", category=lighting), 1))
    order = place(shopper)
    pay(order)
    files = {}
    for n, url in enumerate(PAGES):
        files[url] = tmp_path / f"anon-{n}.html"
        files[url].write_bytes(client.get(url).content)
    client.force_login(shopper)
    for n, url in enumerate([f"/orders/{order.number}/", f"/orders/{order.number}/invoice/", "/accounts/sessions/"]):
        files[url] = tmp_path / f"shopper-{n}.html"
        files[url].write_bytes(client.get(url).content)
    assert vnu_errors(jar, files) == []


def vnu_errors(jar, files: dict) -> list[str]:
    """The Nu Html Checker's errors in `files` ({name: path of a saved page}), as "name:line: message",
    leaving out htmx's attributes and the KNOWN messages."""
    run = subprocess.run(
        ["java", "-jar", str(jar), "--errors-only", "--format", "json", *map(str, files.values())],
        capture_output=True,
        text=True,
        timeout=120,
    )
    messages = json.loads(run.stderr or run.stdout)["messages"]
    by_file = {str(path): name for name, path in files.items()}
    return [
        f"{by_file.get(m.get('url', '').removeprefix('file:'), m.get('url'))}:{m.get('lastLine')}: {m['message']}"
        for m in messages
        if m.get("type") == "error" and not _is_htmx(m) and m["message"] not in KNOWN
    ]
