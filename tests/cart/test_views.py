"""The cart through HTTP: add from the catalog, the cart page, every change with and without htmx."""

import json
import re
from decimal import Decimal

import pytest
from django.db.models.functions import Now
from django.test import Client

from cart.models import Cart, CartLine
from catalog.models import Product, ProductVariant
from catalog.services import product_archive
from tests.cart.conftest import add, login, messages_of
from tests.factories import default_variant, make_product

pytestmark = pytest.mark.django_db


def line_of(product) -> CartLine:
    return CartLine.objects.get(product=product)


# --- Add to cart ---------------------------------------------------------------------------------


def test_add_without_javascript_redirects_back_and_the_page_shows_it(client, lamp):
    response = add(client, lamp, next="/products/?q=lamp")

    assert response.status_code == 302
    assert response["Location"] == "/products/?q=lamp"
    page = client.get("/products/?q=lamp")
    assert "Added “Desk Lamp” to your cart." in messages_of(page)
    html = page.text
    assert "In cart (1)" in html
    assert re.search(r'class="cart-count">1<', html)


def test_add_goes_back_to_the_product_page_without_a_safe_next(client, lamp):
    response = add(client, lamp, next="https://evil.example/")
    assert response["Location"] == lamp.get_absolute_url()


def test_add_with_htmx_answers_with_the_button_only_and_tells_the_badge(client, lamp):
    response = add(client, lamp, htmx=True)

    assert response.status_code == 200
    html = response.text.strip()
    assert html.startswith("<form")
    assert "<html" not in html
    assert len(html) < 2000
    assert "In cart (1)" in html
    assert json.loads(response["HX-Trigger"]) == {"cart-changed": {}}
    assert "HX-Request" in response["Vary"]
    assert client.get("/cart/badge/").text.count('class="cart-count">1<') == 1


def test_add_with_htmx_also_updates_the_products_other_buttons_out_of_band(client, lamp):
    html = add(client, lamp, htmx=True).text

    selector = f'.cart-add-button[data-product="{lamp.pk}"]'
    [oob] = re.findall(r"<button [^>]*hx-swap-oob=[^>]*>[^<]*</button>", html)
    assert f"hx-swap-oob='outerHTML:{selector}'" in oob
    assert f'data-product="{lamp.pk}"' in oob
    assert "In cart (1)" in oob
    assert html.index("</form>") < html.index(oob)  # beside the form htmx swaps, not inside it


def test_a_refused_add_sends_no_out_of_band_button(client, lamp):
    ProductVariant.objects.filter(product=lamp).update(stock=0)

    assert "hx-swap-oob" not in add(client, lamp, htmx=True).text


def test_the_detail_page_adds_a_chosen_quantity(client, lamp):
    page = client.get(lamp.get_absolute_url())
    assert 'name="quantity"' in page.text

    response = add(client, lamp, 2, variant="detail", htmx=True)

    assert "In cart (2)" in response.text
    assert 'name="quantity"' in response.text
    assert line_of(lamp).quantity == 2


def test_asking_for_more_than_the_stock_is_capped_with_a_message(client, lamp):
    add(client, lamp, 5)
    assert line_of(lamp).quantity == 3
    page = client.get("/cart/")
    assert "Only 3 of “Desk Lamp” in stock: your cart has 3." in messages_of(page)

    response = add(client, lamp, 1, htmx=True)
    assert "In cart (3)" in response.text
    assert "Only 3 of “Desk Lamp” in stock" in response.text


def test_the_per_line_maximum_comes_from_settings(client, kettle, settings):
    settings.CART_MAX_QUANTITY_PER_LINE = 2
    add(client, kettle, 7)
    assert line_of(kettle).quantity == 2


