"""Checkout steps, payment page and order pages through the test client: plain forms and htmx."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest

from cart.models import Cart
from catalog.models import Product, ProductVariant
from discounts.models import Promotion, Voucher
from orders.models import Order
from orders.services import order_cancel
from tests.budgets import CHROME
from tests.factories import make_product
from tests.orders.conftest import ADDRESS, DECLINE, SUCCESS, fill_cart, make_shopper, pay_over_http

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture
def shopper_client(client, shopper, product):
    fill_cart(shopper, (product, 2))
    client.force_login(shopper)
    return client


def new_address(**extra):
    return {"address": "new", **{f"new-{k}": v for k, v in ADDRESS.items()}, **extra}


def walk_to_review(client, **address):
    assert client.post("/checkout/", new_address(**address)).url == "/checkout/shipping/"
    assert client.post("/checkout/shipping/", {"method": "standard"}).url == "/checkout/review/"
    page = client.get("/checkout/review/").content.decode()
    quote = re.search(r'name="quote" value="([^"]+)"', page)[1]
    token = re.search(r'name="token" value="([^"]+)"', page)[1]
    return page, quote, token


def test_checkout_starts_with_guest_login_or_register_for_a_visitor(client, product):
    client.post("/cart/add/", {"product": product.pk, "quantity": 1})
    assert client.get("/checkout/").url == "/checkout/start/"
    page = client.get("/checkout/start/").text
    assert "Continue as guest" in page
    assert 'href="/accounts/login/?next=/checkout/"' in page
    assert 'href="/accounts/register/?next=/checkout/"' in page


def test_checkout_with_an_empty_cart_goes_back_to_the_cart(client, shopper):
    client.force_login(shopper)
    assert client.get("/checkout/").url == "/cart/"


def test_the_whole_checkout_without_javascript(shopper_client, shopper, product):
    page, quote, token = walk_to_review(shopper_client, **{"new-save_to_book": "on"})
    assert "Brass gear" in page
    assert "24.90" in page
    response = shopper_client.post("/checkout/place/", {"quote": quote, "token": token})
    order = Order.objects.get()
    assert response.url == f"/checkout/pay/{order.number}/"
    assert shopper.addresses.count() == 1  # saved to the address book
    pay_page = shopper_client.get(response.url).content.decode()
    assert "data-countdown-until" in pay_page
    assert "<time datetime=" in pay_page
    key = re.search(r'name="key" value="([^"]+)"', pay_page)[1]
    to_provider = shopper_client.post(f"/checkout/pay/{order.number}/", {"key": key})
    charge_url = to_provider.url
    assert charge_url.startswith("/sandbox-pay/sbx_")
    provider_page = shopper_client.get(charge_url).content.decode()
    assert "Test mode" in provider_page
    back = shopper_client.post(charge_url, {"number": SUCCESS})
    assert back.url == f"http://testserver/checkout/pay/{order.number}/return/?key={key}"
    response = shopper_client.get(back.url)
    assert response.url == f"/orders/{order.number}/"
    detail = shopper_client.get(response.url).content.decode()
    assert "Paid" in detail
    assert "Thank you" in detail


def test_back_keeps_what_was_entered(shopper_client):
    shopper_client.post("/checkout/", new_address())
    shopper_client.post("/checkout/shipping/", {"method": "express"})
    address_page = shopper_client.get("/checkout/").content.decode()
    assert 'value="12 Engine Street"' in address_page
    assert re.search(r'value="new"[^>]*checked', address_page)
    shipping_page = shopper_client.get("/checkout/shipping/").content.decode()
    assert re.search(r'value="express"[^>]*checked', shipping_page)


def test_a_saved_address_can_be_chosen(shopper_client, shopper):
    address = shopper.addresses.create(**{k: v for k, v in ADDRESS.items()}, is_default=True)
    assert shopper_client.post("/checkout/", {"address": str(address.pk)}).url == "/checkout/shipping/"


def test_invalid_address_shows_errors_not_a_500(shopper_client):
    response = shopper_client.post("/checkout/", {"address": "new"})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()


def test_skipping_a_step_goes_back_to_it(shopper_client):
    assert shopper_client.get("/checkout/review/").url == "/checkout/"
    shopper_client.post("/checkout/", new_address())
    assert shopper_client.get("/checkout/review/").url == "/checkout/shipping/"


def test_htmx_gets_the_step_fragment_and_the_url_to_show(shopper_client):
    shopper_client.post("/checkout/", new_address())
    response = shopper_client.get("/checkout/shipping/", headers=HTMX)
    body = response.content.decode()
    assert "<html" not in body
    assert 'id="checkout"' in body
    assert response["HX-Push-Url"] == "/checkout/shipping/"
    assert "HX-Request" in response["Vary"]


def test_changed_prices_show_the_new_total_and_ask_again(shopper_client, product):
    _, quote, token = walk_to_review(shopper_client)
    Product.objects.filter(pk=product.pk).update(price=Decimal("12.00"))
    response = shopper_client.post("/checkout/place/", {"quote": quote, "token": token})
    assert response.status_code == 409
    page = response.content.decode()
    assert "28.90" in page
    assert "Confirm the new total" in page
    assert not Order.objects.exists()
    new_quote = re.search(r'name="quote" value="([^"]+)"', page)[1]
    response = shopper_client.post("/checkout/place/", {"quote": new_quote, "token": token})
    assert Order.objects.get().total == Decimal("28.90")


def test_sold_out_at_the_last_moment_is_explained(shopper_client, product):
    _, quote, token = walk_to_review(shopper_client)
    ProductVariant.objects.filter(product=product).update(stock=1)
    response = shopper_client.post("/checkout/place/", {"quote": quote, "token": token})
    assert "only 1 left" in response.content.decode()
    assert not Order.objects.exists()


def test_double_submitted_place_order_makes_one_order(shopper_client):
    _, quote, token = walk_to_review(shopper_client)
    first = shopper_client.post("/checkout/place/", {"quote": quote, "token": token})
    second = shopper_client.post("/checkout/place/", {"quote": quote, "token": token})
    assert first.url == second.url
    assert Order.objects.count() == 1


def test_htmx_place_order_redirects_the_browser_to_payment(shopper_client):
    _, quote, token = walk_to_review(shopper_client)
    response = shopper_client.post("/checkout/place/", {"quote": quote, "token": token}, headers=HTMX)
    assert response["HX-Redirect"] == f"/checkout/pay/{Order.objects.get().number}/"


# --- Payment page -----------------------------------------------------------------------------------------


def test_a_declined_card_shows_the_reason_and_a_fresh_form(client, shopper, order):
    client.force_login(shopper)
    response = pay_over_http(client, order, DECLINE)
    assert response.url == f"/checkout/pay/{order.number}/"
    page = client.get(response.url).content.decode()
    assert "Your card was declined." in page
    assert f'value="{order.invoice.display_number}-2"' in page
    assert DECLINE not in page


def test_a_bad_card_number_on_the_providers_page_is_a_form_error(client, shopper, order):
    client.force_login(shopper)
    to_provider = client.post(f"/checkout/pay/{order.number}/", {"key": f"{order.invoice.display_number}-1"})
    for number in ("4242424242424241", "424242424242424\u00b2", "\u0664" * 16, ""):
        response = client.post(to_provider.url, {"number": number})
        assert response.status_code == 400
        assert "not a valid card number" in response.content.decode()
    assert order.invoice.payments.get().status == "processing"


@pytest.mark.parametrize("key", ["", "x" * 65, "INV-000001-9"])
def test_a_bad_or_stale_pay_form_is_a_4xx_with_a_reason(client, shopper, order, key):
    client.force_login(shopper)
    response = client.post(f"/checkout/pay/{order.number}/", {"key": key})
    assert response.status_code in (400, 402)
    assert "out of date" in response.content.decode()
    assert not order.invoice.payments.exists()


def test_pay_over_htmx_is_the_same_plain_redirect_to_the_provider(client, shopper, order):
    """The pay form is not boosted: a provider's page on another origin must be a real navigation."""
    client.force_login(shopper)
    response = client.post(f"/checkout/pay/{order.number}/", {"key": f"{order.invoice.display_number}-1"})
    assert response.status_code == 302
    page = client.get(f"/checkout/pay/{order.number}/").content.decode()
    assert "hx-boost" not in page.split('class="pay-form"')[0].rsplit("<form", 1)[-1]


