"""A guest buys in a real browser, with and without JavaScript, opens the order from the mail and claims it."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import User
from notifications.models import Message
from orders.models import Order
from tests.browser.paying import pay_with
from tests.factories import make_product

PASSWORD = "a-long-and-unusual-passphrase-42"


def buy_as_guest(page, live_server, email: str, javascript: bool) -> Order:
    page.goto(live_server.url + "/products/")
    page.get_by_role("link", name="Brass gear").first.click()
    page.get_by_role("button", name="Add to cart").click()
    if javascript:  # htmx adds in the background: wait for its answer before leaving the page
        expect(page.get_by_role("button", name=re.compile(r"In cart"))).to_be_visible()
    else:
        page.wait_for_load_state()
    page.goto(live_server.url + "/cart/")
    page.get_by_role("link", name="Check out").click()
    expect(page.get_by_role("heading", name="How would you like to check out?")).to_be_visible()
    expect(page.locator("#checkout").get_by_role("link", name="Log in")).to_be_visible()
    page.get_by_label("E-mail address").fill(email)
    page.get_by_role("button", name="Continue as guest").click()
    expect(page.get_by_role("heading", name="Shipping address")).to_be_visible()
    page.get_by_label("Name:", exact=True).fill("Ada Lovelace")
    page.get_by_label("Address line 1").fill("12 Engine Street")
    page.get_by_label("City").fill("Paris")
    page.get_by_label("Country").select_option("FR")
    page.get_by_label("Postcode").fill("750")
    page.get_by_label("Phone (optional)").fill("01 23 45 67 89")
    page.get_by_role("button", name="Continue to shipping").click()
    expect(page.get_by_text("This is not a postcode of that country (for example 75001).")).to_be_visible()
    page.get_by_label("Postcode").fill("75001")
    page.get_by_role("button", name="Continue to shipping").click()
    page.get_by_label(re.compile("Standard delivery")).check()
    page.get_by_role("button", name="Continue to review").click()
    expect(page.get_by_role("heading", name="Review your order")).to_be_visible()
    expect(page.get_by_text(f"Confirmation to: {email}")).to_be_visible()
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_role("heading", name=re.compile("Pay order"))).to_be_visible()
    pay_with(page, "4242 4242 4242 4242")
    expect(page.get_by_test_id("order-status")).to_have_text("Paid")
    order = Order.objects.get(email=email)
    assert order.user is None
    assert order.ship_phone == "+33123456789"
    return order


def open_mailed_link_and_claim(browser, live_server, order: Order, javascript: bool) -> None:
    body = Message.objects.get(kind=Message.Kind.ORDER_CONFIRMATION, to=order.email).body_text
    path = re.search(r"https?://[^/\s]+(/orders/link/[^\s]+/)", body)[1]
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    page.goto(live_server.url + path)
    expect(page.get_by_role("heading", name=f"Order {order.number}")).to_be_visible()
    expect(page.get_by_test_id("order-status")).to_have_text("Paid")
    page.get_by_label("Choose a password").fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Save my details").click()
    expect(page.get_by_text("Your account is ready, and this order is in it.")).to_be_visible()
    page.get_by_role("link", name="All your orders").click()
    expect(page.get_by_role("link", name=order.number)).to_be_visible()
    user = User.objects.get(email=order.email)
    assert user.email_verified  # the mailed link proved the mailbox
    order.refresh_from_db()
    assert order.user == user
    context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-javascript"])
def test_a_guest_buys_opens_the_order_from_the_mail_and_claims_it(browser, live_server, javascript):
    make_product("Brass gear", stock=5)
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    email = f"guest-{'js' if javascript else 'plain'}@example.org"
    order = buy_as_guest(page, live_server, email, javascript)
    context.close()
    open_mailed_link_and_claim(browser, live_server, order, javascript)
    assert [e for e in errors if "400" not in e] == []  # the postcode refusal is a 400 on purpose
