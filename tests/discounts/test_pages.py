"""The code box on the cart page and at review (plain forms and htmx), and the order it ends up on."""

import re
from decimal import Decimal

import pytest

from cart.models import Cart, CartLine
from discounts.models import AppliedDiscount, Promotion, Redemption, Voucher
from notifications.models import Message
from orders.models import Order
from tests.discounts.conftest import make_voucher
from tests.orders.conftest import fill_cart, make_shopper
from tests.orders.test_pages import walk_to_review

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture
def shopper(db):
    return make_shopper()


@pytest.fixture
def shopper_client(client, shopper, boot, sock):
    fill_cart(shopper, (boot, 1), (sock, 2))  # 70.00
    client.force_login(shopper)
    return client


def field_error(html: str) -> str:
    found = re.search(r'<p class="field-error" id="voucher-error" role="alert">(.*?)</p>', html, re.DOTALL)
    return found[1].strip() if found else ""


def test_applying_a_code_without_javascript_redirects_back_to_the_cart(shopper_client):
    make_voucher("SAVE10")
    answer = shopper_client.post("/cart/voucher/", {"code": "save10", "next": "cart"})
    assert answer.status_code == 302
    assert answer.url == "/cart/"
    page = shopper_client.get("/cart/").text
    assert "Code SAVE10 applied." in page
    assert 'data-testid="voucher-code">SAVE10<' in page
    assert "You save €7.00" in page
    assert 'data-testid="cart-total">€63.00<' in page


def test_a_refused_code_shows_its_message_on_the_field_after_the_redirect(shopper_client):
    make_voucher("SAVE10", minimum_order=Decimal("80.00"))
    answer = shopper_client.post("/cart/voucher/", {"code": "SAVE10", "next": "cart"})
    assert answer.url == "/cart/"
    page = shopper_client.get("/cart/").text
    assert field_error(page) == "Add €10.00 more to use this code."
    assert 'aria-invalid="true"' in page
    assert field_error(shopper_client.get("/cart/").text) == ""  # shown once


def test_applying_a_code_with_htmx_answers_with_the_totals_box(shopper_client):
    make_voucher("SAVE10")
    answer = shopper_client.post("/cart/voucher/", {"code": "SAVE10", "next": "cart"}, headers=HTMX)
    assert answer.status_code == 200
    assert answer.text.lstrip().startswith('<div id="cart-totals"')
    assert "<html" not in answer.text
    assert "You save €7.00" in answer.text
    assert "HX-Request" in answer["Vary"]


def test_an_unknown_code_with_htmx_shows_the_message_on_the_field(shopper_client):
    answer = shopper_client.post("/cart/voucher/", {"code": "NOPE", "next": "cart"}, headers=HTMX)
    assert field_error(answer.text) == "This code is not valid. Check it and try again."
    assert Cart.objects.get().voucher is None


def test_an_empty_code_is_a_message_not_an_error(shopper_client):
    answer = shopper_client.post("/cart/voucher/", {"code": "", "next": "cart"}, headers=HTMX)
    assert answer.status_code == 200
    assert field_error(answer.text) == "Enter a voucher code."
    answer = shopper_client.post("/cart/voucher/", {"code": "X" * 500}, headers=HTMX)
    assert field_error(answer.text) == "This code is not valid."


def test_the_remove_button_takes_the_code_off(shopper_client):
    make_voucher("SAVE10")
    shopper_client.post("/cart/voucher/", {"code": "SAVE10"})
    answer = shopper_client.post("/cart/voucher/remove/", {"next": "cart"}, headers=HTMX)
    assert "You save" not in answer.text
    assert 'name="code"' in answer.text
    assert Cart.objects.get().voucher is None


def test_removing_lines_below_the_minimum_removes_the_code_with_a_message(shopper_client, sock):
    make_voucher("SAVE10", minimum_order=Decimal("65.00"))
    shopper_client.post("/cart/voucher/", {"code": "SAVE10"})
    line = CartLine.objects.get(product=sock)
    answer = shopper_client.post(f"/cart/lines/{line.pk}/", {"quantity": 0}, headers=HTMX)
    assert "The code SAVE10 was removed: Add €5.00 more to use this code." in answer.text
    assert Cart.objects.get().voucher is None


def test_an_expired_code_is_removed_at_review_with_a_message(shopper_client):
    voucher = make_voucher("SAVE10")
    shopper_client.post("/cart/voucher/", {"code": "SAVE10"})
    Voucher.objects.filter(pk=voucher.pk).update(is_active=False)
    page, _, _ = walk_to_review(shopper_client)
    assert "The code SAVE10 was removed: This code is not valid." in page
    assert Cart.objects.get().voucher is None