def test_an_htmx_step_with_an_empty_cart_sends_the_browser_to_the_cart(client, shopper):
    client.force_login(shopper)
    response = client.get("/checkout/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/cart/"
    assert client.get("/checkout/").url == "/cart/"  # without htmx: a plain redirect


def test_the_pay_page_says_test_mode_only_with_the_sandbox_gateway(client, shopper, order, settings):
    client.force_login(shopper)
    assert "in test mode" in client.get(f"/checkout/pay/{order.number}/").content.decode()
    settings.PAYMENT_GATEWAY = "stripe"
    assert "in test mode" not in client.get(f"/checkout/pay/{order.number}/").content.decode()


def test_amounts_show_like_the_catalog_prices(client, shopper, order):
    order.__class__.objects.filter(pk=order.pk).update(total="1234.50")
    client.force_login(shopper)
    assert "€1,234.50" in client.get(f"/orders/{order.number}/").content.decode()
    assert "€1,234.50" in client.get("/orders/").content.decode()


def test_the_pay_page_of_a_paid_order_leads_to_the_order(client, shopper, order):
    client.force_login(shopper)
    pay_over_http(client, order, SUCCESS)
    assert client.get(f"/checkout/pay/{order.number}/").url == f"/orders/{order.number}/"


# --- Order pages ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/orders/{}/", "/orders/{}/invoice/", "/checkout/pay/{}/", "/checkout/pay/{}/return/?key=x"]
)
def test_another_shoppers_order_is_404(client, order, path):
    client.force_login(make_shopper("eve@example.com"))
    assert client.get(path.format(order.number)).status_code == 404


