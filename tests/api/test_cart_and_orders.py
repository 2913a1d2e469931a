import pytest

from cart.models import CartLine
from tests.api.conftest import problem
from tests.factories import default_variant, make_product, set_stock
from tests.orders.conftest import fill_cart, place


def test_put_a_product_in_the_cart_and_read_it_back(shopper_api, shopper, product):
    added = shopper_api.post(f"/user/{shopper.pk}/cart/", {"product_id": product.pk, "quantity": 2})
    assert added.status_code == 201, added.content
    item_id = added.json()["id"]
    assert CartLine.objects.get(pk=item_id).quantity == 2
    item = shopper_api.get(f"/user/{shopper.pk}/cart/{item_id}").json()
    assert item["quantity"] == 2
    assert item["total"] == "20.00"
    cart = shopper_api.get(f"/user/{shopper.pk}/cart/").json()
    assert cart["count"] == 2
    assert cart["subtotal"] == "20.00"
    assert not cart["checkout_blocked"]


def test_quantities_are_capped_by_stock_with_a_notice(shopper_api, shopper, product):
    body = shopper_api.post(f"/user/{shopper.pk}/cart/", {"product_id": product.pk, "quantity": 9}).json()
    assert body["quantity"] == 5
    assert "Only 5" in body["notice"]


def test_change_and_remove_an_item(shopper_api, shopper, product):
    line = fill_cart(shopper, (product, 1)).lines.get()
    changed = shopper_api.put(f"/user/{shopper.pk}/cart/{line.pk}", {"quantity": 3})
    assert changed.status_code == 200
    assert changed.json()["quantity"] == 3
    zero = shopper_api.put(f"/user/{shopper.pk}/cart/{line.pk}", {"quantity": 0}).json()
    variant_id = default_variant(product).pk
    assert zero == {"id": None, "product_id": product.pk, "variant_id": variant_id, "quantity": 0, "notice": ""}
    assert not CartLine.objects.filter(pk=line.pk).exists()


def test_delete_removes_the_item(shopper_api, shopper, product):
    line = fill_cart(shopper, (product, 1)).lines.get()
    assert shopper_api.delete(f"/user/{shopper.pk}/cart/{line.pk}").status_code == 204
    problem(shopper_api.get(f"/user/{shopper.pk}/cart/{line.pk}"), 404)


@pytest.mark.parametrize("quantity", [-1, 0, "two", 1.5, None])
def test_a_bad_quantity_is_a_422(shopper_api, shopper, product, quantity):
    problem(shopper_api.post(f"/user/{shopper.pk}/cart/", {"product_id": product.pk, "quantity": quantity}), 422)


def test_a_negative_quantity_change_is_a_422(shopper_api, shopper, product):
    line = fill_cart(shopper, (product, 1)).lines.get()
    problem(shopper_api.put(f"/user/{shopper.pk}/cart/{line.pk}", {"quantity": -3}), 422)


def test_an_archived_or_sold_out_product_cannot_be_added(shopper_api, shopper, category):
    sold_out = make_product("Gone", category=category, stock=0)
    archived = make_product("Old", category=category, is_archived=True)
    problem(shopper_api.post(f"/user/{shopper.pk}/cart/", {"product_id": sold_out.pk}), 409)
    problem(shopper_api.post(f"/user/{shopper.pk}/cart/", {"product_id": archived.pk}), 409)
    problem(shopper_api.post(f"/user/{shopper.pk}/cart/", {"product_id": 987654}), 404)


def test_the_cart_shows_what_blocks_checkout(shopper_api, shopper, product):
    fill_cart(shopper, (product, 2))
    set_stock(product, 0)
    cart = shopper_api.get(f"/user/{shopper.pk}/cart/").json()
    assert cart["checkout_blocked"]
    assert cart["items"][0]["problems"][0]["kind"] == "out_of_stock"


def test_own_orders_list_and_detail(shopper_api, shopper, product):
    fill_cart(shopper, (product, 2))
    order = place(shopper)
    listed = shopper_api.get("/orders/").json()
    assert listed["count"] == 1
    assert listed["items"][0]["number"] == order.number
    detail = shopper_api.get(f"/orders/{order.number}").json()
    assert detail["status"] == "pending_payment"
    assert detail["lines"][0]["quantity"] == 2
    assert detail["invoice_id"] == order.invoice.pk


def test_order_list_sql_is_constant(shopper_api, shopper, product, django_assert_num_queries):
    for _ in range(3):
        fill_cart(shopper, (product, 1))
        place(shopper)
    shopper_api.get("/orders/")
    with django_assert_num_queries(3):  # the token, the count, the page of orders with their invoices
        shopper_api.get("/orders/")


def test_cart_read_queries_do_not_grow_with_its_lines(shopper_api, shopper, category, django_assert_num_queries):
    fill_cart(shopper, *[(make_product(category=category), 1) for _ in range(5)])
    shopper_api.get(f"/user/{shopper.pk}/cart/")
    with django_assert_num_queries(4):  # the token, the cart, its lines with products, the catalog version
        assert len(shopper_api.get(f"/user/{shopper.pk}/cart/").json()["items"]) == 5
