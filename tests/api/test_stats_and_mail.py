from datetime import timedelta

from django.utils import timezone

from analytics.models import Event
from analytics.services import events_flush
from notifications.models import Message
from tests.api.conftest import problem


def test_log_an_action_for_oneself(shopper_api, shopper, product):
    response = shopper_api.post("/log", {"action": "product_viewed", "object_id": product.pk})
    assert response.status_code == 202
    events_flush()
    event = Event.objects.get()
    assert (event.name, event.user_id, event.object_id) == ("product_viewed", shopper.pk, product.pk)


def test_staff_log_for_any_user_with_typed_properties(staff_api, shopper):
    staff_api.post("/log", {"action": "search", "user_id": shopper.pk, "props": {"query": "lamp", "results": 3}})
    events_flush()
    event = Event.objects.get()
    assert (event.user_id, event.query, event.count) == (shopper.pk, "lamp", 3)


def test_an_unknown_action_or_property_is_a_422(shopper_api):
    problem(shopper_api.post("/log", {"action": "hacked"}), 422)
    problem(shopper_api.post("/log", {"action": "product_viewed", "props": {"amount": 3}}), 422)


def test_staff_read_daily_figures_for_a_period(staff_api, shopper_api, product):
    shopper_api.post("/log", {"action": "product_viewed", "object_id": product.pk})
    events_flush()
    today = timezone.localdate()
    response = staff_api.get(f"/log?from={today - timedelta(days=1)}&to={today}")
    assert response.status_code == 200, response.content
    days = response.json()["days"]
    assert [d["day"] for d in days] == [str(today - timedelta(days=1)), str(today)]
    assert days[-1]["views"] == 1


def test_a_bad_period_is_a_422(staff_api):
    today = timezone.localdate()
    problem(staff_api.get(f"/log?from={today}&to={today - timedelta(days=3)}"), 422)
    problem(staff_api.get("/log?from=yesterday"), 422)


def test_staff_send_email_through_the_outbox(staff_api, shopper):
    response = staff_api.post("/send_email/", {"to": shopper.email, "kind": "test"})
    assert response.status_code == 202
    message = Message.objects.get(pk=response.json()["id"])
    assert (message.to, message.kind, message.status) == (shopper.email, "test", "queued")


def test_email_only_to_known_addresses_and_kinds(staff_api, shopper):
    problem(staff_api.post("/send_email/", {"to": "stranger@example.net"}), 422)
    problem(staff_api.post("/send_email/", {"to": shopper.email, "kind": "password_reset"}), 422)


def test_send_email_counts_against_the_rate_limit(staff_api, shopper, settings):
    settings.API_RATE_PER_TOKEN = 2
    for _ in range(2):
        staff_api.post("/send_email/", {"to": shopper.email})
    problem(staff_api.post("/send_email/", {"to": shopper.email}), 429)
    assert Message.objects.count() == 2
