from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from api.models import ApiToken, Scope
from api.services import token_create
from tests.api.conftest import PASSWORD, Api, api_for, problem


def test_a_token_is_stored_only_as_a_hash(shopper):
    new = token_create(user=shopper, name="phone")
    row = ApiToken.objects.get(pk=new.token.pk)
    assert new.secret.startswith("shp_p_")
    assert new.secret.split("_")[-1] not in (row.secret_hash, row.lookup)
    assert len(row.secret_hash) == 64


def test_a_valid_token_reads_its_own_account(shopper, shopper_api):
    response = shopper_api.get(f"/user/{shopper.pk}")
    assert response.status_code == 200
    assert response.json()["email"] == shopper.email


@pytest.mark.parametrize("header", ["Bearer nonsense", "Bearer shp_p_0011223344556677_wrong", "Basic abc", "Bearer "])
def test_a_bad_token_is_a_401_never_anonymous(db, header):
    response = Api().get("/products/", Authorization=header)
    problem(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_is_refused(shopper):
    new = token_create(user=shopper)
    ApiToken.objects.filter(pk=new.token.pk).update(revoked_at=timezone.now())
    problem(Api(new.secret).get(f"/user/{shopper.pk}"), 401)


def test_an_expired_personal_token_is_refused(shopper):
    new = token_create(user=shopper, days=1)
    with time_machine.travel(timezone.now() + timedelta(days=1, seconds=1)):
        problem(Api(new.secret).get(f"/user/{shopper.pk}"), 401)


def test_a_deactivated_users_token_is_refused(shopper):
    api = api_for(shopper)
    shopper.is_active = False
    shopper.save()
    problem(api.get(f"/user/{shopper.pk}"), 401)


def test_password_login_gives_a_session_token_with_a_five_minute_ttl(shopper, anon):
    response = anon.post("/auth/session", {"email": shopper.email, "password": PASSWORD})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["token"].startswith("shp_s_")
    assert 295 <= body["expires_in"] <= 300
    assert Scope.CATALOG_WRITE not in body["scopes"]  # staff scopes only for staff
    assert Api(body["token"]).get(f"/user/{shopper.pk}").status_code == 200


def test_a_wrong_password_is_a_401(shopper, anon):
    problem(anon.post("/auth/session", {"email": shopper.email, "password": "wrong"}), 401)


def test_repeated_wrong_passwords_lock_the_login_with_a_429_problem(shopper, anon, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        anon.post("/auth/session", {"email": shopper.email, "password": "wrong"})
    response = anon.post("/auth/session", {"email": shopper.email, "password": PASSWORD})
    problem(response, 429)
    assert int(response["Retry-After"]) > 0


def test_a_session_token_expires_after_five_idle_minutes(shopper, anon):
    token = anon.post("/auth/session", {"email": shopper.email, "password": PASSWORD}).json()["token"]
    with time_machine.travel(timezone.now() + timedelta(seconds=301)):
        problem(Api(token).get(f"/user/{shopper.pk}"), 401)


def test_a_session_token_is_refreshed_by_use(shopper, anon):
    token = anon.post("/auth/session", {"email": shopper.email, "password": PASSWORD}).json()["token"]
    start = timezone.now()
    # Used every four minutes, it outlives its first five.
    for minutes in (4, 8, 12):
        with time_machine.travel(start + timedelta(minutes=minutes)):
            assert Api(token).get(f"/user/{shopper.pk}").status_code == 200
    with time_machine.travel(start + timedelta(minutes=12, seconds=301)):
        problem(Api(token).get(f"/user/{shopper.pk}"), 401)


def test_logout_revokes_the_session_token(shopper, anon):
    token = anon.post("/auth/session", {"email": shopper.email, "password": PASSWORD}).json()["token"]
    assert Api(token).delete("/auth/session").status_code == 204
    problem(Api(token).get(f"/user/{shopper.pk}"), 401)


def test_a_shopper_cannot_hold_a_staff_scope(shopper):
    from api.services import ScopeNotAllowed

    with pytest.raises(ScopeNotAllowed):
        token_create(user=shopper, scopes=[Scope.CATALOG_WRITE])


def test_changing_the_password_on_the_site_logs_apps_out_but_keeps_personal_tokens(client, shopper, anon):
    session = anon.post("/auth/session", {"email": shopper.email, "password": PASSWORD}).json()["token"]
    personal = token_create(user=shopper).secret
    client.force_login(shopper)
    new = "another-long-unusual-passphrase-43"
    response = client.post(
        "/accounts/password/", {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302
    problem(Api(session).get(f"/user/{shopper.pk}"), 401)
    assert Api(personal).get(f"/user/{shopper.pk}").status_code == 200
