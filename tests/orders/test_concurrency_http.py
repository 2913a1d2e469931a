"""Proof under concurrency over real HTTP: gunicorn serving the PostgreSQL test database, buyers as HTTP clients.

test_concurrency.py races threads through the services and the in-process test Client; here every racer is
a separate HTTP client (urllib with its own cookie jar) that browses as a browser without JavaScript does:
adds to its cart from the product page, is sent to log in by the checkout, logs in through the login form,
walks address → shipping → review → pay reading each form's fields (CSRF token, quote, checkout token,
payment key) from the HTML, types the card on the sandbox provider's page and follows its redirect back
to the return URL, and only then do all racers submit the same step together (threading.Barrier). So the
views, middleware (sessions, CSRF, axes, CSP), the session-kept checkout state and the database locks are all
in the path, exactly as in production.

Why a gunicorn subprocess rather than pytest-django's live_server: live_server is one process, so the racers'
requests share the test process's GIL and one psycopg pool (4 connections by default; a pool of 1 deadlocks
it, STACK.md) and the server could not show a bug that needs two processes. gunicorn as production runs it
(gunicorn.conf.py) with 4 worker processes × 5 threads and a pool of 5 connections per process can run all
20 checkouts at once on 20 connections, in several processes, as a real deployment does. It starts once for
the module (about 2 s) against the test database, which every test here fills and commits
(django_db(transaction=True)): the server reads what the test wrote and the test reads what the server did.

PostgreSQL only: SQLite serialises every writer, and pytest-django's SQLite test database lives in memory,
where no other process can see it. CI runs this file on PostgreSQL.
"""

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from cart.models import CartLine
from catalog.models import Product, ProductVariant
from notifications.models import Message
from orders.models import CreditNote, Invoice, Order, OrderTransition, Payment, Refund, WebhookEvent
from sandbox import provider
from sandbox.models import SandboxCharge
from tests.factories import make_product, stock_of
from tests.orders.conftest import ASYNC, SUCCESS, make_shopper

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: another process (gunicorn) must share the test database, and SQLite "
        "serialises writers",
    ),
]

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
PASSWORD = "a-long-and-unusual-passphrase-42"  # make_shopper's
WORKERS, THREADS = 4, 5