def test_archived_or_sold_out_products_cannot_be_added(client, lamp):
    product_archive(Product.objects.filter(pk=lamp.pk))
    response = add(client, lamp, htmx=True)

    assert "is no longer sold" in response.text
    assert "HX-Trigger" not in response
    assert not CartLine.objects.exists()

    sold_out = make_product("Kettle", stock=0)
    add(client, sold_out)
    assert "“Kettle” is sold out." in messages_of(client.get("/cart/"))
    assert not CartLine.objects.exists()


def test_sold_out_products_show_a_disabled_button(client):
    make_product("Kettle", stock=0)
    html = client.get("/products/").text
    assert re.search(r"<button[^>]*disabled>Sold out</button>", html)
    assert 'action="/cart/add/"' not in html


@pytest.mark.parametrize(
    ("data", "status"),
    [({"product": "abc"}, 400), ({}, 400), ({"product": "999999"}, 404), ({"variant": "huge"}, 400)],
)
def test_bad_add_requests_get_a_4xx_with_a_reason(client, lamp, data, status):
    data = {"product": lamp.pk, **data} if "product" not in data and data else data
    response = client.post("/cart/add/", data)
    assert response.status_code == status


@pytest.mark.parametrize("quantity", ["0", "-3", "two", "1.5"])
def test_a_bad_quantity_to_add_is_explained(client, lamp, quantity):
    response = add(client, lamp, quantity, htmx=True)
    assert response.status_code == 200
    assert re.search(r"Enter a (whole number|quantity of 1 or more)", response.text)
    assert not CartLine.objects.exists()


def test_the_price_cannot_be_set_by_the_client(client, lamp):
    add(client, lamp, 1, price="0.01", price_seen="0.01")
    line = line_of(lamp)
    assert line.price_seen == Decimal("19.90")
    client.post(f"/cart/lines/{line.pk}/", {"quantity": 2, "price": "0.01", "price_seen": "0.01"})
    assert client.get("/cart/").context["summary"].subtotal == Decimal("39.80")


# --- The cached catalog stays shared, the buttons stay per visitor --------------------------------


def test_cached_catalog_markup_never_carries_one_visitors_cart_or_token(lamp):
    alice, bob = Client(), Client(enforce_csrf_checks=True)
    add(alice, lamp, 2)
    alice_page = alice.get("/products/").text  # renders and caches the list
    bob_page = bob.get("/products/").text  # served from the cache

    assert "In cart (2)" in alice_page
    assert "In cart" not in bob_page
    assert "Add to cart" in bob_page
    alice_token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', alice_page)[1]
    assert alice_token not in bob_page
    assert "csrfmiddlewaretoken" not in bob_page  # Bob has no cart yet: his page is the shared one
    # Bob's plain (no-JavaScript) form post starts his cart without a token (shop/shared.py)...
    assert bob.post("/cart/add/", {"product": lamp.pk}).status_code == 302
    # ...and then his page carries his own token, which his next post needs.
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', bob.get("/products/").text)[1]
    assert token not in alice_page
    assert bob.post("/cart/add/", {"product": lamp.pk}).status_code == 403
    assert bob.post("/cart/add/", {"product": lamp.pk, "csrfmiddlewaretoken": token}).status_code == 302


def test_each_card_of_the_list_gets_a_form_for_its_own_product(client, lamp, kettle):
    add(client, kettle, 1)
    page = client.get("/products/").text
    for product in (lamp, kettle):
        form = re.search(
            rf'<form class="cart-add cart-add-list"[^>]*>(?:(?!</form>).)*value="{product.pk}"', page, re.S
        )
        assert form, product
    assert re.findall(r'name="product" value="(\d+)"', page).count(str(lamp.pk)) == 1
    assert f'data-product="{kettle.pk}" title="Add one more">In cart (1)<' in page
    assert f'data-product="{lamp.pk}">Add to cart<' in page
    assert "<!--cart-add" not in page
    assert not re.search(r"product[0-9a-f]{16}", page)  # no stand-in id left behind


