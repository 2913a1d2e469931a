import re

import pytest
from django.core import mail
from django.test import Client

from accounts.models import Address, Session, User
from notifications.models import Message
from tests.accounts.conftest import PASSWORD, login
from tests.notifications.conftest import drain_tasks

GOOD = "a-long-and-unusual-passphrase-42"


def register(client, **overrides):
    data = {"email": "new@example.org", "name": "New", "password1": GOOD, "password2": GOOD, **overrides}
    return client.post("/accounts/register/", data)


@pytest.mark.django_db(transaction=True)  # the real worker runs, on its own connection
def test_register_creates_the_account_logs_in_and_sends_the_welcome_mail_through_the_outbox(client):
    response = register(client)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/profile/"
    user = User.objects.get(email="new@example.org")
    assert user.name == "New"
    assert Session.objects.get().user == user
    assert client.get("/accounts/profile/").status_code == 200
    welcome, confirm = Message.objects.order_by("id")
    assert (welcome.kind, welcome.to, welcome.status) == ("welcome", "new@example.org", "queued")
    assert (confirm.kind, confirm.to) == ("email_confirm", "new@example.org")
    drain_tasks()
    assert [m.to for m in mail.outbox] == [["new@example.org"], ["new@example.org"]]
    assert "Hello New," in mail.outbox[0].body


@pytest.mark.django_db
def test_a_refused_registration_queues_no_mail(client, user):
    register(client, email=user.email.upper())

    assert not Message.objects.exists()


@pytest.mark.django_db
def test_register_rejects_a_duplicate_email_in_any_case(client, user):
    response = register(client, email="SHOPPER@EXAMPLE.ORG")
    assert response.status_code == 200
    assert "An account with this e-mail address already exists." in response.text
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"email": "not-an-address"}, "Enter a valid email address."),
        ({"password1": "short", "password2": "short"}, "This password is too short."),
        ({"password1": "password123", "password2": "password123"}, "This password is too common."),
        ({"password2": GOOD + "x"}, "The two passwords do not match."),
        ({"email": "a" * 10_000 + "@example.org"}, "Ensure this value has at most 254 characters"),
        ({"name": "n" * 10_000}, "Ensure this value has at most 150 characters"),
        ({"password1": "p" * 10_000, "password2": "p" * 10_000}, "Ensure this value has at most 1024 characters"),
    ],
)
@pytest.mark.django_db
def test_register_bad_input_shows_form_errors_and_keeps_the_email(client, overrides, message):
    response = register(client, **overrides)
    assert response.status_code == 200
    assert message in response.text
    assert not User.objects.exists()
    if "email" not in overrides:
        assert 'value="new@example.org"' in response.text


