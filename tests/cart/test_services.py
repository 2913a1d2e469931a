"""The cart's rules, through the services other apps call (real database, no mocks)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction
from django.db.models.functions import Now
from django.test import RequestFactory

from cart import services
from cart.models import Cart, CartLine
from catalog.models import Product, ProductVariant
from catalog.services import product_archive
from tests.factories import default_variant, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def cart(db):
    return Cart.objects.create(token="t" * 43)


def test_adding_twice_adds_up_on_one_line(cart, kettle):
    first = services.line_add(cart, default_variant(kettle), 2)
    second = services.line_add(cart, default_variant(kettle), 3)

    assert first.line_id == second.line_id
    assert CartLine.objects.get(pk=first.line_id).quantity == 5
    assert second.notice == ""


def test_asking_for_more_than_the_stock_is_capped_with_a_message(cart, lamp):
    change = services.line_add(cart, default_variant(lamp), 5)

    assert change.quantity == 3
    assert change.notice == "Only 3 of “Desk Lamp” in stock: your cart has 3."
    assert cart.lines.get().quantity == 3


def test_asking_for_more_than_the_per_line_maximum_is_capped(cart, kettle, settings):
    settings.CART_MAX_QUANTITY_PER_LINE = 4
    services.line_add(cart, default_variant(kettle), 3)
    change = services.line_add(cart, default_variant(kettle), 3)

    assert change.quantity == 4
    assert change.notice == "At most 4 of “Kettle” per order: your cart has 4."


def test_a_change_says_how_many_units_it_actually_added_or_took_out(cart, lamp):
    assert services.line_add(cart, default_variant(lamp), 2).delta == 2
    assert services.line_add(cart, default_variant(lamp), 5).delta == 1  # capped at the stock of 3
    assert services.line_add(cart, default_variant(lamp), 1).delta == 0
    line_id = cart.lines.get().pk
    assert services.line_set_quantity(cart, line_id, 1).delta == -2
    assert services.line_set_quantity(cart, line_id, 0).delta == -1
    assert services.line_restore(cart).delta == 1
    assert services.line_remove(cart, cart.lines.get().pk).delta == -1


def test_set_quantity_caps_and_zero_removes_with_undo(cart, lamp):
    line_id = services.line_add(cart, default_variant(lamp), 1).line_id

    assert services.line_set_quantity(cart, line_id, 99).quantity == 3
    removed = services.line_set_quantity(cart, line_id, 0)

    assert removed.line_id is None
    assert not cart.lines.exists()
    restored = services.line_restore(cart)
    assert restored.quantity == 3
    assert cart.lines.get().quantity == 3


@pytest.mark.parametrize("quantity", [0, -1])
def test_add_refuses_quantities_below_one(cart, lamp, quantity):
    with pytest.raises(services.InvalidQuantity):
        services.line_add(cart, default_variant(lamp), quantity)


def test_negative_quantity_is_refused(cart, lamp):
    line_id = services.line_add(cart, default_variant(lamp), 1).line_id
    with pytest.raises(services.InvalidQuantity):
        services.line_set_quantity(cart, line_id, -2)


def test_archived_or_sold_out_products_cannot_be_added(cart):
    archived = make_product("Old Lamp", is_archived=True)
    sold_out = make_product("Kettle", stock=0)

    with pytest.raises(services.ProductUnavailable, match="no longer sold"):
        services.line_add(cart, default_variant(archived), 1)
    with pytest.raises(services.ProductUnavailable, match="sold out"):
        services.line_add(cart, default_variant(sold_out), 1)
    assert not cart.lines.exists()


def test_add_reads_the_stock_as_it_is_now_not_as_the_caller_saw_it(cart, lamp):
    ProductVariant.objects.filter(product=lamp).update(stock=0, updated_at=Now())
    with pytest.raises(services.ProductUnavailable):
        services.line_add(cart, default_variant(lamp), 1)  # `lamp` in memory still says stock 3


def test_an_archived_line_stays_with_its_reason_and_blocks_checkout(cart, lamp, kettle):
    services.line_add(cart, default_variant(lamp), 1)
    services.line_add(cart, default_variant(kettle), 2)
    product_archive(Product.objects.filter(pk=lamp.pk))

    summary = services.cart_summary(cart)

    assert [line.product.name for line in summary.lines] == ["Desk Lamp", "Kettle"]
    lamp_line = summary.lines[0]
    assert [p.kind for p in summary.problems[lamp_line.pk]] == ["archived"]
    assert summary.checkout_blocked
    with pytest.raises(services.ProductUnavailable):
        services.line_set_quantity(cart, lamp_line.pk, 2)

    services.line_remove(cart, lamp_line.pk)
    assert not services.cart_summary(cart).checkout_blocked


def test_stock_problems_block_checkout(cart, lamp):
    line_id = services.line_add(cart, default_variant(lamp), 3).line_id
    ProductVariant.objects.filter(product=lamp).update(stock=2, updated_at=Now())
    summary = services.cart_summary(cart)
    assert [p.kind for p in summary.problems[line_id]] == ["not_enough_stock"]
    assert summary.problems[line_id][0].message == "Only 2 left. Lower the quantity to check out."
    assert summary.checkout_blocked

    ProductVariant.objects.filter(product=lamp).update(stock=0, updated_at=Now())
    assert [p.kind for p in services.cart_summary(cart).problems[line_id]] == ["out_of_stock"]


def test_totals_use_the_current_price_and_a_price_change_is_pointed_out(cart, lamp, kettle):
    lamp_line = services.line_add(cart, default_variant(lamp), 2).line_id
    services.line_add(cart, default_variant(kettle), 1)
    Product.objects.filter(pk=lamp.pk).update(price=Decimal("21.00"), updated_at=Now())

    summary = services.cart_summary(cart)

    assert summary.subtotal == Decimal("67.00")  # 2 × 21.00 + 25.00
    assert summary.count == 3
    [problem] = summary.problems[lamp_line]
    assert problem.kind == "price_changed"
    assert problem.message == "The price changed from €19.90 to €21.00 since you added it."
    assert not summary.checkout_blocked  # told, not blocked

    services.line_accept_price(cart, lamp_line)
    assert services.cart_summary(cart).problems == {}


def test_an_empty_cart_cannot_check_out(cart):
    assert services.cart_summary(cart).checkout_blocked
    assert services.cart_summary(None).lines == []


def test_undo_lasts_until_the_next_change(cart, lamp, kettle):
    line_id = services.line_add(cart, default_variant(lamp), 2).line_id
    services.line_remove(cart, line_id)
    services.line_add(cart, default_variant(kettle), 1)

    assert services.line_restore(cart) is None
    assert list(cart.lines.values_list("product__name", flat=True)) == ["Kettle"]


def test_clear_empties_the_cart_and_forgets_undo(cart, lamp, kettle):
    line_id = services.line_add(cart, default_variant(lamp), 1).line_id
    services.line_add(cart, default_variant(kettle), 1)
    services.line_remove(cart, line_id)

    removed = services.cart_clear(cart)

    assert [(line.product_id, line.quantity) for line in removed] == [(kettle.pk, 1)]
    assert not cart.lines.exists()
    assert services.line_restore(cart) is None


def test_lines_of_another_cart_are_not_found(cart, lamp, user):
    theirs = Cart.objects.create(user=user)
    their_line = services.line_add(theirs, default_variant(lamp), 1).line_id

    for change in (services.line_remove, services.line_accept_price):
        with pytest.raises(services.LineNotFound):
            change(cart, their_line)
    with pytest.raises(services.LineNotFound):
        services.line_set_quantity(cart, their_line, 2)
    assert CartLine.objects.get(pk=their_line).quantity == 1


def test_a_cart_has_exactly_one_owner(user):
    with pytest.raises(IntegrityError), transaction.atomic():
        Cart.objects.create(user=user, token="x" * 43)
    with pytest.raises(IntegrityError), transaction.atomic():
        Cart.objects.create()


def test_quantity_is_at_least_one_in_the_database(cart, lamp):
    line_id = services.line_add(cart, default_variant(lamp), 1).line_id
    with pytest.raises(IntegrityError), transaction.atomic():
        CartLine.objects.filter(pk=line_id).update(quantity=0)


def _request_with_cookie(token):
    request = RequestFactory().get("/")
    request.COOKIES["shop_cart"] = token
    return request


def test_merge_at_login_adds_quantities_capped_and_says_so(user, lamp, kettle):
    mine = Cart.objects.create(user=user)
    services.line_add(mine, default_variant(lamp), 2)
    anonymous = Cart.objects.create(token="a" * 43)
    services.line_add(anonymous, default_variant(lamp), 2)
    services.line_add(anonymous, default_variant(kettle), 4)
    request = _request_with_cookie(anonymous.token)

    notices = services.cart_merge_at_login(request, user)

    assert notices == ["Only 3 of “Desk Lamp” in stock: your cart has 3."]
    assert dict(mine.lines.values_list("product__name", "quantity")) == {"Desk Lamp": 3, "Kettle": 4}
    assert not Cart.objects.filter(pk=anonymous.pk).exists()
    assert request.cart_cookie == ""  # the middleware deletes the cookie


def test_merge_without_a_user_cart_gives_the_user_a_cart_with_the_anonymous_lines(user, lamp):
    anonymous = Cart.objects.create(token="a" * 43)
    services.line_add(anonymous, default_variant(lamp), 1)

    assert services.cart_merge_at_login(_request_with_cookie(anonymous.token), user) == []

    cart = Cart.objects.get(user=user)
    assert cart.token is None
    assert cart.lines.get().quantity == 1
    assert not Cart.objects.filter(pk=anonymous.pk).exists()


def test_merge_keeps_lines_that_can_no_longer_be_bought(user, lamp):
    Cart.objects.create(user=user)
    anonymous = Cart.objects.create(token="a" * 43)
    services.line_add(anonymous, default_variant(lamp), 2)
    product_archive(Product.objects.filter(pk=lamp.pk))

    assert services.cart_merge_at_login(_request_with_cookie(anonymous.token), user) == []
    line = Cart.objects.get(user=user).lines.get()
    assert line.quantity == 2
    assert [p.kind for p in services.line_problems(line)] == ["archived"]


def test_merge_without_a_cookie_or_with_an_unknown_token_changes_nothing(user):
    assert services.cart_merge_at_login(RequestFactory().get("/"), user) == []
    assert services.cart_merge_at_login(_request_with_cookie("unknown"), user) == []
    assert not Cart.objects.exists()


def test_a_token_the_browser_made_up_is_never_adopted(lamp):
    request = _request_with_cookie("chosen-by-an-attacker")
    request.user = AnonymousUser()

    cart = services.cart_get(request, create=True)

    assert cart.token != "chosen-by-an-attacker"
    assert request.cart_cookie == cart.token


def test_prune_deletes_only_old_anonymous_carts(user, lamp, time_machine):
    time_machine.move_to("2026-10-01T12:00:00Z", tick=False)
    old = Cart.objects.create(token="o" * 43)
    services.line_add(old, default_variant(lamp), 1)
    old_user_cart = Cart.objects.create(user=user)
    time_machine.move_to("2026-11-20T12:00:00Z", tick=False)
    recent = Cart.objects.create(token="r" * 43)

    assert services.carts_prune(older_than=timedelta(days=30)) == 1

    assert set(Cart.objects.values_list("pk", flat=True)) == {old_user_cart.pk, recent.pk}
    assert not CartLine.objects.exists()


def test_a_product_the_storefront_hides_is_not_sold(cart, lamp, kettle):
    line_id = services.line_add(cart, default_variant(lamp), 1).line_id
    hidden = lamp.category
    hidden.is_active = False
    hidden.save()

    with pytest.raises(services.ProductUnavailable, match="no longer sold"):
        services.line_add(cart, default_variant(lamp), 1)
    with pytest.raises(services.ProductUnavailable):
        services.line_set_quantity(cart, line_id, 2)
    summary = services.cart_summary(cart)
    assert [p.kind for p in summary.problems[line_id]] == ["archived"]
    assert summary.checkout_blocked
