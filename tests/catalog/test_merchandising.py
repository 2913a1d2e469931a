"""Related products (staff picks first), customers also bought (from orders), recently viewed (a cookie)."""

import re
from decimal import Decimal

from accounts.models import User
from cart.models import Cart
from cart.services import line_add
from tests.budgets import CHROME, JSON_LD
from tests.factories import caches_clear, default_variant, make_category, make_product
from tests.orders.conftest import place


def section(page: str, heading_id: str) -> list[str]:
    match = re.search(rf'aria-labelledby="{heading_id}">(.*?)</section>', page, re.S)
    return re.findall(r'<span class="product-name">([^<]+)</span>', match[1]) if match else []


def test_staff_picks_come_first_then_the_same_category(client, db):
    home, garden = make_category("Home"), make_category("Garden")
    lamp = make_product("Lamp", category=home)
    make_product("Shade", category=home)
    spade = make_product("Spade", category=garden)
    lamp.related_products.add(spade)

    page = client.get(f"/products/{lamp.slug}/").content.decode()

    assert section(page, "related-heading") == ["Spade", "Shade"]


def test_customers_also_bought_comes_from_orders_holding_the_product(client, db):
    lamp, bulb, mug, hidden = (make_product(n, stock=20) for n in ("Lamp", "Bulb", "Mug", "Hidden"))
    for n, others in enumerate([(bulb, mug), (bulb,), (hidden,)]):
        shopper = User.objects.create_user(f"s{n}@example.com", "a-long-and-unusual-passphrase-42", name="S")
        cart = Cart.objects.create(user=shopper)
        for product in (lamp, *others):
            line_add(cart, default_variant(product), 1)
        place(shopper)
    hidden.is_archived = True
    hidden.save()

    page = client.get(f"/products/{lamp.slug}/").content.decode()

    assert section(page, "also-bought-heading") == ["Bulb", "Mug"]  # twice, once; archived left out


def test_recently_viewed_follows_the_visitor_and_costs_no_query_while_empty(client, db, django_assert_num_queries):
    lamp, mug = make_product("Lamp", price=Decimal("5")), make_product("Mug")
    first = client.get(f"/products/{lamp.slug}/")
    assert "Recently viewed" not in first.content.decode()
    # A first visitor's page may come from a shared cache: its beacon remembers the product (shop/shared.py).
    assert "shop_recent" in client.get(f"/seen/?product={lamp.pk}").cookies

    page = client.get(f"/products/{mug.slug}/").content.decode()
    assert section(page, "recent-heading") == ["Lamp"]

    client.cookies["shop_recent"] = "tampered"
    caches_clear()
    # version, categories, product, variants, images, related (+ images: none), also bought: no recent query
    with django_assert_num_queries(7 + JSON_LD + CHROME):  # + the JSON-LD image, the storefront's chrome
        page = client.get(f"/products/{lamp.slug}/").content.decode()
    assert "Recently viewed" not in page