def test_home_and_detail_pages_carry_the_visitors_state_too(client, lamp):
    lamp.is_featured = True
    lamp.save()
    add(client, lamp, 1)
    assert "In cart (1)" in client.get("/").text
    assert "In cart (1)" in client.get(lamp.get_absolute_url()).text


# --- The cart page -------------------------------------------------------------------------------


def test_the_cart_page_lists_lines_with_totals(client, lamp, kettle):
    add(client, lamp, 2)
    add(client, kettle, 1)
    response = client.get("/cart/")

    html = response.text
    assert response.status_code == 200
    assert "Desk Lamp" in html
    assert "Kettle" in html
    assert "€19.90" in html
    assert "€39.80" in html  # line total
    assert "€64.80" in html  # subtotal
    assert "Subtotal (3 items)" in html
    assert 'id="quantity-' in html
    assert response["Cache-Control"].startswith("max-age=0")


def test_the_cart_page_points_out_archived_sold_out_and_repriced_lines(client, lamp, kettle):
    bulb = make_product("Bulb", price=Decimal("2.00"), stock=5)
    for product in (lamp, kettle, bulb):
        add(client, product, 1)
    product_archive(Product.objects.filter(pk=lamp.pk))
    ProductVariant.objects.filter(product=kettle).update(stock=0, updated_at=Now())
    Product.objects.filter(pk=bulb.pk).update(price=Decimal("2.50"), updated_at=Now())

    html = client.get("/cart/").text

    assert "This product is no longer sold. Remove it to check out." in html
    assert "Sold out. Remove it to check out." in html
    assert "The price changed from €2.00 to €2.50 since you added it." in html
    assert "before you can check out" in html
    assert "€47.40" in html  # 19.90 + 25.00 + 2.50 at today's prices


def test_an_empty_cart_says_so(client):
    html = client.get("/cart/").text
    assert "Your cart is empty." in html


