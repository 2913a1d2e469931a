"""Personal tokens made and revoked in the profile and in the admin; the secret is shown once."""

import re

from api.models import ApiToken, Scope
from tests.api.conftest import Api


def _secret(html: str) -> str:
    return re.search(r"shp_p_[0-9a-f]{16}_[\w-]+", html).group(0)


def test_the_profile_links_to_the_tokens_page(client, shopper):
    client.force_login(shopper)
    assert "/accounts/tokens/" in client.get("/accounts/profile/").content.decode()


def test_create_a_token_in_the_profile_shown_once_and_working(client, shopper):
    client.force_login(shopper)
    response = client.post("/accounts/tokens/", {"name": "script", "scopes": [Scope.ACCOUNT], "days": 30})
    assert response.status_code == 200
    secret = _secret(response.content.decode())
    assert Api(secret).get(f"/user/{shopper.pk}").status_code == 200
    assert Api(secret).get(f"/user/{shopper.pk}/cart/").status_code == 403  # only the scope it was given
    assert secret not in client.get("/accounts/tokens/").content.decode()


def test_a_shopper_cannot_pick_a_staff_scope_in_the_profile(client, shopper):
    client.force_login(shopper)
    response = client.post("/accounts/tokens/", {"name": "x", "scopes": [Scope.CATALOG_WRITE], "days": 30})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_a_token_lifetime_is_capped(client, shopper, settings):
    client.force_login(shopper)
    response = client.post(
        "/accounts/tokens/", {"name": "x", "scopes": [Scope.ACCOUNT], "days": settings.API_TOKEN_MAX_DAYS + 1}
    )
    assert response.status_code == 400


def test_revoke_a_token_in_the_profile(client, shopper, other):
    client.force_login(shopper)
    secret = _secret(
        client.post("/accounts/tokens/", {"name": "x", "scopes": [Scope.ACCOUNT], "days": 1}).content.decode()
    )
    token = ApiToken.objects.get()
    client.force_login(other)
    client.post(f"/accounts/tokens/{token.pk}/revoke/")  # not theirs: nothing happens
    assert Api(secret).get(f"/user/{shopper.pk}").status_code == 200
    client.force_login(shopper)
    client.post(f"/accounts/tokens/{token.pk}/revoke/")
    assert Api(secret).get(f"/user/{shopper.pk}").status_code == 401


def test_staff_create_a_token_in_the_admin_and_see_it_once(admin_client, staff):
    response = admin_client.post(
        "/admin/api/apitoken/add/",
        {"user": staff.pk, "name": "erp", "scopes": [Scope.CATALOG_WRITE], "days": 10},
        follow=True,
    )
    secret = _secret(response.content.decode())
    assert Api(secret).put("/product/999", {"name": "x"}).status_code == 404  # authorised, no such product


def test_the_admin_refuses_staff_scopes_for_a_shopper(admin_client, shopper):
    response = admin_client.post(
        "/admin/api/apitoken/add/", {"user": shopper.pk, "name": "x", "scopes": [Scope.MAIL_SEND], "days": 10}
    )
    assert response.status_code == 200  # the form again, with the error
    assert not ApiToken.objects.exists()


def test_the_admin_revokes_tokens(admin_client, shopper):
    from api.services import token_create

    new = token_create(user=shopper)
    admin_client.post("/admin/api/apitoken/", {"action": "revoke", "_selected_action": [new.token.pk]})
    assert Api(new.secret).get(f"/user/{shopper.pk}").status_code == 401