# --- The server ------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(django_db_setup, tmp_path_factory) -> Iterator[str]:
    """gunicorn on a free loopback port, serving the test database; yields its base URL."""
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    port = free_port()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path_factory.mktemp("gunicorn-home")),
        "DJANGO_SETTINGS_MODULE": "shop.settings_test",
        "DATABASE_URL": f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        # The same secrets as this process: its sandbox provider signs the webhooks the server verifies.
        "SECRET_KEY": settings.SECRET_KEY,
        "PAYMENT_WEBHOOK_SECRET": settings.PAYMENT_WEBHOOK_SECRET,
        "WEB_CONCURRENCY": str(WORKERS),
        "GUNICORN_THREADS": str(THREADS),
        "DB_POOL_MAX_SIZE": str(THREADS),  # one connection per thread: no request waits for the pool
        "DB_POOL_TIMEOUT": "20",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_ACCESSLOG": "",
        "LOG_LEVEL": "WARNING",
    }
    log_path = tmp_path_factory.mktemp("gunicorn-log") / "gunicorn.log"
    base = f"http://127.0.0.1:{port}"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [GUNICORN, "-c", "gunicorn.conf.py"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until_up(base, process, log_path)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    # An app error (500) logs a traceback in the server's log: show it in the test run's output.
    errors = log_path.read_text()
    if "Traceback" in errors:
        print(errors[-5000:], file=sys.stderr)


def wait_until_up(base: str, process: subprocess.Popen, log_path: Path, timeout: float = 90) -> None:
    """Wait for the health check; a slow answer on a busy machine (a read timeout) is tried again."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited early:\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=5):
                return
        except OSError:  # refused, reset, timed out (URLError is an OSError too)
            time.sleep(0.2)
    pytest.fail(f"gunicorn did not answer within {timeout:.0f}s:\n{log_path.read_text()[-3000:]}")


# --- A browser without JavaScript --------------------------------------------------------------------------


class FormReader(HTMLParser):
    """Every <form> of a page: its action and what a browser would submit without the user typing anything."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._select: str | None = None
        self._first_option: str | None = None

    def handle_starttag(self, tag, attrs):
        a = {name: value if value is not None else "" for name, value in attrs}
        if tag == "form":
            self.forms.append({"action": a.get("action", ""), "fields": {}})
        elif not self.forms:
            return
        fields = self.forms[-1]["fields"]
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    fields[a["name"]] = a.get("value", "on")
            elif kind not in ("submit", "button", "image", "file", "reset"):
                fields[a["name"]] = a.get("value", "")
        elif tag == "select" and a.get("name"):
            self._select, self._first_option = a["name"], None
        elif tag == "option" and self._select:
            if self._first_option is None:
                self._first_option = a.get("value", "")
            if "selected" in a:
                fields[self._select] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag == "select" and self._select:
            self.forms[-1]["fields"].setdefault(self._select, self._first_option or "")
            self._select = None


def form_fields(html: str, action: str) -> dict[str, str]:
    reader = FormReader()
    reader.feed(html)
    for form in reader.forms:
        if form["action"] == action:
            return dict(form["fields"])
    raise AssertionError(f"no form posting to {action} on the page:\n{html[:3000]}")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 3xx comes back as the answer: the test looks at where it points


@dataclass
class Answer:
    status: int
    location: str
    body: str


class Browser:
    """One shopper's browser: its own cookie jar (session, CSRF cookie), plain GETs and form POSTs."""

    def __init__(self, base: str, jar: http.cookiejar.CookieJar | None = None):
        self.base = base
        self.jar = jar if jar is not None else http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirects)

    def tab(self) -> "Browser":
        """Another tab of the same browser: the same cookies (session), its own connection."""
        jar = http.cookiejar.CookieJar()
        for cookie in self.jar:
            jar.set_cookie(cookie)
        return Browser(self.base, jar)

    def send(self, path: str, data: dict | bytes | None = None, headers: dict | None = None) -> Answer:
        body = urllib.parse.urlencode(data).encode() if isinstance(data, dict) else data
        headers = {"User-Agent": "Mozilla/5.0 (race test)", **(headers or {})}
        if body is not None:
            headers.setdefault("Origin", self.base)  # what a browser sends with a form POST
        request = urllib.request.Request(self.base + path, data=body, headers=headers)
        try:
            with self.opener.open(request, timeout=60) as response:
                return Answer(response.status, "", response.read().decode())
        except urllib.error.HTTPError as exc:  # 3xx (not followed), 4xx, 5xx
            with exc:
                return Answer(exc.code, exc.headers.get("Location", ""), exc.read().decode())

    def get(self, path: str) -> Answer:
        """GET, following redirects as a browser does; the answer of the last page."""
        for _ in range(5):
            answer = self.send(path)
            if answer.status not in (301, 302, 303):
                return answer
            path = answer.location
        raise AssertionError(f"too many redirects at {path}")

    def submit(self, page: Answer, action: str, **typed: str) -> Answer:
        """Submit the page's form posting to `action`: its own fields (hidden ones too) plus what is typed."""
        assert page.status == 200, (page.status, page.body[:2000])
        return self.send(action, {**form_fields(page.body, action), **typed})


def main_content(html: str) -> str:
    """The page's <main> (where the form errors and messages are): a readable failure message."""
    start = html.find("<main")
    return html[start : html.find("</main>", start) + 7] if start >= 0 else html[:3000]


def problem(html: str) -> str:
    """The text of the page's alert (the reason a step refused), or "" when there is none."""
    found = re.search(r'<p class="message message-error" role="alert">(.*?)</p>', html, re.DOTALL)
    return unescape(found[1]).strip() if found else ""


def expect_redirect(answer: Answer, to: str = "") -> str:
    assert answer.status == 302, (answer.status, main_content(answer.body))
    assert answer.location.startswith(to), answer.location
    return answer.location


def shopper_reaches_review(base: str, email: str, product: Product, guest: bool = False) -> tuple[Browser, Answer]:
    """A shopper adds the product to the cart, logs in at checkout (or goes on as a guest), walks to the review."""
    browser = Browser(base)
    page = browser.get(product.get_absolute_url())
    assert form_fields(page.body, "/cart/add/")["product"] == str(product.pk)
    expect_redirect(browser.submit(page, "/cart/add/"))
    expect_redirect(browser.send("/checkout/"), "/checkout/start/")
    start = browser.get("/checkout/start/")
    if guest:
        expect_redirect(browser.submit(start, "/checkout/start/", email=email), "/checkout/")
    else:
        assert 'href="/accounts/login/?next=/checkout/"' in start.body
        login = browser.get("/accounts/login/?next=/checkout/")
        expect_redirect(browser.submit(login, "/accounts/login/", username=email, password=PASSWORD), "/checkout/")
    address = browser.get("/checkout/")
    typed = {
        "name": "Ada Lovelace",
        "line1": "12 Engine Street",
        "city": "London",
        "postcode": "N1 7AA",
        "country": "GB",
    }
    answer = browser.submit(address, "/checkout/", address="new", **{f"new-{k}": v for k, v in typed.items()})
    expect_redirect(answer, "/checkout/shipping/")
    expect_redirect(browser.submit(browser.get("/checkout/shipping/"), "/checkout/shipping/"), "/checkout/review/")
    review = browser.get("/checkout/review/")
    assert "Place order" in review.body, main_content(review.body)
    return browser, review


