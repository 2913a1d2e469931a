""" "Download my data": a task builds the JSON; a large file is mailed as a signed, expiring link."""

import json
import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from accounts.models import Address, DataExport
from notifications.models import Message
from tests.factories import make_product
from tests.notifications.conftest import drain_tasks
from tests.orders.conftest import fill_cart, place

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shopper(user):
    Address.objects.create(user=user, name="Sam", line1="1 High St", city="Berlin", postcode="10115", country="DE")
    fill_cart(user, (make_product("Brass gear", stock=5), 2))
    place(user)
    return user


def download_url(page: str) -> str:
    return re.search(r'href="(/accounts/data/[^"]+/)" download', page)[1]


def test_the_file_holds_account_addresses_orders_and_sessions(client, shopper):
    client.force_login(shopper)
    assert client.post("/accounts/data/").url == "/accounts/profile/#my-data"
    assert "being prepared" in client.get("/accounts/profile/").text
    drain_tasks()
    response = client.get(download_url(client.get("/accounts/profile/").text))
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith('attachment; filename="my-data-')
    data = json.loads(response.content)
    assert data["account"]["email"] == "shopper@example.org"
    assert data["addresses"][0]["country"] == "DE"
    line = data["orders"][0]["lines"][0]
    assert (line["name"], line["quantity"]) == ("Brass gear", 2)
    assert data["orders"][0]["status"] == "pending_payment"
    assert len(data["sessions"]) == 1
    assert not Message.objects.filter(kind=Message.Kind.DATA_EXPORT).exists()  # small: no mail


def test_a_large_file_is_mailed_as_a_link_that_expires_and_needs_the_owner(
    client, shopper, settings, django_user_model
):
    settings.ACCOUNT_EXPORT_MAIL_THRESHOLD = 100
    client.force_login(shopper)
    client.post("/accounts/data/")
    drain_tasks()
    body = Message.objects.get(kind=Message.Kind.DATA_EXPORT).body_text
    path = re.search(r"https?://[^/\s]+(/accounts/data/[^\s]+/)", body)[1]
    assert client.get(path).status_code == 200
    other = Client()
    other.force_login(django_user_model.objects.create_user("other@example.org", "x-long-passphrase-77"))
    assert other.get(path).status_code == 404
    assert Client().get(path).status_code == 302  # to the login page
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.ACCOUNT_EXPORT_LINK_MAX_AGE + 5)):
        client.force_login(shopper)
        expired = client.get(path)
    assert expired.status_code == 404
    assert "expired" in expired.text


def test_a_new_request_replaces_the_old_file(client, shopper):
    client.force_login(shopper)
    client.post("/accounts/data/")
    drain_tasks()
    old = download_url(client.get("/accounts/profile/").text)
    client.post("/accounts/data/")
    drain_tasks()
    assert DataExport.objects.count() == 1
    assert "no longer available" in client.get(old).text
