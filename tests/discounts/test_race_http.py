"""Proof under concurrency over real HTTP: 20 shoppers racing for a single-use code get exactly one order
with it. The others are refused at "Place order" with the reason and no order (as real shops do), their
carts and stock untouched.

Like tests/orders/test_concurrency_http.py (whose browser without JavaScript this reuses): gunicorn
with several worker processes serving the PostgreSQL test database, each racer its own HTTP client with
its own cookies, all submitting together behind a barrier. PostgreSQL only: SQLite serialises writers
and its test database lives in memory, where no other process can see it.
"""

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.db import connection

from cart.models import CartLine
from discounts.models import Redemption, Voucher
from orders.models import Order
from tests.factories import make_product, stock_of
from tests.orders.conftest import make_shopper
from tests.orders.test_concurrency_http import (
    GUNICORN,
    ROOT,
    expect_redirect,
    main_content,
    problem,
    race,
    shopper_reaches_review,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: another process (gunicorn) must share the test database, and SQLite "
        "serialises writers",
    ),
]
PORT = int(os.environ.get("DISCOUNTS_RACE_PORT", "15421"))


@pytest.fixture(scope="module")
def server(django_db_setup, tmp_path_factory) -> Iterator[str]:
    """gunicorn (4 processes × 5 threads) serving the test database; yields its base URL."""
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path_factory.mktemp("gunicorn-home")),
        "DJANGO_SETTINGS_MODULE": "shop.settings_test",
        "DATABASE_URL": f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "SECRET_KEY": settings.SECRET_KEY,
        "PAYMENT_WEBHOOK_SECRET": settings.PAYMENT_WEBHOOK_SECRET,
        "WEB_CONCURRENCY": "4",
        "GUNICORN_THREADS": "5",
        "DB_POOL_MAX_SIZE": "5",
        "DB_POOL_TIMEOUT": "20",
        "GUNICORN_BIND": f"127.0.0.1:{PORT}",
        "GUNICORN_ACCESSLOG": "",
        "LOG_LEVEL": "WARNING",
    }
    log_path = tmp_path_factory.mktemp("gunicorn-log") / "gunicorn.log"
    base = f"http://127.0.0.1:{PORT}"
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
    errors = log_path.read_text()
    if "Traceback" in errors:
        print(errors[-5000:], file=sys.stderr)


def wait_until_up(base: str, process: subprocess.Popen, log_path, timeout: float = 90) -> None:
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


def shopper_with_code(base: str, email: str, product, guest: bool):
    """A shopper at review who typed the code there (the plain form: POST, redirect, the review again)."""
    browser, review = shopper_reaches_review(base, email, product, guest)
    expect_redirect(browser.submit(review, "/cart/voucher/", code="once-only"), "/checkout/review/")
    review = browser.get("/checkout/review/")
    assert "Code <strong" in review.body, main_content(review.body)
    assert "You save" in review.body
    return browser, review


@pytest.mark.parametrize("guest", [False, True], ids=["members", "guests"])
def test_twenty_shoppers_racing_for_a_single_use_code_make_exactly_one_order_with_it(server, guest):
    product = make_product("Gift box", stock=100)
    Voucher.objects.create(code="ONCE-ONLY", kind="fixed", value="5.00", usage_limit=1)
    emails = [f"racer{i}@example.com" for i in range(20)]
    for email in emails if not guest else []:
        make_shopper(email)
    with ThreadPoolExecutor(max_workers=5) as pool:  # getting there is not the race
        shoppers = list(pool.map(lambda email: shopper_with_code(server, email, product, guest), emails))

    answers = race(20, lambda i: shoppers[i][0].submit(shoppers[i][1], "/checkout/place/"))

    assert all(answer.status < 500 for answer in answers), [(a.status, a.body[:2000]) for a in answers]
    placed = [answer for answer in answers if answer.status == 302]
    refused = [answer for answer in answers if answer.status != 302]
    assert len(placed) == 1, [(a.status, problem(a.body)) for a in answers]
    assert [answer.status for answer in refused] == [409] * 19
    assert {problem(answer.body) for answer in refused} == {
        "The code ONCE-ONLY cannot be used: This code has been used up. Remove it to place the order."
    }
    order = Order.objects.get()
    assert placed[0].location == f"/checkout/pay/{order.number}/"
    assert order.voucher_code == "ONCE-ONLY"
    assert str(order.discount) == "5.00"
    voucher = Voucher.objects.get()
    assert voucher.times_used == 1
    assert Redemption.objects.get().order == order
    product.refresh_from_db()
    assert stock_of(product) == 100 - 1  # the refused reservations were rolled back
    assert CartLine.objects.count() == 19  # the losers' carts, untouched
