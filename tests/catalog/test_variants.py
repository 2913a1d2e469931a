"""Variants on the storefront: picking options (plain GET form and htmx), unavailable combinations, adding
the chosen variant to the cart, and ordering it (stock taken per variant, the order line names it)."""

import re
from decimal import Decimal

import pytest
from django.db.models.functions import Now

from accounts.models import User
from cart.models import Cart, CartLine
from cart.services import line_add
from catalog.models import OptionValue, ProductVariant
from orders.models import OrderLine
from tests.budgets import CHROME, JSON_LD
from tests.factories import caches_clear, make_product, make_product_type, make_variant, stock_of
from tests.orders.conftest import place


@pytest.fixture
def tee(db):
    tee_type = make_product_type("Tee", {"Size": ["S", "M", "L"], "Colour": ["Blue", "Red"]})
    product = make_product("Cotton Tee", product_type=tee_type, price=Decimal("20.00"), stock=0)
    product.variants.all().delete()
    make_variant(product, "S", "Blue", stock=4, sku="TEE-S-BLU")
    make_variant(product, "M", "Blue", stock=3, sku="TEE-M-BLU", price_override=Decimal("22.00"))
    make_variant(product, "M", "Red", stock=0, sku="TEE-M-RED")
    # L is made in no colour, S not in red: those combinations are unavailable.
    return product


def value(product, name: str) -> OptionValue:
    return OptionValue.objects.get(option__product_type=product.product_type, value=name)


def picked(product, *names: str) -> dict[str, int]:
    return {f"option-{value(product, n).option_id}": value(product, n).pk for n in names}


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_the_detail_page_shows_the_first_variant_in_stock_and_a_picker_per_option(client, tee):
    page = text(client.get(f"/products/{tee.slug}/"))

    assert "SKU: TEE-S-BLU" in page
    assert "20.00" in page
    assert ">Size</label>" in page
    assert ">Colour</label>" in page
    # L exists in no colour at all; Red with S chosen is not made either.
    assert re.search(r'class="option-unavailable">L \(unavailable\)', page)
    assert re.search(r'class="option-unavailable">Red \(unavailable\)', page)


def test_a_plain_get_form_picks_the_variant_with_its_own_price_and_stock(client, tee):
    page = text(client.get(f"/products/{tee.slug}/", picked(tee, "M", "Blue")))

    assert "SKU: TEE-M-BLU" in page
    assert "22.00" in page
    assert "Only 3 left" in page
    assert '<form class="variant-picker" method="get"' in page
    assert 'name="variant_id" value="' in page


def test_a_sold_out_variant_cannot_be_added_and_is_marked_in_the_picker(client, tee):
    page = text(client.get(f"/products/{tee.slug}/", picked(tee, "M", "Red")))

    assert "SKU: TEE-M-RED" in page
    assert "Out of stock" in page
    assert "disabled>Sold out</button>" in page
    assert re.search(r'class="option-sold-out">Red \(sold out\)', page)


def test_a_combination_no_variant_has_is_shown_as_unavailable(client, tee):
    response = client.get(f"/products/{tee.slug}/", picked(tee, "L", "Red"))

    assert response.status_code == 200
    page = text(response)
    assert "This combination is not available" in page
    assert "disabled>Unavailable</button>" in page
    assert 'name="variant_id"' not in page


@pytest.mark.parametrize(
    "query",
    [
        {"variant": "abc"},
        {"variant": "99999999999999999999999"},
        {"option-999": "1"},
        {"option-1": "not-a-number"},
        {"variant": str(10**6)},
    ],
)
def test_unknown_or_malformed_choices_show_the_default_variant(client, tee, query):
    response = client.get(f"/products/{tee.slug}/", query)

    assert response.status_code == 200
    assert "SKU: TEE-S-BLU" in text(response)


def test_another_products_variant_in_the_url_is_ignored(client, tee):
    other = make_product("Mug")
    response = client.get(f"/products/{tee.slug}/", {"variant": other.variants.get().pk})
    assert "SKU: TEE-S-BLU" in text(response)


def test_htmx_gets_the_product_block_alone_for_the_chosen_variant(client, tee):
    response = client.get(f"/products/{tee.slug}/", picked(tee, "M", "Blue"), headers={"HX-Request": "true"})

    page = text(response)
    assert "<html" not in page
    assert page.strip().startswith('<article class="product-detail" id="product-detail">')
    assert "SKU: TEE-M-BLU" in page
    assert "HX-Request" in response["Vary"]


def test_the_chosen_variant_goes_into_the_cart(client, tee):
    variant = ProductVariant.objects.get(sku="TEE-M-BLU")

    response = client.post(
        "/cart/add/", {"product": tee.pk, "variant_id": variant.pk, "variant": "detail", "quantity": 2}, follow=True
    )

    line = CartLine.objects.get()
    assert (line.variant_id, line.product_id, line.quantity, line.price_seen) == (variant.pk, tee.pk, 2, Decimal("22"))
    assert "Added “Cotton Tee (M / Blue)” to your cart." in text(response)
    cart_page = text(client.get("/cart/"))
    assert "M / Blue" in cart_page
    assert "44.00" in cart_page


