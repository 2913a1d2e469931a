import pytest

from accounts.models import User

PASSWORD = "a-long-and-unusual-passphrase-42"


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def user(db):
    return User.objects.create_user("shopper@example.org", PASSWORD, name="Sam Shopper")


def login(client, email="shopper@example.org", password=PASSWORD, remember=False, **extra):
    """Log in through the real login form (django-axes sees it)."""
    data = {"username": email, "password": password}
    if remember:
        data["remember"] = "on"
    return client.post("/accounts/login/", data, **extra)
