"""Buying without an account: guest checkout, the signed order link, the lookup and claiming the order."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from accounts.models import User
from cart.models import Cart, CartLine
from catalog.models import Product
from notifications.models import Message
from orders.models import Order
from tests.factories import caches_clear, default_variant, stock_of
from tests.orders.conftest import ADDRESS, pay_over_http

pytestmark = pytest.mark.django_db
GUEST = "guest@example.org"
PASSWORD = "a-long-and-unusual-passphrase-42"


def guest_cart(client: Client, product: Product, quantity: int = 2) -> None:
    assert client.post("/cart/add/", {"product": product.pk, "quantity": quantity}).status_code in (200, 302)


def guest_to_review(client: Client, email: str = GUEST, **address) -> tuple[str, str, str]:
    assert client.post("/checkout/start/", {"email": email}).url == "/checkout/"
    data = {"address": "new", **{f"new-{k}": v for k, v in {**ADDRESS, **address}.items()}}
    assert client.post("/checkout/", data).url == "/checkout/shipping/"
    assert client.post("/checkout/shipping/", {"method": "standard"}).url == "/checkout/review/"
    page = client.get("/checkout/review/").text
    return (
        page,
        re.search(r'name="quote" value="([^"]+)"', page)[1],
        re.search(r'name="token" value="([^"]+)"', page)[1],
    )


def guest_order(client: Client, product: Product, email: str = GUEST) -> Order:
    guest_cart(client, product)
    _, quote, token = guest_to_review(client, email)
    response = client.post("/checkout/place/", {"quote": quote, "token": token})
    order = Order.objects.get(checkout_token=token)
    assert response.url == f"/checkout/pay/{order.number}/"
    return order


def mailed_link(kind: str, to: str = GUEST) -> str:
    body = Message.objects.filter(kind=kind, to=to).latest("id").body_text
    return re.search(r"https?://[^/\s]+(/orders/link/[^\s]+/)", body)[1]


def test_a_guest_checks_out_and_pays_without_an_account(client, product):
    guest_cart(client, product)
    page, quote, token = guest_to_review(client)
    assert f"Confirmation to: {GUEST}" in page
    assert "United Kingdom" in page
    response = client.post("/checkout/place/", {"quote": quote, "token": token})
    order = Order.objects.get()
    assert response.url == f"/checkout/pay/{order.number}/"
    assert (order.user, order.email, order.status) == (None, GUEST, Order.Status.PENDING_PAYMENT)
    assert order.transitions.get().actor == f"guest {GUEST}"
    product.refresh_from_db()
    assert stock_of(product) == 3
    assert pay_over_http(client, order).url == f"/orders/{order.number}/"
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    detail = client.get(f"/orders/{order.number}/").text
    assert "Paid" in detail
    assert "Save my details" in detail
    assert 'data-testid="order-link"' in detail
    assert client.get(f"/orders/{order.number}/invoice/").status_code == 200


def test_a_double_clicked_place_order_finds_the_guests_first_order(client, product):
    guest_cart(client, product)
    _, quote, token = guest_to_review(client)
    first = client.post("/checkout/place/", {"quote": quote, "token": token})
    second = client.post("/checkout/place/", {"quote": quote, "token": token})
    assert first.url == second.url
    assert Order.objects.count() == 1


def test_a_guests_steps_need_the_email_first_and_a_bad_one_is_explained(client, product):
    guest_cart(client, product)
    for url in ("/checkout/", "/checkout/shipping/", "/checkout/review/"):
        assert client.get(url).url == "/checkout/start/"
    refused = client.post("/checkout/start/", {"email": "not an address"})
    assert refused.status_code == 400
    assert "Enter a valid email address." in refused.text
    assert 'value="not an address"' in refused.text


def test_a_guest_step_over_htmx_is_the_fragment(client, product):
    guest_cart(client, product)
    client.post("/checkout/start/", {"email": GUEST})
    response = client.get("/checkout/", headers={"HX-Request": "true"})
    assert response.text.lstrip().startswith('<section id="checkout"')
    assert "Save it in my address book" not in response.text  # a guest has no address book
    assert response["HX-Push-Url"] == "/checkout/"


def test_a_guests_bad_address_keeps_what_was_typed(client, product):
    guest_cart(client, product)
    client.post("/checkout/start/", {"email": GUEST})
    data = {"address": "new", **{f"new-{k}": v for k, v in ADDRESS.items()}, "new-postcode": "12345"}
    response = client.post("/checkout/", data)
    assert response.status_code == 400
    assert "This is not a postcode of that country (for example SW1A 1AA)." in response.text
    assert 'value="12 Engine Street"' in response.text


def test_the_order_is_the_placing_browsers_and_nobody_elses(client, product, django_user_model):
    order = guest_order(client, product)
    assert client.get(f"/orders/{order.number}/").status_code == 200
    stranger = Client()
    assert stranger.get(f"/orders/{order.number}/").url.startswith("/accounts/login/")
    assert stranger.get(f"/checkout/pay/{order.number}/").url.startswith("/accounts/login/")
    member = Client()
    member.force_login(django_user_model.objects.create_user("other@example.org", PASSWORD))
    assert member.get(f"/orders/{order.number}/").status_code == 404
    assert member.get(f"/orders/{order.number}/invoice/").status_code == 404


def test_the_confirmation_mail_carries_a_signed_link_that_opens_the_order_anywhere(client, product):
    order = guest_order(client, product)
    link = mailed_link(Message.Kind.ORDER_CONFIRMATION)
    elsewhere = Client()
    response = elsewhere.get(link)
    assert response.url == f"/orders/{order.number}/"
    page = elsewhere.get(response.url).text
    assert order.number in page
    assert "Brass gear" in page
    assert elsewhere.get(f"/orders/{order.number}/invoice/").status_code == 200


def test_a_tampered_link_shows_a_clear_page_and_no_order(client, product):
    order = guest_order(client, product)
    link = mailed_link(Message.Kind.ORDER_CONFIRMATION)
    token = link.split("/")[-2]
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    stranger = Client()
    response = stranger.get(f"/orders/link/{forged}/")
    assert response.status_code == 400
    assert "This order link is not valid." in response.text
    assert order.number not in response.text
    assert stranger.get(f"/orders/{order.number}/").status_code == 302  # still no access


def test_an_expired_link_says_so_and_offers_a_new_one(client, product, settings):
    order = guest_order(client, product)
    link = mailed_link(Message.Kind.ORDER_CONFIRMATION)
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.ORDER_LINK_MAX_AGE + 5)):
        response = Client().get(link)
    assert response.status_code == 410
    assert "This order link has expired." in response.text
    assert 'href="/orders/lookup/"' in response.text
    assert order.number not in response.text


def test_the_lookup_answers_the_same_for_a_known_and_an_unknown_pair(client, product):
    order = guest_order(client, product)
    Message.objects.all().delete()
    known = Client().post("/orders/lookup/", {"number": order.number.lower(), "email": GUEST.upper()})
    wrong_email = Client().post("/orders/lookup/", {"number": order.number, "email": "someone@example.org"})
    unknown = Client().post("/orders/lookup/", {"number": "ZZZZ-ZZZZ", "email": GUEST})
    assert known.status_code == wrong_email.status_code == unknown.status_code == 200
    pages = {
        re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", r.text.split("<main")[1].split("</main>")[0])
        for r in (known, wrong_email, unknown)
    }
    assert len(pages) == 1  # the very same page, whether or not the pair matched
    for response in (known, wrong_email, unknown):
        assert "If that order number and e-mail address belong together" in response.text
        assert order.number not in response.text
    assert list(Message.objects.values_list("kind", "to")) == [(Message.Kind.ORDER_LINK, GUEST)]
    assert Client().get(mailed_link(Message.Kind.ORDER_LINK)).url == f"/orders/{order.number}/"


def test_the_lookup_is_throttled_per_ip_and_per_address(settings):
    caches_clear()
    settings.ORDER_LOOKUP_LIMIT = 2
    one_ip = Client(REMOTE_ADDR="198.51.100.1")
    statuses = [
        one_ip.post("/orders/lookup/", {"number": f"AAAA-AAA{i}", "email": f"x{i}@example.org"}).status_code
        for i in range(3)
    ]
    assert statuses == [200, 200, 429]
    per_address = [
        Client(REMOTE_ADDR=f"203.0.113.{i}").post("/orders/lookup/", {"number": "AAAA-AAAA", "email": GUEST})
        for i in range(3)
    ]
    assert [r.status_code for r in per_address] == [200, 200, 429]
    assert "Too many requests" in per_address[-1].text
    assert per_address[-1]["Retry-After"] == str(settings.ORDER_LOOKUP_WINDOW)


def test_claiming_from_the_mailed_link_makes_a_verified_account_owning_every_guest_order(client, product):
    first = guest_order(client, product)
    second = guest_order(Client(), product)
    link = mailed_link(Message.Kind.ORDER_CONFIRMATION)
    browser = Client()
    browser.get(link)
    data = {"name": "Ada", "password1": PASSWORD, "password2": PASSWORD}
    response = browser.post(f"/orders/{second.number}/claim/", data)
    assert response.url == f"/orders/{second.number}/"
    user = User.objects.get(email=GUEST)
    assert user.email_verified
    assert set(user.orders.values_list("number", flat=True)) == {first.number, second.number}
    assert [a.line1 for a in user.addresses.all()] == ["12 Engine Street"]
    assert browser.get("/orders/").status_code == 200
    assert not Message.objects.filter(kind=Message.Kind.EMAIL_CONFIRM).exists()


def test_claiming_from_the_placing_browser_owns_that_order_and_asks_to_confirm(client, product):
    order = guest_order(client, product)
    other = guest_order(Client(), product)
    data = {"name": "", "password1": PASSWORD, "password2": PASSWORD}
    assert client.post(f"/orders/{order.number}/claim/", data).status_code == 302
    user = User.objects.get(email=GUEST)
    assert not user.email_verified
    assert list(user.orders.values_list("number", flat=True)) == [order.number]
    other.refresh_from_db()
    assert other.user is None  # attached only once the address is confirmed
    assert Message.objects.filter(kind=Message.Kind.EMAIL_CONFIRM, to=GUEST).exists()


def test_a_bad_claim_keeps_the_order_page_and_explains(client, product, django_user_model):
    order = guest_order(client, product)
    short = client.post(f"/orders/{order.number}/claim/", {"password1": "short", "password2": "short"})
    assert short.status_code == 400
    assert "This password is too short" in short.text
    django_user_model.objects.create_user(GUEST, PASSWORD)
    taken = client.post(f"/orders/{order.number}/claim/", {"password1": PASSWORD, "password2": PASSWORD})
    assert taken.status_code == 400
    assert "Log in to see your orders there." in taken.text
    order.refresh_from_db()
    assert order.user is None


def test_registering_later_and_confirming_the_address_attaches_its_guest_orders(client, product):
    order = guest_order(client, product)
    member = Client()
    member.post(
        "/accounts/register/", {"email": GUEST.upper(), "name": "", "password1": PASSWORD, "password2": PASSWORD}
    )
    order.refresh_from_db()
    assert order.user is None  # an unconfirmed address owns nothing yet
    body = Message.objects.filter(kind=Message.Kind.EMAIL_CONFIRM).latest("id").body_text
    confirm = re.search(r"https?://[^/\s]+(/accounts/confirm/[^\s]+/)", body)[1]
    assert member.post(confirm).status_code == 302
    order.refresh_from_db()
    assert order.user == User.objects.get(email__iexact=GUEST)
    assert order.number in member.get("/orders/").text


def test_with_verified_addresses_required_guests_are_sent_to_log_in(client, product, settings, django_user_model):
    settings.CHECKOUT_REQUIRES_VERIFIED_EMAIL = True
    guest_cart(client, product)
    page = client.get("/checkout/start/").text
    assert "Continue as guest" not in page
    client.post("/checkout/start/", {"email": GUEST})
    assert client.get("/checkout/").url == "/checkout/start/"
    member = django_user_model.objects.create_user("member@example.org", PASSWORD)
    client.force_login(member)
    cart = Cart.objects.create(user=member)
    CartLine.objects.create(
        cart=cart, product=product, variant=default_variant(product), quantity=1, price_seen=product.price
    )
    assert client.get("/checkout/").url == "/checkout/start/"
    assert "Please confirm your e-mail address first" in client.get("/checkout/start/").text
    member.email_verified_at = timezone.now()
    member.save()
    assert client.get("/checkout/").status_code == 200


def test_every_mail_about_a_guest_order_carries_its_link(client, product, worker):
    order = guest_order(client, product)
    pay_over_http(client, order)
    for kind in (Message.Kind.ORDER_CONFIRMATION, Message.Kind.PAYMENT_RECEIPT):
        assert Client().get(mailed_link(kind)).url == f"/orders/{order.number}/"


def test_the_pipeline_refuses_a_guest_without_an_address_and_keeps_nothing(product):
    from orders.pipeline import Checkout, CheckoutError, checkout_lines, checkout_place, checkout_quote, checkout_totals

    cart = Cart.objects.create(token="guest-token")
    CartLine.objects.create(
        cart=cart, product=product, variant=default_variant(product), quantity=1, price_seen=product.price
    )
    lines = checkout_lines(cart)
    quote = checkout_quote(lines, checkout_totals(lines, "standard"))
    checkout = Checkout(user=None, email="", cart=cart, address=dict(ADDRESS), shipping="standard", quote=quote)
    with pytest.raises(CheckoutError, match="Enter your e-mail address"):
        checkout_place(checkout)
    product.refresh_from_db()
    assert (Order.objects.count(), stock_of(product), cart.lines.count()) == (0, 5, 1)
