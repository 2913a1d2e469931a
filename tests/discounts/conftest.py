"""Real rows for the discounts tests: products, carts, vouchers and promotions."""

from decimal import Decimal

import pytest

from cart.models import Cart, CartLine
from discounts.models import Voucher
from tests.factories import default_variant, make_category, make_product


def make_voucher(code: str = "SAVE10", **fields) -> Voucher:
    fields.setdefault("kind", Voucher.Kind.PERCENTAGE)
    fields.setdefault("value", Decimal("10"))
    return Voucher.objects.create(code=code, **fields)


def cart_with(*items, user=None) -> Cart:
    """A cart (a user's or an anonymous one) holding (product, quantity) pairs."""
    cart = Cart.objects.create(user=user) if user else Cart.objects.create(token=f"t{Cart.objects.count()}" * 20)
    for product, quantity in items:
        CartLine.objects.create(
            cart=cart, product=product, variant=default_variant(product), quantity=quantity, price_seen=product.price
        )
    return cart


@pytest.fixture
def shoes(db):
    return make_category("Shoes", slug="shoes")


@pytest.fixture
def boot(shoes):
    return make_product("Boot", category=shoes, price=Decimal("60.00"), stock=50)


@pytest.fixture
def sock(db):
    return make_product("Sock", price=Decimal("5.00"), stock=50)
