"""One test per permission rule: scopes, staff-only operations, other users' objects (404)."""

import pytest

from api.models import Scope
from tests.api.conftest import api_for, problem
from tests.orders.conftest import fill_cart, place


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/user/{uid}"), ("GET", "/user/{uid}/cart/"), ("GET", "/orders/"), ("POST", "/log")],
)
def test_anonymous_callers_need_a_token(anon, shopper, method, path):
    problem(anon.request(method, path.format(uid=shopper.pk), {} if method == "POST" else None), 401)


def test_anyone_may_read_the_catalog(anon, product):
    assert anon.get("/products/").status_code == 200
    assert anon.get(f"/product/{product.pk}").status_code == 200
    assert anon.get("/categories/").status_code == 200


def test_a_token_without_catalog_read_may_not_read_the_catalog(shopper, product):
    problem(api_for(shopper, [Scope.CART]).get("/products/"), 403)


def test_a_token_without_the_cart_scope_may_not_touch_the_cart(shopper):
    problem(api_for(shopper, [Scope.CATALOG_READ]).get(f"/user/{shopper.pk}/cart/"), 403)


def test_a_token_without_the_account_scope_may_not_read_the_account(shopper):
    problem(api_for(shopper, [Scope.CART]).get(f"/user/{shopper.pk}"), 403)


def test_another_users_account_is_a_404(shopper_api, other):
    problem(shopper_api.get(f"/user/{other.pk}"), 404)
    problem(shopper_api.put(f"/user/{other.pk}", {"name": "x"}), 404)
    problem(shopper_api.delete(f"/user/{other.pk}", {"password": "x"}), 404)


def test_staff_may_read_but_not_change_another_account(staff_api, shopper):
    assert staff_api.get(f"/user/{shopper.pk}").status_code == 200
    problem(staff_api.put(f"/user/{shopper.pk}", {"name": "x"}), 404)


def test_another_users_cart_is_a_404(shopper_api, other, product):
    cart = fill_cart(other, (product, 1))
    line = cart.lines.get()
    problem(shopper_api.get(f"/user/{other.pk}/cart/"), 404)
    problem(shopper_api.post(f"/user/{other.pk}/cart/", {"product_id": product.pk}), 404)
    problem(shopper_api.get(f"/user/{other.pk}/cart/{line.pk}"), 404)


def test_another_users_cart_item_in_ones_own_cart_url_is_a_404(shopper_api, shopper, other, product):
    line = fill_cart(other, (product, 1)).lines.get()
    problem(shopper_api.get(f"/user/{shopper.pk}/cart/{line.pk}"), 404)
    problem(shopper_api.put(f"/user/{shopper.pk}/cart/{line.pk}", {"quantity": 2}), 404)
    problem(shopper_api.delete(f"/user/{shopper.pk}/cart/{line.pk}"), 404)
    assert line.__class__.objects.get(pk=line.pk).quantity == 1


def test_another_users_order_is_a_404(shopper_api, other, product):
    fill_cart(other, (product, 1))
    order = place(other)
    problem(shopper_api.get(f"/orders/{order.number}"), 404)
    assert shopper_api.get("/orders/").json()["count"] == 0


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/product/", {"name": "A", "sku": "A", "price": "1.00", "category_id": 1}),
        ("PUT", "/product/{pid}", {"name": "B"}),
        ("DELETE", "/product/{pid}", None),
    ],
)
def test_only_staff_tokens_with_catalog_write_change_products(shopper_api, staff, product, method, path, body):
    path = path.format(pid=product.pk)
    problem(shopper_api.request(method, path, body), 403)
    problem(api_for(staff, [Scope.CATALOG_READ]).request(method, path, body), 403)


def test_a_staff_token_stops_working_for_staff_scopes_once_the_user_is_no_longer_staff(staff, product):
    api = api_for(staff)
    staff.is_staff = False
    staff.save()
    problem(api.put(f"/product/{product.pk}", {"name": "B"}), 403)


def test_only_staff_may_send_email(shopper_api, shopper):
    problem(shopper_api.post("/send_email/", {"to": shopper.email}), 403)


def test_statistics_read_needs_a_staff_token(shopper_api):
    problem(shopper_api.get("/log"), 403)


def test_statistics_read_is_a_404_outside_the_allowed_networks_even_for_staff(staff_api, settings):
    settings.ANALYTICS_ALLOWED_IPS = ["10.0.0.0/8"]
    problem(staff_api.get("/log"), 404)
    assert staff_api.get("/log", REMOTE_ADDR="10.1.2.3").status_code == 200


def test_a_shopper_logs_only_for_themself(shopper_api, other):
    problem(shopper_api.post("/log", {"action": "product_viewed", "user_id": other.pk}), 404)
