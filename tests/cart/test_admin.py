import pytest
from django.contrib.auth.models import Permission

from accounts.models import User
from cart import services
from cart.models import Cart
from tests.factories import default_variant

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = User.objects.create_user("staff@example.com", "pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="cart", codename__startswith="view_"))
    client.force_login(user)
    return user


def test_staff_can_look_at_carts_but_not_change_them(client, staff, user, lamp):
    cart = Cart.objects.create(user=user)
    services.line_add(cart, default_variant(lamp), 2)

    listing = client.get("/admin/cart/cart/?user__isempty=0")
    assert listing.status_code == 200
    assert "shopper@example.org" in listing.text
    page = client.get(f"/admin/cart/cart/{cart.pk}/change/")
    assert page.status_code == 200
    assert "Desk Lamp" in page.text
    assert 'name="_save"' not in page.text
    assert client.post(f"/admin/cart/cart/{cart.pk}/change/", {}).status_code == 403
    assert client.get("/admin/cart/cart/add/").status_code == 403
