"""The HTML token page in German; the JSON API's own messages stay English (a machine format)."""

import pytest

from api.models import Scope
from tests.api.conftest import Api, problem

# How a request asks for German. The one place to change when German pages move under /de/.
GERMAN = {"HTTP_ACCEPT_LANGUAGE": "de"}


def german(client, url, **kw):
    return client.get(url, follow=True, **GERMAN, **kw)


pytestmark = pytest.mark.django_db


def test_the_token_page_is_german(client, shopper):
    client.force_login(shopper)
    page = german(client, "/accounts/tokens/").text

    assert "<h1>API-Tokens</h1>" in page
    assert "Sie haben keine Tokens." in page
    assert "das eigene Konto lesen und ändern" in page
    assert "Läuft ab nach (Tagen)" in page
    assert "Create token" not in page


def test_a_new_token_is_announced_in_german(client, shopper):
    client.force_login(shopper)
    response = client.post("/de/accounts/tokens/", {"name": "Skript", "scopes": [Scope.ACCOUNT], "days": 30}, **GERMAN)

    assert "Kopieren Sie es jetzt: Es wird nur dieses eine Mal angezeigt." in response.text
    assert "nie" in response.text  # last used


def test_the_json_api_answers_in_english_whatever_the_language(db):
    english = problem(Api().get("/products/", Authorization="Bearer nonsense"), 401)
    german_answer = problem(Api().get("/products/", Authorization="Bearer nonsense", HTTP_ACCEPT_LANGUAGE="de"), 401)

    assert german_answer == english
