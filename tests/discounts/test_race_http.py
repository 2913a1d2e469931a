"""Proof under concurrency over real HTTP: 20 shoppers racing for a single-use code get exactly one order
with it. The others are refused at "Place order" with the reason and no order (as real shops do), their
carts and stock untouched.

Like tests/orders/test_concurrency_http.py (whose browser without JavaScript this reuses): gunicorn
with several worker processes serving the PostgreSQL test database, each racer its own HTTP client with
its own cookies, all submitting together behind a barrier. PostgreSQL only: SQLite serialises writers
and its test database lives in memory, where no other process can see it.
"""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from cart.models import CartLine
from discounts.models import Redemption, Voucher
from orders.models import Order
from tests.factories import make_product, stock_of
from tests.orders.conftest import make_shopper
from tests.orders.test_concurrency_http import (
    expect_redirect,
    main_content,
    problem,
    race,
    shopper_reaches_review,
)
from tests.orders.test_concurrency_http import server as gunicorn_server

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: another process (gunicorn) must share the test database, and SQLite "
        "serialises writers",
    ),
]

server = gunicorn_server  # the HTTP proof's fixture: gunicorn serving the test database, for this module too


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
