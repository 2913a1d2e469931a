"""A fuzzer of our own: crawl the site's links and forms and send hostile values; no answer may be a 5xx.

It crawls as an anonymous visitor, as a shopper with an order and as staff (the admin excluded: Django's
own), from the home page and the private pages, reading every same-site link's query parameters and every
form's fields. Each parameter and field then gets each hostile value in turn (the others as the page sent
them), and a few parameters every list page could take are tried on every page. Bounded: at most PAGES
pages per visitor, so it runs in seconds on SQLite and PostgreSQL alike.
"""

from collections import deque
from html.parser import HTMLParser
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from django.test import Client

from accounts.models import User
from tests.factories import make_category, make_product
from tests.orders.conftest import fill_cart, place

PAGES = 20
PASSWORD = "a-long-and-unusual-passphrase-42"
# Raw query-string pieces (already percent-encoded where the value is not text).
HOSTILE = [
    "",
    "foo",  # a bare word: a URL name to resolve_url()
    "x" * 10_240,
    "%00",
    "a%00b",
    "%FF%FE%C3%28",  # invalid UTF-8
    "99999999999999999999999999",
    "-1",
    "-99999999999",
    "1e309",
    "NaN",
    "2026-02-30",
    "0000-00-00T25:61",
    "..%2F..%2Fetc%2Fpasswd",
    "%3Cscript%3E",
]
# Parameters a page might read without linking to them get the values most likely to break a parser.
EXTRA_VALUES = ["%00", "%FF%FE", "99999999999999999999999999", "-1", "2026-02-30"]
EXTRA_PARAMS = ["q", "page", "sort", "next", "from", "to", "category", "status"]
# Paths whose segments are looked up in the database: the segment itself is hostile.
HOSTILE_PATHS = [
    "/orders/%00/",
    "/orders/%00/invoice/",
    "/checkout/pay/%00/",
    "/orders/%FF/",
    "/products/%00/",
    "/categories/%00/",
    "/accounts/addresses/99999999999999999999/",
    "/accounts/sessions/%00/revoke/",
]
SKIP = ("/admin/", "/static/", "/media/", "/accounts/logout/", "/accounts/delete/")


