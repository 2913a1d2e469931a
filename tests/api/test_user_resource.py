from accounts.models import User
from notifications.models import Message
from tests.api.conftest import PASSWORD, problem


def test_register_a_user_returns_its_id_and_queues_the_welcome_mail(anon):
    response = anon.post("/user/", {"email": "new@example.org", "password": PASSWORD, "name": "New"})
    assert response.status_code == 201, response.content
    user = User.objects.get(pk=response.json()["id"])
    assert user.check_password(PASSWORD)
    assert Message.objects.filter(to="new@example.org", kind="welcome").exists()


def test_registering_a_taken_address_in_any_case_is_a_409(anon, shopper):
    problem(anon.post("/user/", {"email": shopper.email.upper(), "password": PASSWORD}), 409)


def test_a_bad_address_is_a_422(anon):
    problem(anon.post("/user/", {"email": "not-an-address", "password": PASSWORD}), 422)


def test_change_ones_name(shopper_api, shopper):
    assert shopper_api.put(f"/user/{shopper.pk}", {"name": "Ada King"}).json()["name"] == "Ada King"


def test_changing_the_email_needs_the_password(shopper_api, shopper):
    problem(shopper_api.put(f"/user/{shopper.pk}", {"email": "ada@new.example"}), 403)
    ok = shopper_api.put(f"/user/{shopper.pk}", {"email": "ada@new.example", "password": PASSWORD})
    assert ok.status_code == 200
    # As on the site: the account keeps its address until the new one is confirmed by its link.
    assert ok.json()["email"] == shopper.email
    assert ok.json()["email_pending"] == "ada@new.example"
    assert Message.objects.filter(to="ada@new.example").exists()


def test_deleting_the_account_needs_the_password(shopper_api, shopper):
    problem(shopper_api.delete(f"/user/{shopper.pk}", {"password": "wrong"}), 403)
    assert shopper_api.delete(f"/user/{shopper.pk}", {"password": PASSWORD}).status_code == 204
    assert not User.objects.filter(pk=shopper.pk).exists()
