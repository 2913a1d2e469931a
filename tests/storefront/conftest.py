import pytest


@pytest.fixture
def staff_client(client, django_user_model):
    admin = django_user_model.objects.create_superuser("boss@example.com", "a-long-and-unusual-passphrase-42")
    client.force_login(admin)
    return client
