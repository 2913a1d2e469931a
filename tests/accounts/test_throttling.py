import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client

from tests.accounts.conftest import login
from tests.notifications.conftest import drain_tasks

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def fail(client, email, n, **extra):
    return [login(client, email=email, password="wrong-password", **extra) for _ in range(n)]


@pytest.mark.django_db
def test_wrong_password_and_unknown_address_get_the_same_answer(client, user):
    wrong = login(client, password="wrong-password")
    unknown = login(client, email="nobody@example.org", password="wrong-password")
    assert wrong.status_code == unknown.status_code == 200
    message = "That e-mail address and password do not match an account."
    assert message in wrong.text
    assert message in unknown.text


@pytest.mark.django_db
def test_an_attackers_wrong_passwords_do_not_lock_the_owner_out_from_another_address(user, settings, password):
    settings.LOGIN_FAILURE_LIMIT = settings.AXES_FAILURE_LIMIT = 3
    attacker = Client(REMOTE_ADDR="198.51.100.7")
    with time_machine.travel(T0, tick=False):
        responses = [
            login(attacker, email=email, password="nope")
            for email in ["shopper@example.org", "SHOPPER@example.org", "Shopper@Example.org"]
        ]
        assert [r.status_code for r in responses] == [200, 200, 429]
        assert "Too many failed login attempts" in responses[-1].text
        assert responses[-1]["Retry-After"] == str(settings.LOGIN_FAILURE_WINDOW)
        # The attacker's address waits out the window, even with the right password...
        assert login(attacker, password=password).status_code == 429
        # ...while the owner, from their own address, logs in at once.
        assert login(Client(REMOTE_ADDR="192.0.2.1"), password=password).status_code == 302
    with time_machine.travel(T0 + timedelta(seconds=settings.LOGIN_FAILURE_WINDOW + 1), tick=False):
        assert login(attacker, password=password).status_code == 302


@pytest.mark.django_db
def test_an_attacker_rotating_addresses_cannot_keep_a_staff_account_locked(django_user_model, settings):
    settings.LOGIN_FAILURE_LIMIT = settings.AXES_FAILURE_LIMIT = 3
    django_user_model.objects.create_superuser("boss@example.org", "boss-passphrase-12345")
    for i in range(12):
        Client(REMOTE_ADDR=f"198.51.100.{i // 3}").post(
            "/admin/login/", {"username": "boss@example.org", "password": "nope"}
        )
    response = Client(REMOTE_ADDR="192.0.2.50").post(
        "/admin/login/", {"username": "boss@example.org", "password": "boss-passphrase-12345"}
    )
    assert response.status_code == 302


@pytest.mark.django_db
def test_password_spraying_from_one_address_is_stopped(user, settings, password):
    settings.LOGIN_FAILURE_LIMIT = settings.AXES_FAILURE_LIMIT = 3
    sprayer = Client(REMOTE_ADDR="203.0.113.8")
    statuses = [login(sprayer, email=f"victim{i}@example.org", password="Summer2026!").status_code for i in range(5)]
    assert statuses == [200, 200, 429, 429, 429]
    assert login(sprayer, password=password).status_code == 429


@pytest.mark.django_db(transaction=True)  # the real worker delivers the reset mail
def test_behind_the_attackers_address_the_owner_gets_through_by_resetting_the_password(user, settings):
    settings.LOGIN_FAILURE_LIMIT = settings.AXES_FAILURE_LIMIT = 3
    shared = Client(REMOTE_ADDR="198.51.100.20")  # one NAT address: the attacker and the owner
    fail(shared, "shopper@example.org", 3)
    assert login(shared).status_code == 429
    shared.post("/accounts/password/reset/", {"email": "shopper@example.org"})
    drain_tasks()
    link = re.search(r"http://127.0.0.1:8000(/accounts/password/reset/\S+/)", mail.outbox[-1].body)[1]
    form_page = shared.get(link, follow=True)
    new = "brand-new-passphrase-9"
    shared.post(form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert login(shared, password=new).status_code == 302


@pytest.mark.django_db
def test_lockout_looks_the_same_for_an_address_without_an_account(user, settings):
    settings.LOGIN_FAILURE_LIMIT = settings.AXES_FAILURE_LIMIT = 3
    known = fail(Client(REMOTE_ADDR="198.51.100.1"), "shopper@example.org", 3)[-1]
    unknown = fail(Client(REMOTE_ADDR="198.51.100.2"), "ghost@example.org", 3)[-1]
    assert known.status_code == unknown.status_code == 429
    assert known.text.split("<main")[1] == unknown.text.split("<main")[1]


@pytest.mark.django_db
def test_one_ip_is_locked_after_the_limit_across_accounts(user, settings, password):
    settings.LOGIN_FAILURE_LIMIT = settings.AXES_FAILURE_LIMIT = 3
    client = Client(REMOTE_ADDR="203.0.113.5")
    for email in ("a@example.org", "b@example.org", "c@example.org"):
        last = login(client, email=email, password="nope")
    assert last.status_code == 429
    # From that address, even a correct login waits; from elsewhere the account is fine.
    assert login(client, password=password).status_code == 429
    assert login(Client(REMOTE_ADDR="203.0.113.99"), password=password).status_code == 302


@pytest.mark.django_db
def test_admin_login_is_throttled_the_same_way(django_user_model, settings):
    settings.LOGIN_FAILURE_LIMIT = settings.AXES_FAILURE_LIMIT = 3
    django_user_model.objects.create_superuser("boss@example.org", "boss-passphrase-12345")
    client = Client()
    statuses = [
        client.post("/admin/login/", {"username": "boss@example.org", "password": "nope"}).status_code for _ in range(3)
    ]
    assert statuses == [200, 200, 429]
    response = client.post("/admin/login/", {"username": "boss@example.org", "password": "boss-passphrase-12345"})
    assert response.status_code == 429
    assert "Too many failed login attempts" in response.text


@pytest.mark.django_db
def test_forwarded_for_is_ignored_unless_proxies_are_trusted(user, settings):
    settings.LOGIN_FAILURE_LIMIT = settings.AXES_FAILURE_LIMIT = 3
    # A client rotating a forged X-Forwarded-For still comes from one REMOTE_ADDR.
    responses = [
        login(
            Client(REMOTE_ADDR="203.0.113.5"),
            email=f"u{i}@example.org",
            password="x",
            HTTP_X_FORWARDED_FOR=f"10.0.0.{i}",
        )
        for i in range(3)
    ]
    assert responses[-1].status_code == 429


@pytest.mark.django_db
def test_forwarded_for_counts_when_one_proxy_is_trusted(user, settings):
    settings.LOGIN_FAILURE_LIMIT = settings.AXES_FAILURE_LIMIT = 3
    settings.TRUSTED_PROXY_COUNT = 1
    responses = [
        login(
            Client(REMOTE_ADDR="10.0.0.1"),
            email=f"u{i}@example.org",
            password="x",
            HTTP_X_FORWARDED_FOR=f"forged, 198.51.100.{i}",
        )
        for i in range(3)
    ]
    assert [r.status_code for r in responses] == [200, 200, 200]