@pytest.mark.parametrize("htmx", [False, True])
def test_a_variant_of_another_product_is_refused_with_a_message(client, tee, htmx):
    foreign = make_product("Mug").variants.get()
    headers = {"HX-Request": "true"} if htmx else {}

    response = client.post(
        "/cart/add/", {"product": tee.pk, "variant_id": foreign.pk, "variant": "detail"}, headers=headers, follow=True
    )

    assert response.status_code == 200
    assert "is not one of “Cotton Tee”’s: choose its options again" in text(response)
    assert not CartLine.objects.exists()


def test_a_product_with_several_variants_needs_a_choice(client, tee):
    response = client.post("/cart/add/", {"product": tee.pk}, follow=True)
    assert "Choose the options of “Cotton Tee” first." in text(response)
    assert not CartLine.objects.exists()


def test_the_list_card_of_a_product_with_options_links_to_its_page(client, tee):
    make_product("Mug", stock=3)
    page = text(client.get("/products/"))

    assert f'<a class="cart-add-button cart-add-choose" href="/products/{tee.slug}/">Choose options</a>' in page
    assert page.count('name="product" value=') == 1  # the mug's add button only
    assert "Only 3 left" in page  # the mug
    assert "In stock" in page  # the tee: 7 over its variants


def test_in_stock_filter_counts_any_variant_in_stock(client, tee):
    ProductVariant.objects.filter(product=tee).exclude(sku="TEE-M-RED").update(stock=0, updated_at=Now())
    assert "Cotton Tee" not in text(client.get("/products/", {"in_stock": "on"}))
    ProductVariant.objects.filter(sku="TEE-M-RED").update(stock=1, updated_at=Now())
    assert "Cotton Tee" in text(client.get("/products/", {"in_stock": "on"}))


def test_a_stock_change_of_one_variant_shows_on_the_cached_page(client, tee):
    url = f"/products/{tee.slug}/"
    assert "Only 3 left" in text(client.get(url, picked(tee, "M", "Blue")))

    ProductVariant.objects.filter(sku="TEE-M-BLU").update(stock=1, updated_at=Now())  # as the services write it

    assert "Only 1 left" in text(client.get(url, picked(tee, "M", "Blue")))


def test_the_detail_page_query_count_does_not_grow_with_the_variants(db, client, django_assert_num_queries):
    sizes = [f"S{i}" for i in range(5)]
    colours = [f"C{i}" for i in range(4)]
    big_type = make_product_type("Shirt", {"Size": sizes, "Colour": colours})
    small = make_product("Small shirt", product_type=big_type)
    big = make_product("Big shirt", product_type=big_type)
    for product, combos in ((small, [(sizes[0], colours[0]), (sizes[1], colours[0])]), (big, None)):
        product.variants.all().delete()
        for size, colour in combos or [(s, c) for s in sizes for c in colours]:
            make_variant(product, size, colour)
    assert big.variants.count() == 20

    counts = []
    for product in (small, big):
        caches_clear()
        client.cookies.pop("shop_recent", None)  # recently viewed would add its own two queries
        # version, categories, product, variants, their values, options, their values, specs, images, related,
        # also bought; the JSON-LD image, the storefront's chrome
        with django_assert_num_queries(11 + JSON_LD + CHROME) as captured:
            assert client.get(f"/products/{product.slug}/").status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_ordering_a_variant_takes_its_stock_only_and_the_order_line_names_it(tee):
    shopper = User.objects.create_user("ada@example.com", "a-long-and-unusual-passphrase-42", name="Ada")
    from cart.services import cart_get  # noqa: F401 - the service the views call

    cart = Cart.objects.create(user=shopper)
    line_add(cart, ProductVariant.objects.get(sku="TEE-M-BLU"), 2)

    order = place(shopper)

    line = OrderLine.objects.get(order=order)
    assert (line.name, line.variant_label, line.sku, line.unit_price) == ("Cotton Tee", "M / Blue", "TEE-M-BLU", 22)
    assert line.full_name == "Cotton Tee (M / Blue)"
    stocks = dict(ProductVariant.objects.filter(product=tee).values_list("sku", "stock"))
    assert stocks == {"TEE-S-BLU": 4, "TEE-M-BLU": 1, "TEE-M-RED": 0}
    assert stock_of(tee) == 5


def test_the_gallery_shows_the_chosen_variants_images_first_with_thumbnail_links(client, tee):
    from catalog.models import ProductImage

    blue_m = ProductVariant.objects.get(sku="TEE-M-BLU")
    red_m = ProductVariant.objects.get(sku="TEE-M-RED")
    ProductImage.objects.create(product=tee, image="a.png", thumbnail="a.webp", display="a-d.webp", alt_text="Front")
    ProductImage.objects.create(
        product=tee, variant=blue_m, image="b.png", thumbnail="b.webp", display="b-d.webp", alt_text="Blue M"
    )
    ProductImage.objects.create(
        product=tee, variant=red_m, image="c.png", thumbnail="c.webp", display="c-d.webp", alt_text="Red M"
    )

    page = text(client.get(f"/products/{tee.slug}/", {"variant": blue_m.pk}))

    slides = re.findall(r'<li class="gallery-slide" id="image-(\d)"><img src="[^"]+" alt="([^"]+)"', page)
    assert slides == [("1", "Blue M"), ("2", "Front")]  # the other variant's image is left out
    assert '<ul class="gallery-slides" tabindex="0" aria-label="Images of Cotton Tee">' in page
    assert '<a href="#image-2"><img src="/media/a.webp" alt="Image 2 of 2"' in page
