"""E-mail verification: signed, expiring, single-use links; an unverified account can shop but gets no bulk mail."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from accounts.models import User
from notifications.models import Message
from notifications.services import UnknownRecipient, mail_enqueue
from tests.accounts.conftest import PASSWORD, login

pytestmark = pytest.mark.django_db


def register(client, email="new@example.org"):
    return client.post(
        "/accounts/register/", {"email": email, "name": "", "password1": PASSWORD, "password2": PASSWORD}
    )


def confirm_path(to: str) -> str:
    body = Message.objects.filter(kind=Message.Kind.EMAIL_CONFIRM, to=to).latest("id").body_text
    return re.search(r"https?://[^/\s]+(/accounts/confirm/[^\s]+/)", body)[1]


def test_a_new_account_confirms_its_address_once_through_the_link(client):
    register(client)
    user = User.objects.get()
    assert not user.email_verified
    profile = client.get("/accounts/profile/").text
    assert "is not confirmed yet" in profile
    path = confirm_path("new@example.org")
    page = client.get(path)  # a mail scanner fetching the link uses nothing up
    assert page.status_code == 200
    assert "Confirm new@example.org" in page.text
    user.refresh_from_db()
    assert not user.email_verified
    assert client.post(path).url == "/accounts/profile/"
    user.refresh_from_db()
    assert user.email_verified
    assert "is not confirmed yet" not in client.get("/accounts/profile/").text
    reused = client.post(path)
    assert reused.status_code == 400
    assert "This confirmation link was already used." in reused.text


def test_a_tampered_or_expired_confirmation_link_is_refused_with_a_reason(client, settings):
    register(client)
    path = confirm_path("new@example.org")
    tampered = client.post(path.replace("/confirm/", "/confirm/x"))
    assert tampered.status_code == 400
    assert "not valid" in tampered.text
    later = timezone.now() + timedelta(seconds=settings.ACCOUNT_EMAIL_CONFIRM_MAX_AGE + 5)
    with time_machine.travel(later):
        expired = Client().post(path)  # the session has expired by then too
    assert expired.status_code == 410
    assert "expired" in expired.text
    assert not User.objects.get().email_verified


def test_a_new_link_replaces_the_old_one(client):
    register(client)
    old = confirm_path("new@example.org")
    assert client.post("/accounts/confirm/resend/").url == "/accounts/profile/"
    new = confirm_path("new@example.org")
    assert old != new
    assert "newer confirmation link" in client.post(old).text
    assert client.post(new).status_code == 302


def test_changing_the_address_keeps_the_old_one_until_the_new_one_is_confirmed(client, user):
    client.force_login(user)
    client.post("/accounts/profile/", {"name": "Sam", "email": "sam@example.org", "current_password": PASSWORD})
    user.refresh_from_db()
    assert user.email == "shopper@example.org"
    assert "We sent a confirmation link to sam@example.org" in client.get("/accounts/profile/").text
    assert client.post(confirm_path("sam@example.org")).status_code == 302
    user.refresh_from_db()
    assert (user.email, user.email_verified) == ("sam@example.org", True)


def test_an_unverified_account_logs_in_and_is_told(client, user):
    response = login(client)
    assert response.status_code == 302
    page = client.get(response.url).text
    assert "Your e-mail address is not confirmed yet" in page


def test_bulk_mail_goes_only_to_confirmed_addresses(user):
    with pytest.raises(UnknownRecipient, match="not a confirmed address"):
        mail_enqueue(to=user.email, kind="welcome", context={}, bulk=True)
    mail_enqueue(to=user.email, kind="welcome", context={})  # transactional mail still goes
    user.email_verified_at = timezone.now()
    user.save()
    assert mail_enqueue(to=user.email, kind="welcome", context={}, bulk=True).bulk


def test_resending_is_throttled(client, user, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    client.force_login(user)
    for _ in range(3):
        client.post("/accounts/confirm/resend/")
    assert Message.objects.filter(kind=Message.Kind.EMAIL_CONFIRM).count() == 2
    assert Client().post("/accounts/confirm/resend/").status_code == 302  # anonymous: to the login page