def race(count: int, work) -> list:
    """Run work(i) in `count` threads released together by a barrier; their answers, in order."""
    barrier = threading.Barrier(count)

    def run(i):
        barrier.wait(timeout=60)
        return work(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def shopper_with_order(base: str) -> tuple[Browser, Order, Answer]:
    """A shopper who placed an order over HTTP and has its payment page open."""
    product = make_product("Brass gear", stock=3)
    make_shopper("payer@example.com")
    browser, review = shopper_reaches_review(base, "payer@example.com", product)
    pay_url = expect_redirect(browser.submit(review, "/checkout/place/"), "/checkout/pay/")
    order = Order.objects.get()
    assert pay_url == f"/checkout/pay/{order.number}/"
    pay_page = browser.get(pay_url)
    assert "Pay order" in pay_page.body
    return browser, order, pay_page


def pay_on_provider(browser: Browser, provider_url: str, number: str) -> Answer:
    """On the sandbox provider's page: type the card; follow the redirect back to our return URL."""
    page = browser.get(provider_url)
    assert "Test mode" in page.body, main_content(page.body)
    back = browser.submit(page, provider_url, number=number)
    assert back.status == 302, (back.status, back.body[:2000])
    return browser.send(back.location.removeprefix(browser.base))


# --- The proofs -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("guest", [False, True], ids=["members", "guests"])
def test_twenty_buyers_racing_over_http_for_five_units_get_exactly_five_orders(server, guest):
    product = make_product("Last few", stock=5)
    emails = [f"buyer{i}@example.com" for i in range(20)]
    for email in emails if not guest else []:
        make_shopper(email)
    with ThreadPoolExecutor(max_workers=5) as pool:  # getting there is not the race: a few at a time
        shoppers = list(pool.map(lambda email: shopper_reaches_review(server, email, product, guest), emails))

    answers = race(20, lambda i: shoppers[i][0].submit(shoppers[i][1], "/checkout/place/"))

    assert all(answer.status < 500 for answer in answers), [(a.status, a.body[:2000]) for a in answers]
    placed = [answer for answer in answers if answer.status == 302]
    refused = [answer for answer in answers if answer.status != 302]
    assert len(placed) == 5, [(a.status, a.location) for a in answers]
    assert all(answer.location.startswith("/checkout/pay/") for answer in placed)
    # The 15 others are shown the review again with the reason, their carts untouched.
    assert len(refused) == 15
    problems = [problem(answer.body) for answer in refused]
    assert [answer.status for answer in refused] == [409] * 15, problems
    # Who lost at the stock step saw stock 0; who lost at the conditional UPDATE saw it taken under them.
    assert set(problems) <= {
        "Last few is sold out.",
        "Not enough stock: Last few (sold out). Change the quantities in your cart.",
    }, problems
    product.refresh_from_db()
    assert stock_of(product) == 0
    assert not ProductVariant.objects.filter(stock__lt=0).exists()
    orders = Order.objects.all()
    assert sorted(f"/checkout/pay/{order.number}/" for order in orders) == sorted(a.location for a in placed)
    assert all(order.status == Order.Status.PENDING_PAYMENT and order.stock_held for order in orders)
    assert sum(order.lines.get().quantity for order in orders) == 5
    assert Invoice.objects.count() == 5
    assert Message.objects.filter(kind=Message.Kind.ORDER_CONFIRMATION).count() == 5
    assert CartLine.objects.count() == 15  # the losers' carts, untouched
    assert Order.objects.filter(user__isnull=guest).count() == 5


def test_ten_concurrent_pay_submissions_over_http_make_one_charge(server):
    browser, order, pay_page = shopper_with_order(server)
    action = f"/checkout/pay/{order.number}/"
    # The same form, as it is on the page (CSRF token, idempotency key), sent 10 times at once: a Pay
    # button clicked again and again, the page open in several tabs of the shopper's browser.
    fields = form_fields(pay_page.body, action)
    assert set(fields) == {"csrfmiddlewaretoken", "key"}  # no card input on our origin
    tabs = [browser.tab() for _ in range(10)]

    answers = race(10, lambda i: tabs[i].send(action, fields))

    # Every click lands on the one provider session the first click opened: no error page.
    assert [answer.status for answer in answers] == [302] * 10, [(a.status, a.body[:2000]) for a in answers]
    charge = SandboxCharge.objects.get()
    assert {answer.location for answer in answers} == {f"/sandbox-pay/{charge.reference}/"}
    expect_redirect(pay_on_provider(browser, answers[0].location, SUCCESS), order.get_absolute_url())
    charge.refresh_from_db()
    assert charge.confirmations == 1
    assert charge.idempotency_key == fields["key"]
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.SUCCEEDED
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert Invoice.objects.get().status == Invoice.Status.PAID
    assert OrderTransition.objects.filter(order=order, to_status=Order.Status.PAID).count() == 1
    assert Message.objects.filter(kind=Message.Kind.PAYMENT_RECEIPT).count() == 1
    assert "Paid" in browser.get(order.get_absolute_url()).body


def test_a_webhook_delivered_five_times_at_once_over_http_makes_one_transition(server):
    browser, order, pay_page = shopper_with_order(server)
    action = f"/checkout/pay/{order.number}/"
    to_provider = expect_redirect(browser.submit(pay_page, action), "/sandbox-pay/")
    expect_redirect(pay_on_provider(browser, to_provider, ASYNC), order.get_absolute_url())
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.PENDING
    # The provider finishes the charge and signs its event (what its delivery task would POST), then a
    # flaky network delivers that one event five times at once.
    body, headers = provider.webhook_event(payment.gateway_reference)
    deliveries = [Browser(server) for _ in range(5)]
    headers = {**headers, "Content-Type": "application/json"}

    answers = race(5, lambda i: deliveries[i].send("/payments/webhook/sandbox/", body, headers))

    # The code answers 200 to every verified delivery: "settled" once, "duplicate" for the replays.
    assert [answer.status for answer in answers] == [200] * 5, [(a.status, a.body) for a in answers]
    assert sorted(answer.body for answer in answers) == ["duplicate"] * 4 + ["settled"]
    assert WebhookEvent.objects.count() == 1
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert OrderTransition.objects.filter(order=order, to_status=Order.Status.PAID).count() == 1
    assert Payment.objects.get().status == Payment.Status.SUCCEEDED
    assert Message.objects.filter(kind=Message.Kind.PAYMENT_RECEIPT).count() == 1


def test_five_different_events_for_one_payment_over_http_settle_it_once(server):
    """Distinct events (a provider's retries with new ids) get past the event-id guard: the settle lock decides."""
    browser, order, pay_page = shopper_with_order(server)
    action = f"/checkout/pay/{order.number}/"
    to_provider = expect_redirect(browser.submit(pay_page, action), "/sandbox-pay/")
    expect_redirect(pay_on_provider(browser, to_provider, ASYNC), order.get_absolute_url())
    payment = Payment.objects.get()
    events = [provider.webhook_event(payment.gateway_reference) for _ in range(5)]
    deliveries = [Browser(server) for _ in range(5)]

    answers = race(
        5,
        lambda i: deliveries[i].send(
            "/payments/webhook/sandbox/", events[i][0], {**events[i][1], "Content-Type": "application/json"}
        ),
    )

    assert [answer.status for answer in answers] == [200] * 5, [(a.status, a.body) for a in answers]
    assert sorted(answer.body for answer in answers) == ["settled"] + ["unchanged"] * 4
    assert WebhookEvent.objects.count() == 5
    assert OrderTransition.objects.filter(order=order, to_status=Order.Status.PAID).count() == 1
    assert Message.objects.filter(kind=Message.Kind.PAYMENT_RECEIPT).count() == 1


def staff_browser(base: str, email: str) -> Browser:
    """A member of staff logged in to the admin through its login form."""
    from accounts.models import User

    User.objects.create_superuser(email, PASSWORD)
    browser = Browser(base)
    login = browser.get("/admin/login/?next=/admin/")
    expect_redirect(browser.submit(login, "/admin/login/?next=/admin/", username=email, password=PASSWORD), "/admin/")
    return browser


def test_five_staff_refunding_at_once_over_http_never_exceed_what_was_paid(server):
    browser, order, pay_page = shopper_with_order(server)
    to_provider = expect_redirect(browser.submit(pay_page, f"/checkout/pay/{order.number}/"), "/sandbox-pay/")
    expect_redirect(pay_on_provider(browser, to_provider, SUCCESS), order.get_absolute_url())
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    part = (order.total * 4 / 10).quantize(order.total)
    action = f"/admin/orders/order/{order.pk}/refund/"
    staff = [staff_browser(server, f"staff{i}@example.com") for i in range(5)]
    pages = [member.get(action) for member in staff]

    answers = race(5, lambda i: staff[i].submit(pages[i], action, amount=str(part), reason=f"race {i}"))

    assert sorted(answer.status for answer in answers) == [302, 302, 400, 400, 400], [
        (a.status, main_content(a.body)[:500]) for a in answers
    ]
    assert all("left to refund" in answer.body for answer in answers if answer.status == 400)
    refunds = Refund.objects.filter(status=Refund.Status.SUCCEEDED)
    assert sum(refund.amount for refund in refunds) == 2 * part <= order.total
    assert SandboxCharge.objects.get().refunded == 2 * part
    assert sorted(CreditNote.objects.values_list("number", flat=True)) == [1, 2]
    assert Invoice.objects.get().amount_refunded == 2 * part