def test_changing_the_quantity_with_htmx_rerenders_the_totals_in_place(client, lamp):
    add(client, lamp, 1)
    line = line_of(lamp)

    response = client.post(f"/cart/lines/{line.pk}/", {"quantity": 2}, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="cart"')
    assert "€39.80" in response.text
    assert json.loads(response["HX-Trigger"]) == {"cart-changed": {}}
    assert line_of(lamp).quantity == 2


def test_changing_the_quantity_without_javascript_redirects_to_the_cart(client, lamp):
    add(client, lamp, 1)
    response = client.post(f"/cart/lines/{line_of(lamp).pk}/", {"quantity": 9})

    assert response.status_code == 302
    assert response["Location"] == "/cart/"
    assert line_of(lamp).quantity == 3
    assert "Only 3 of “Desk Lamp” in stock: your cart has 3." in messages_of(client.get("/cart/"))


@pytest.mark.parametrize("quantity", ["", "many", "-1", "99999999999999999999999999"])
def test_a_bad_quantity_is_explained_never_a_500(client, lamp, quantity):
    add(client, lamp, 1)
    line = line_of(lamp)
    response = client.post(f"/cart/lines/{line.pk}/", {"quantity": quantity}, headers={"HX-Request": "true"})

    assert response.status_code == 200
    if quantity.startswith("9"):
        assert line_of(lamp).quantity == 3  # a huge number is capped
    else:
        assert "message-error" in response.text
        assert line_of(lamp).quantity == 1


def test_quantity_zero_removes_and_undo_puts_it_back(client, lamp):
    add(client, lamp, 2)
    response = client.post(f"/cart/lines/{line_of(lamp).pk}/", {"quantity": 0}, headers={"HX-Request": "true"})
    assert "Removed “Desk Lamp”." in response.text
    assert not CartLine.objects.exists()

    response = client.post("/cart/undo/", headers={"HX-Request": "true"})
    assert "“Desk Lamp” is back in your cart." in response.text
    assert line_of(lamp).quantity == 2


def test_remove_and_undo_without_javascript(client, lamp, kettle):
    add(client, lamp, 2)
    add(client, kettle, 1)
    assert client.post(f"/cart/lines/{line_of(lamp).pk}/remove/").status_code == 302

    page = client.get("/cart/")
    assert page.text.count("Removed “Desk Lamp”.") == 1
    assert 'action="/cart/undo/"' in page.text
    client.post("/cart/undo/")
    assert line_of(lamp).quantity == 2
    # The undo lasted until this change; there is nothing more to undo.
    client.post("/cart/undo/")
    assert "There is nothing to undo." in messages_of(client.get("/cart/"))


def test_undo_is_gone_after_the_next_change(client, lamp, kettle):
    add(client, lamp, 1)
    add(client, kettle, 1)
    client.post(f"/cart/lines/{line_of(lamp).pk}/remove/")
    client.post(f"/cart/lines/{line_of(kettle).pk}/", {"quantity": 2})
    assert 'action="/cart/undo/"' not in client.get("/cart/").text


def test_accepting_a_new_price_clears_the_notice(client, lamp):
    add(client, lamp, 1)
    Product.objects.filter(pk=lamp.pk).update(price=Decimal("21.00"), updated_at=Now())
    client.post(f"/cart/lines/{line_of(lamp).pk}/accept-price/")
    assert "The price changed" not in client.get("/cart/").text


def test_empty_the_cart(client, lamp, kettle):
    add(client, lamp, 1)
    add(client, kettle, 1)
    response = client.post("/cart/clear/", headers={"HX-Request": "true"})
    assert "Your cart is empty." in response.text
    assert not CartLine.objects.exists()


# --- Security ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/cart/add/", "/cart/lines/{id}/", "/cart/lines/{id}/remove/", "/cart/undo/", "/cart/clear/"]
)
def test_every_change_is_a_post(client, lamp, url):
    add(client, lamp, 1)
    assert client.get(url.format(id=line_of(lamp).pk)).status_code == 405


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/cart/add/", {"product": "{product}"}),
        ("/cart/lines/{id}/", {"quantity": 5}),
        ("/cart/lines/{id}/remove/", {}),
        ("/cart/lines/{id}/accept-price/", {}),
        ("/cart/undo/", {}),
        ("/cart/clear/", {}),
    ],
)
def test_every_change_needs_the_csrf_token_htmx_included(lamp, url, data):
    client = Client(enforce_csrf_checks=True)
    client.get("/products/")  # the CSRF cookie, but no token sent back below
    cart = Cart.objects.create(token="t" * 43)
    line = CartLine.objects.create(
        cart=cart, product=lamp, variant=default_variant(lamp), quantity=1, price_seen=lamp.price
    )
    client.cookies["shop_cart"] = cart.token
    data = {k: str(v).format(product=lamp.pk) for k, v in data.items()}

    response = client.post(url.format(id=line.pk), data, headers={"HX-Request": "true"})

    assert response.status_code == 403
    assert line_of(lamp).quantity == 1


def _line_changes(line_id):
    return [
        (f"/cart/lines/{line_id}/", {"quantity": 2}),
        (f"/cart/lines/{line_id}/remove/", {}),
        (f"/cart/lines/{line_id}/accept-price/", {}),
    ]


def test_another_users_line_is_a_404(lamp, user, other_user):
    owner, intruder = Client(), Client()
    login(owner)
    add(owner, lamp, 1)
    line = line_of(lamp)
    login(intruder, email="other@example.org")
    add(intruder, make_product("Kettle"), 1)  # the intruder has a cart of their own

    for url, data in _line_changes(line.pk):
        assert intruder.post(url, data).status_code == 404
        assert intruder.post(url, data, headers={"HX-Request": "true"}).status_code == 404
    assert line_of(lamp).quantity == 1


