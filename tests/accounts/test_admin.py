import pytest
from django.test import Client

from accounts.models import Session
from tests.accounts.conftest import login


@pytest.fixture
def staff(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("boss@example.org", "pw-pw-pw-pw-pw"))
    return client


@pytest.mark.django_db
def test_users_are_searchable_by_email_and_filterable(staff, user):
    found = staff.get("/admin/accounts/user/", {"q": "SHOPPER@"})
    assert "shopper@example.org" in found.text
    assert "shopper@example.org" not in staff.get("/admin/accounts/user/", {"is_staff__exact": "1"}).text


@pytest.mark.django_db
def test_a_users_sessions_show_on_their_admin_page(staff, user):
    login(Client(HTTP_USER_AGENT="Mozilla/5.0 (Windows NT 10.0) Chrome/140.0 Safari/537.36"))
    page = staff.get(f"/admin/accounts/user/{user.pk}/change/")
    assert "Chrome on Windows" in page.text


@pytest.mark.django_db
def test_staff_revoke_a_session_from_the_admin(staff, user):
    shopper = Client()
    login(shopper)
    row = Session.objects.get(user=user)
    response = staff.post(
        "/admin/accounts/session/", {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"}
    )
    assert response.status_code == 302
    assert not Session.objects.filter(pk=row.pk).exists()
    assert shopper.get("/accounts/profile/").status_code == 302


@pytest.mark.django_db
def test_staff_log_out_all_sessions_of_a_user(staff, user):
    shopper = Client()
    login(shopper)
    staff.post("/admin/accounts/user/", {"action": "revoke_sessions", "_selected_action": [user.pk]})
    assert not Session.objects.filter(user=user).exists()
    assert shopper.get("/accounts/profile/").status_code == 302
