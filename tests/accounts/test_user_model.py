import pytest
from django.contrib.auth import authenticate, get_user_model
from django.db import IntegrityError, transaction
from django.test import RequestFactory

User = get_user_model()


@pytest.mark.django_db
def test_email_is_the_login_identifier_and_ignores_case():
    User.objects.create_user("Alice@Example.org", "correct horse battery")

    # django-axes (the first backend) needs the request to count failures.
    request = RequestFactory().post("/accounts/login/")
    assert authenticate(request, username="alice@example.org", password="correct horse battery") is not None
    assert authenticate(request, username="ALICE@EXAMPLE.ORG", password="wrong") is None


@pytest.mark.django_db
def test_two_accounts_cannot_share_an_email_in_any_case():
    User.objects.create_user("bob@example.org", "pw-one-two-three")

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("BOB@example.org", "pw-one-two-three")


@pytest.mark.django_db
def test_domain_part_is_normalised_to_lower_case():
    user = User.objects.create_user("Carol@EXAMPLE.ORG", "pw")
    assert user.email == "Carol@example.org"


@pytest.mark.django_db
def test_superuser_is_staff():
    admin = User.objects.create_superuser("root@example.org", "pw")
    assert admin.is_staff
    assert admin.is_superuser


def test_auth_user_model_is_ours():
    from django.conf import settings

    assert settings.AUTH_USER_MODEL == "accounts.User"