class PageReader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attrs):
        a = {name: value or "" for name, value in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self.forms.append({"action": a.get("action", ""), "method": a.get("method", "get").lower(), "fields": []})
        elif tag in ("input", "select", "textarea") and self.forms and a.get("name"):
            if a.get("type", "").lower() not in ("submit", "button", "image", "file", "reset"):
                self.forms[-1]["fields"].append((a["name"], a.get("value", "")))


def same_site(url: str, base_path: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or url.startswith("#"):
        return None
    path = parts.path or base_path
    if not path.startswith("/") or path.startswith(SKIP):
        return None
    return path + (f"?{parts.query}" if parts.query else "")


def raw_query(pairs: list[tuple[str, str]]) -> str:
    """Pairs whose values are raw query-string pieces (HOSTILE) or plain text."""
    return "&".join(f"{quote(name)}={value}" for name, value in pairs)


class Fuzzer:
    def __init__(self, client: Client):
        self.client = client
        self.failures: list[str] = []
        self.requests = 0

    def send(self, method: str, path: str, query: str = "", body: str | None = None) -> None:
        url = f"{path}?{query}" if query else path
        self.requests += 1
        if method == "post":
            response = self.client.post(url, data=body or "", content_type="application/x-www-form-urlencoded")
        else:
            response = self.client.get(url)
        if response.status_code >= 500:
            self.failures.append(f"{method.upper()} {url[:300]} body={str(body)[:300]} -> {response.status_code}")

    def crawl(self, starts: list[str]) -> list[tuple[str, PageReader]]:
        seen, queue, pages = set(), deque(starts), []
        while queue and len(pages) < PAGES:
            url = queue.popleft()
            if url in seen:
                continue
            seen.add(url)
            response = self.client.get(url, follow=True)
            self.requests += 1
            if response.status_code >= 500:
                self.failures.append(f"GET {url} -> {response.status_code}")
                continue
            if "html" not in response.get("Content-Type", ""):
                continue
            reader = PageReader()
            reader.feed(response.content.decode(errors="replace"))
            pages.append((url, reader))
            for link in reader.links:
                found = same_site(link, urlsplit(url).path)
                if found and found not in seen:
                    queue.append(found)
        return pages

    def attack(self, pages: list[tuple[str, PageReader]]) -> None:
        forms_done, params_done = set(), set()
        for url, reader in pages:
            path, _, query = url.partition("?")
            params = parse_qsl(query, keep_blank_values=True)
            names = [name for name, _ in params] + [n for n in EXTRA_PARAMS if n not in dict(params)]
            for name in names:
                if (path, name) in params_done:  # one page of a list stands for its other pages
                    continue
                params_done.add((path, name))
                others = [(n, quote(v)) for n, v in params if n != name]
                for value in HOSTILE if name in dict(params) else EXTRA_VALUES:
                    self.send("get", path, raw_query([*others, (name, value)]))
                self.send("get", path, raw_query([*others, (name, "1"), (name, "%00")]))  # duplicated
            for form in reader.forms:
                action = same_site(form["action"] or path, path)
                key = (form["method"], action, tuple(n for n, _ in form["fields"]))
                if action is None or key in forms_done:
                    continue
                forms_done.add(key)
                self.attack_form(form, action.partition("?")[0])

    def attack_form(self, form: dict, action: str) -> None:
        fields = [(name, quote(value)) for name, value in form["fields"]]
        for index, (name, _) in enumerate(fields):
            if name == "csrfmiddlewaretoken":
                continue
            for value in HOSTILE:
                pairs = [*fields[:index], (name, value), *fields[index + 1 :]]
                if form["method"] == "post":
                    self.send("post", action, body=raw_query(pairs))
                else:
                    self.send("get", action, raw_query(pairs))
            duplicated = [*fields, (name, "1"), (name, "%00")]
            self.send(
                form["method"],
                action,
                *(("", raw_query(duplicated)) if form["method"] == "post" else (raw_query(duplicated),)),
            )
        if form["method"] == "post":
            self.send("post", action, body=raw_query([(n, v) for n, v in fields if n == "csrfmiddlewaretoken"]))


@pytest.fixture
def shop(db):
    category = make_category("Lamps")
    products = [make_product(f"Brass lamp {n}", category=category, stock=50) for n in range(3)]
    shopper = User.objects.create_user("shopper@example.org", PASSWORD, name="Sam Shopper")
    fill_cart(shopper, (products[0], 1))
    placed = place(shopper)
    fill_cart(shopper, (products[1], 2))
    staff = User.objects.create_user("staff@example.org", PASSWORD, name="Staff", is_staff=True, is_superuser=True)
    return {"products": products, "shopper": shopper, "staff": staff, "order": placed}


def fuzz(client: Client, starts: list[str]) -> Fuzzer:
    fuzzer = Fuzzer(client)
    fuzzer.attack(fuzzer.crawl(starts))
    for path in HOSTILE_PATHS:
        fuzzer.send("get", path)
    return fuzzer


STARTS = ["/", "/products/", "/cart/", "/accounts/login/", "/accounts/register/", "/accounts/password/reset/"]


@pytest.mark.django_db
def test_hostile_input_from_an_anonymous_visitor_never_gets_a_5xx(shop):
    fuzzer = fuzz(Client(raise_request_exception=False), STARTS + [shop["products"][0].get_absolute_url()])

    assert fuzzer.requests > 500
    assert not fuzzer.failures, "\n".join(fuzzer.failures[:40])


def private_starts(shop: dict, role: str) -> list[str]:
    if role == "staff":
        return ["/staff/emails/", "/staff/analytics/", "/"]
    order = shop["order"]
    return [
        "/accounts/profile/",
        "/accounts/sessions/",
        "/orders/",
        "/checkout/",
        order.get_absolute_url(),
        *STARTS[:3],
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["shopper", "staff"])
def test_hostile_input_from_a_logged_in_visitor_never_gets_a_5xx(shop, role):
    client = Client(raise_request_exception=False)
    client.force_login(shop[role])
    fuzzer = fuzz(client, private_starts(shop, role))

    assert fuzzer.requests > 300
    assert not fuzzer.failures, "\n".join(fuzzer.failures[:40])
