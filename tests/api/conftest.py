"""Real rows and real requests through the test client for the API tests; tokens made by the API's services."""

import json

import pytest
from django.test import Client

from accounts.models import User
from api.services import token_create
from tests.factories import make_category, make_product

PASSWORD = "a-long-and-unusual-passphrase-42"


class Api:
    """The test client speaking JSON to /api/v1/ with an optional bearer token."""

    def __init__(self, token: str = ""):
        self.client = Client()
        self.token = token

    def _headers(self, headers: dict) -> dict:
        if self.token:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        return headers

    def request(self, method: str, path: str, body=None, *, raw: bytes | None = None, **headers):
        """`headers` are HTTP headers; UPPER_CASE names (REMOTE_ADDR) go to the WSGI environ as they are."""
        environ = {k: headers.pop(k) for k in list(headers) if k.isupper()}
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        if data is not None:
            environ["content_type"] = headers.pop("content_type", "application/json")
            environ["data"] = data
        call = getattr(self.client, method.lower())
        return call(f"/api/v1{path}", headers=self._headers(headers), **environ)

    def get(self, path, **headers):
        return self.request("GET", path, **headers)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body, **kw)

    def put(self, path, body=None, **kw):
        return self.request("PUT", path, body, **kw)

    def delete(self, path, body=None, **kw):
        return self.request("DELETE", path, body, **kw)


def make_user(email: str = "ada@example.com", **fields) -> User:
    return User.objects.create_user(email, PASSWORD, name="Ada Lovelace", **fields)


def api_for(user: User, scopes: list[str] | None = None, **kwargs) -> Api:
    return Api(token_create(user=user, scopes=scopes, **kwargs).secret)


@pytest.fixture
def shopper(db):
    return make_user()


@pytest.fixture
def other(db):
    return make_user("grace@example.com")


@pytest.fixture
def staff(db):
    return make_user("staff@example.com", is_staff=True)


@pytest.fixture
def anon(db):
    return Api()


@pytest.fixture
def shopper_api(shopper):
    return api_for(shopper)


@pytest.fixture
def staff_api(staff):
    return api_for(staff)


@pytest.fixture
def category(db):
    return make_category("Tools", slug="tools")


@pytest.fixture
def product(category):
    return make_product("Brass gear", category=category, stock=5)


def problem(response, status: int) -> dict:
    """The response is an RFC 9457 problem with this status."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["title"]
    assert "detail" in body
    return body