@pytest.mark.parametrize("evil", ["https://evil.example/", "//evil.example/x", "https:/\\evil.example"])
@pytest.mark.django_db
def test_register_never_redirects_off_site(client, evil):
    response = client.post(
        "/accounts/register/", {"email": "n@example.org", "password1": GOOD, "password2": GOOD, "next": evil}
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/profile/"


@pytest.mark.django_db
def test_register_follows_a_local_next(client):
    response = client.post(
        "/accounts/register/", {"email": "n@example.org", "password1": GOOD, "password2": GOOD, "next": "/?q=1"}
    )
    assert response["Location"] == "/?q=1"


@pytest.mark.parametrize("evil", ["https://evil.example/", "//evil.example/x"])
@pytest.mark.django_db
def test_login_never_redirects_off_site(client, user, evil):
    response = client.post("/accounts/login/", {"username": user.email, "password": PASSWORD, "next": evil})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/profile/"


@pytest.mark.django_db
def test_login_follows_a_local_next(client, user):
    response = client.post(
        "/accounts/login/", {"username": user.email, "password": PASSWORD, "next": "/accounts/sessions/"}
    )
    assert response["Location"] == "/accounts/sessions/"


@pytest.mark.django_db
def test_login_with_a_huge_field_is_a_form_error(client, user):
    response = login(client, email="a" * 10_000)
    assert response.status_code == 200
    assert "Ensure this value has at most 254 characters" in response.text


@pytest.mark.django_db
def test_a_post_without_csrf_token_is_refused_with_a_page(user):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 403
    assert not Session.objects.filter(user=user).exists()
    response = client.post("/accounts/register/", {"email": "x@example.org", "password1": GOOD, "password2": GOOD})
    assert response.status_code == 403
    assert not User.objects.filter(email="x@example.org").exists()


@pytest.mark.django_db
def test_header_offers_login_and_register_or_account_and_logout(client, user):
    anonymous = client.get("/").text
    assert 'href="/accounts/login/"' in anonymous
    assert 'href="/accounts/register/"' in anonymous
    client.force_login(user)
    page = client.get("/").text
    assert 'href="/accounts/profile/"' in page
    assert re.search(r'<form method="post" action="/accounts/logout/"', page)


# --- Password reset -------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)  # the real worker runs, on its own connection
def test_password_reset_answers_the_same_whether_or_not_the_address_exists(client, user):
    known = client.post("/accounts/password/reset/", {"email": "SHOPPER@example.org"})
    unknown = client.post("/accounts/password/reset/", {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == "/accounts/password/reset/sent/"
    assert list(Message.objects.values_list("kind", "to")) == [("password_reset", user.email)]
    drain_tasks()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [user.email]


@pytest.mark.django_db(transaction=True)  # the real worker runs, on its own connection
def test_password_reset_link_sets_a_new_password_and_ends_all_sessions(client, user):
    other = Client()
    login(other)
    client.post("/accounts/password/reset/", {"email": user.email})
    drain_tasks()
    link = re.search(r"http://127.0.0.1:8000(/accounts/password/reset/\S+/)", mail.outbox[0].body).group(1)

    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "brand-new-passphrase-9", "new_password2": "brand-new-passphrase-9"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/done/"
    assert not Session.objects.filter(user=user).exists()
    assert other.get("/accounts/profile/").status_code == 302
    assert login(Client(), password="brand-new-passphrase-9").status_code == 302


@pytest.mark.django_db
def test_password_change_rejects_a_wrong_old_password(client, user):
    client.force_login(user)
    response = client.post(
        "/accounts/password/",
        {"old_password": "wrong", "new_password1": "x-new-pass-12345", "new_password2": "x-new-pass-12345"},
    )
    assert response.status_code == 200
    assert "Your old password was entered incorrectly" in response.text


# --- Profile and account deletion -----------------------------------------------------------------


@pytest.mark.django_db
def test_profile_changes_the_name_without_a_password(client, user):
    client.force_login(user)
    response = client.post("/accounts/profile/", {"name": "Samantha", "email": user.email})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.name == "Samantha"


@pytest.mark.django_db
def test_changing_the_email_needs_the_current_password(client, user):
    client.force_login(user)
    refused = client.post(
        "/accounts/profile/", {"name": "Sam", "email": "sam@example.org", "current_password": "wrong"}
    )
    assert refused.status_code == 200
    assert "Enter your current password to change the e-mail address." in refused.text
    user.refresh_from_db()
    assert user.email == "shopper@example.org"

    accepted = client.post(
        "/accounts/profile/", {"name": "Sam", "email": "sam@example.org", "current_password": PASSWORD}
    )
    assert accepted.status_code == 302
    user.refresh_from_db()
    # The new address must be confirmed first (tests/accounts/test_verification.py); the old one stays.
    assert user.email == "shopper@example.org"
    assert Message.objects.filter(kind="email_confirm", to="sam@example.org").exists()


@pytest.mark.django_db
def test_profile_refuses_an_email_taken_in_another_case(client, user, django_user_model):
    django_user_model.objects.create_user("taken@example.org", "pw-pw-pw-pw-pw")
    client.force_login(user)
    response = client.post(
        "/accounts/profile/", {"name": "", "email": "TAKEN@example.org", "current_password": PASSWORD}
    )
    assert "An account with this e-mail address already exists." in response.text


@pytest.mark.django_db
def test_account_deletion_needs_the_password_and_removes_personal_data(client, user):
    Address.objects.create(user=user, name="Sam", line1="1 Road", city="Town", postcode="123", country="DE")
    login(Client())
    client.force_login(user)

    refused = client.post("/accounts/delete/", {"password": "wrong"})
    assert refused.status_code == 200
    assert "That password is not correct." in refused.text
    assert User.objects.filter(pk=user.pk).exists()

    response = client.post("/accounts/delete/", {"password": PASSWORD})

    assert response.status_code == 302
    assert not User.objects.filter(pk=user.pk).exists()
    assert not Address.objects.exists()
    assert not Session.objects.filter(user_id=user.pk).exists()
    assert client.get("/accounts/profile/").status_code == 302


@pytest.mark.parametrize(
    "url", ["/accounts/profile/", "/accounts/sessions/", "/accounts/delete/", "/accounts/password/"]
)
@pytest.mark.django_db
def test_account_pages_send_anonymous_visitors_to_login_keeping_next(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


@pytest.mark.django_db
def test_register_and_login_pages_send_a_logged_in_user_on(client, user):
    client.force_login(user)
    assert client.get("/accounts/register/")["Location"] == "/accounts/profile/"
    assert client.get("/accounts/login/")["Location"] == "/accounts/profile/"