def test_order_list_shows_only_my_orders(client, shopper, order):
    other = copies_of(order, 1, user_id=make_shopper("eve@example.com").pk)[0]
    client.force_login(shopper)
    page = client.get("/orders/").content.decode()
    assert order.number in page
    assert other.number not in page


def copies_of(order: Order, n: int, **changes) -> list[Order]:
    """`n` more orders like `order`, each a minute older than the one before."""
    skip = {"id", "number", "checkout_token", "created_at"}
    fields = {f.attname: getattr(order, f.attname) for f in Order._meta.concrete_fields if f.attname not in skip}
    fields.update(changes)
    return Order.objects.bulk_create(
        Order(**fields, number=f"OLD-{i:04d}", created_at=order.created_at - timedelta(minutes=i + 1)) for i in range(n)
    )


def listed(page: str) -> list[str]:
    main = page.split('<footer class="site-footer">')[0]  # the footer links the order lookup
    return re.findall(r'<a href="/orders/([^/]+)/">', main)


def test_order_list_pages_twenty_newest_first_and_a_page_past_the_end_is_the_last(client, shopper, order):
    older = copies_of(order, 44)
    client.force_login(shopper)

    first = client.get("/orders/").content.decode()
    last = client.get("/orders/?page=3").content.decode()

    assert listed(first) == [order.number] + [o.number for o in older[:19]]
    assert "Page 1 of 3" in first
    assert 'rel="next" href="?page=2"' in first
    assert listed(last) == [o.number for o in older[39:]]
    assert 'rel="prev" href="?page=2"' in last
    assert 'rel="next"' not in last
    assert listed(client.get("/orders/?page=99").content.decode()) == listed(last)
    assert listed(client.get("/orders/?page=abc").content.decode()) == listed(first)


def test_a_single_page_of_orders_has_no_page_links(client, shopper, order):
    client.force_login(shopper)
    assert 'aria-label="Pages"' not in client.get("/orders/").content.decode()


@pytest.mark.parametrize("more", [0, 44])
def test_order_list_queries_do_not_grow_with_the_orders(client, shopper, order, more, django_assert_num_queries):
    copies_of(order, more)
    client.force_login(shopper)
    # session, user, the cart badge, the count, the page of orders; the storefront's chrome (cold cache)
    with django_assert_num_queries(5 + CHROME):
        assert client.get("/orders/?page=2" if more else "/orders/").status_code == 200


def test_pay_page_queries(client, shopper, order, django_assert_max_num_queries):
    client.force_login(shopper)
    with django_assert_max_num_queries(8 + CHROME):
        assert client.get(f"/checkout/pay/{order.number}/").status_code == 200


def test_order_page_queries(client, shopper, order, django_assert_max_num_queries):
    client.force_login(shopper)
    # ... and the tax breakdown (one prefetch however many rates)
    with django_assert_max_num_queries(8 + CHROME):
        assert client.get(f"/orders/{order.number}/").status_code == 200


def test_status_fragment_polls_while_pending_and_stops_at_a_terminal_state(client, shopper, order):
    client.force_login(shopper)
    fragment = client.get(f"/orders/{order.number}/", headers=HTMX)
    body = fragment.content.decode()
    assert "<html" not in body
    assert 'hx-trigger="every 2s, ' in body  # polls (live pushes pause it while their stream is open)
    assert "HX-Request" in fragment["Vary"]
    order_cancel(order=order, actor="test")
    body = client.get(f"/orders/{order.number}/", headers=HTMX).content.decode()
    assert "Cancelled" in body
    assert "hx-trigger" not in body