def test_anonymous_and_logged_in_carts_cannot_touch_each_other(lamp, kettle, user):
    anonymous, member = Client(), Client()
    add(anonymous, lamp, 1)
    login(member)
    add(member, kettle, 1)
    anonymous_line, member_line = line_of(lamp), line_of(kettle)

    for url, data in _line_changes(member_line.pk):
        assert anonymous.post(url, data).status_code == 404
    for url, data in _line_changes(anonymous_line.pk):
        assert member.post(url, data).status_code == 404
    # A visitor with no cart at all.
    for url, data in _line_changes(member_line.pk):
        assert Client().post(url, data).status_code == 404
    assert line_of(lamp).quantity == 1
    assert line_of(kettle).quantity == 1


def test_the_cart_cookie_is_httponly_lax_and_secure_follows_the_setting(client, lamp, settings):
    cookie = add(client, lamp).cookies["shop_cart"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert not cookie["secure"]
    assert int(cookie["max-age"]) == settings.CART_COOKIE_AGE

    settings.SESSION_COOKIE_SECURE = True
    assert add(client, lamp).cookies["shop_cart"]["secure"]


def test_the_cart_is_not_in_the_session_and_survives_its_end(client, lamp):
    add(client, lamp, 2)
    client.cookies.pop("sessionid", None)
    assert client.session.get("cart") is None
    assert "In cart (2)" in client.get(lamp.get_absolute_url()).text


# --- Logins --------------------------------------------------------------------------------------


def test_the_anonymous_cart_merges_at_login_and_the_shopper_is_told_what_was_capped(client, lamp, kettle, user):
    member = Client()
    login(member)
    add(member, lamp, 2)
    add(client, lamp, 2)
    add(client, kettle, 1)

    response = login(client)

    assert response.status_code == 302
    assert response.cookies["shop_cart"]["max-age"] == 0  # the anonymous cookie is dropped
    page = client.get("/cart/")
    assert "Only 3 of “Desk Lamp” in stock: your cart has 3." in messages_of(page)
    assert dict(Cart.objects.get(user=user).lines.values_list("product__name", "quantity")) == {
        "Desk Lamp": 3,
        "Kettle": 1,
    }
    assert Cart.objects.count() == 1


def test_registering_keeps_the_anonymous_cart(client, lamp):
    add(client, lamp, 1)
    client.post(
        "/accounts/register/",
        {
            "email": "new@example.org",
            "name": "New",
            "password1": "a-long-and-unusual-pass-42",
            "password2": "a-long-and-unusual-pass-42",
        },
    )
    cart = Cart.objects.get(user__email="new@example.org")
    assert cart.lines.get().product == lamp


def test_a_users_cart_outlives_logout_and_is_there_on_another_device(lamp, user):
    phone, laptop = Client(), Client()
    login(phone)
    add(phone, lamp, 2)
    phone.post("/accounts/logout/")
    assert "In cart" not in phone.get(lamp.get_absolute_url()).text

    login(laptop)
    assert "In cart (2)" in laptop.get(lamp.get_absolute_url()).text
    assert re.search(r'class="cart-count">2<', laptop.get("/cart/badge/").text)


def test_the_lists_htmx_fragment_carries_the_buttons_too(client, lamp):
    add(client, lamp, 1)
    response = client.get("/products/?q=lamp", headers={"HX-Request": "true"})
    assert response.text.lstrip().startswith('<section id="results"')
    assert "In cart (1)" in response.text
    assert "<!--cart-add" not in response.text


def test_a_users_cart_survives_the_end_of_the_session(client, lamp, user, settings, time_machine):
    time_machine.move_to("2026-11-23T10:00:00Z", tick=False)
    login(client)
    add(client, lamp, 2)
    time_machine.move_to(f"2026-11-23T10:{settings.SESSION_IDLE_TIMEOUT // 60 + 1:02d}:00Z", tick=False)

    assert "/accounts/login/?" in client.get("/accounts/profile/")["Location"]  # the session has ended
    login(client)
    assert "In cart (2)" in client.get(lamp.get_absolute_url()).text