def test_the_code_entered_at_review_without_javascript(shopper_client):
    make_voucher("SAVE10")
    walk_to_review(shopper_client)
    answer = shopper_client.post("/cart/voucher/", {"code": "SAVE10", "next": "review"})
    assert answer.url == "/checkout/review/"
    page = shopper_client.get("/checkout/review/").text
    assert "You save €7.00" in page
    assert 'data-testid="total">€67.90<' in page  # 70.00 - 7.00 + 4.90 shipping
    answer = shopper_client.post("/cart/voucher/", {"code": "WRONG", "next": "review"})
    shopper_client.post("/cart/voucher/remove/", {"next": "review"})
    answer = shopper_client.post("/cart/voucher/", {"code": "WRONG", "next": "review"})
    assert answer.url == "/checkout/review/"
    assert (
        field_error(shopper_client.get("/checkout/review/").text) == "This code is not valid. Check it and try again."
    )


def test_the_code_entered_at_review_with_htmx_comes_back_as_the_step(shopper_client):
    """The review section is boosted: the form posts, htmx follows the redirect and swaps the step."""
    make_voucher("SAVE10")
    walk_to_review(shopper_client)
    answer = shopper_client.post("/cart/voucher/", {"code": "SAVE10", "next": "review"}, headers=HTMX, follow=True)
    assert answer.redirect_chain == [("/checkout/review/", 302)]
    assert '<section id="checkout"' in answer.text
    assert "<html" not in answer.text
    assert "You save €7.00" in answer.text


def test_the_order_records_the_code_the_discount_per_line_and_the_redemption(shopper_client, shopper, boot, sock):
    voucher = make_voucher("SAVE10", usage_limit=5)
    Promotion.objects.create(name="Free shipping over 50", kind="free_shipping_over", threshold=Decimal("50.00"))
    shopper_client.post("/cart/voucher/", {"code": "SAVE10"})
    _, quote, token = walk_to_review(shopper_client)
    answer = shopper_client.post("/checkout/place/", {"quote": quote, "token": token})
    assert answer.status_code == 302
    order = Order.objects.get()
    assert (order.voucher_code, order.discount, order.shipping_discount) == ("SAVE10", Decimal("7.00"), Decimal("4.90"))
    assert order.total == Decimal("63.00")
    assert {line.product_id: line.discount for line in order.lines.all()} == {
        boot.pk: Decimal("6.00"),
        sock.pk: Decimal("1.00"),
    }
    redemption = Redemption.objects.get()
    assert (redemption.voucher, redemption.order, redemption.email) == (voucher, order, shopper.email)
    assert redemption.amount == Decimal("7.00")
    assert sorted(AppliedDiscount.objects.values_list("label", "amount")) == [
        ("Code SAVE10", Decimal("7.00")),
        ("Free shipping over 50", Decimal("4.90")),
    ]
    voucher.refresh_from_db()
    assert voucher.times_used == 1
    assert Cart.objects.get().voucher is None
    page = shopper_client.get(order.get_absolute_url()).text
    assert "Discount (code SAVE10)" in page
    assert "−€7.00" in page
    invoice = shopper_client.get(f"/orders/{order.number}/invoice/").text
    assert "Discount (code SAVE10)" in invoice
    confirmation = Message.objects.get(kind=Message.Kind.ORDER_CONFIRMATION)
    assert "You saved €11.90 (code SAVE10)." in confirmation.body_text
    assert "(code SAVE10)" in confirmation.body_html


def test_a_code_used_up_after_the_review_refuses_the_order_and_saves_nothing(shopper_client, boot):
    voucher = make_voucher("ONCE", usage_limit=1)
    shopper_client.post("/cart/voucher/", {"code": "ONCE"})
    _, quote, token = walk_to_review(shopper_client)
    Voucher.objects.filter(pk=voucher.pk).update(times_used=1)  # someone else's order took it meanwhile
    answer = shopper_client.post("/checkout/place/", {"quote": quote, "token": token})
    assert answer.status_code == 409
    assert "The code ONCE cannot be used: This code has been used up." in answer.text
    assert not Order.objects.exists()
    assert not Redemption.objects.exists()
    assert CartLine.objects.count() == 2
    boot.refresh_from_db()
    assert boot.variants.get().stock == 50  # the reservation was rolled back