def test_invoice_page_is_printable(client, shopper, order):
    client.force_login(shopper)
    page = client.get(f"/orders/{order.number}/invoice/").content.decode()
    assert order.invoice.display_number in page
    stylesheet = client.get(re.search(r'<link rel="stylesheet" href="([^"]+)"', page)[1]).content.decode()
    assert "/* css/orders.css */" in stylesheet
    assert "@media print" in stylesheet
    assert "Brass gear" in page


@pytest.mark.parametrize("discounted", [False, True])
def test_checkout_review_page_queries(shopper_client, shopper, product, discounted, django_assert_num_queries):
    if discounted:  # a whole-order voucher and promotions cost no query more
        voucher = Voucher.objects.create(code="SAVE5", kind="fixed", value=5)
        Cart.objects.filter(user=shopper).update(voucher=voucher)
        Promotion.objects.create(name="2 for 1", kind="buy_n_pay_m", product=product, buy_quantity=2, pay_quantity=1)
        Promotion.objects.create(name="Free shipping", kind="free_shipping_over", threshold=0)
    walk_to_review(shopper_client)
    # session, user, the cart (with its voucher), its lines (once: the summary's, not again for the review,
    # nor for the header badge, which counts them), the catalog version, the promotions, the tax rates of
    # the shipping country
    with django_assert_num_queries(7):
        page = shopper_client.get("/checkout/review/").text
    assert ("You save" in page) is discounted


def test_pages_with_the_shoppers_address_are_never_cached(client, shopper, order):
    client.force_login(shopper)
    for url in ("/orders/", f"/orders/{order.number}/", f"/orders/{order.number}/invoice/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url


def test_the_providers_page_and_the_return_url_queries(client, shopper, order, django_assert_max_num_queries):
    client.force_login(shopper)
    key = f"{order.invoice.display_number}-1"
    to_provider = client.post(f"/checkout/pay/{order.number}/", {"key": key})
    # the session, the sandbox's session row, and the user (the private-page rule asks whether one is logged in)
    with django_assert_max_num_queries(3):
        assert client.get(to_provider.url).status_code == 200
    back = client.post(to_provider.url, {"number": SUCCESS})
    # session, user, order, the attempt, the provider's answer, the settle transaction (locks, updates,
    # history, receipt mail, the order.paid webhooks lookup) and the message
    with django_assert_max_num_queries(20):
        assert client.get(back.url).status_code == 302
    with django_assert_max_num_queries(4):  # visited again: session, user, order, the attempt
        assert client.get(back.url).status_code == 302


def test_the_review_step_says_placing_the_order_accepts_the_terms(shopper_client):
    page, _, _ = walk_to_review(shopper_client, **{"new-country": "AT", "new-postcode": "1010", "new-city": "Wien"})
    assert 'By placing the order you agree to our <a href="/pages/terms/">terms and conditions</a>.' in page
    assert "Austria" in page
    assert "<br>AT</address>" not in page
    assert shopper_client.get("/pages/terms/").status_code == 200


def test_the_order_history_names_statuses_in_words(client, shopper, order):
    client.force_login(shopper)
    html = client.get(f"/orders/{order.number}/").content.decode()
    assert "Awaiting payment" in html
    assert "Pendingpayment" not in html
    assert "Pending_payment" not in html
    assert not re.search(r'datetime="[^"]*\.\d+', html)


@pytest.mark.parametrize("lines", [3, 30])
def test_checkout_address_page_queries_do_not_grow_with_the_cart(client, shopper, lines, django_assert_num_queries):
    fill_cart(shopper, *[(make_product(f"Gear {n}", stock=5), 1) for n in range(lines)])
    client.force_login(shopper)
    client.get("/checkout/")  # the catalog's category tree and the chrome are cached
    # session, user, the cart, its lines (the header badge counts them), the catalog version, the address book
    with django_assert_num_queries(6):
        page = client.get("/checkout/").text
    assert page.count("<option ") > 200  # the country select
    assert 'name="new-line1"' in page


def test_the_checkout_forms_render_without_djangos_form_templates(shopper_client):
    from django.test.signals import template_rendered

    templates = []

    def seen(sender, template, **kwargs):
        templates.append(template.name)

    template_rendered.connect(seen)
    try:
        page = shopper_client.get("/checkout/").text
    finally:
        template_rendered.disconnect(seen)
    assert 'name="new-country"' in page
    assert [name for name in templates if name.startswith("django/forms/")] == []
