"""The three inputs that used to answer 500: each now gets a redirect or a 404."""

import pytest

from tests.factories import make_product


@pytest.mark.django_db
@pytest.mark.parametrize("next_url", ["foo", "cart:detail", "/" + "x" * 2100, "//evil.example/"])
def test_add_to_cart_with_an_unusable_next_goes_back_to_the_product(client, next_url):
    product = make_product("Brass lamp", stock=5)

    response = client.post("/cart/add/", {"product": product.pk, "quantity": "2", "next": next_url})

    assert response.status_code == 302
    assert response["Location"] == product.get_absolute_url()
    assert client.get("/cart/").context["summary"].lines[0].quantity == 2


@pytest.mark.django_db
def test_add_to_cart_with_a_good_next_goes_there(client):
    product = make_product("Brass lamp", stock=5)

    response = client.post("/cart/add/", {"product": product.pk, "next": "/products/?page=2"})

    assert response["Location"] == "/products/?page=2"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    ["/orders/%00/", "/orders/%00/invoice/", "/checkout/pay/%00/", "/orders/a%00b/", "/products/a%1Fb/", "/%7F"],
)
def test_a_control_character_in_a_path_is_a_404(admin_client, path):
    assert admin_client.get(path).status_code == 404
