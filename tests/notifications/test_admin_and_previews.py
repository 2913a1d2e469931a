import pytest
from django.urls import reverse

from accounts.models import User
from notifications.models import Message
from tests.budgets import CHROME

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = User.objects.create_superuser("boss@example.com", "pw")
    client.force_login(user)
    return user


def make_message(status, to="ada@example.com", kind="welcome", **fields):
    return Message.objects.create(
        to=to,
        kind=kind,
        subject="Welcome",
        body_text="Hello",
        message_id=f"<{to}.{status}.{kind}@example.com>",
        vouched_by="operator",
        status=status,
        **fields,
    )


def test_outbox_admin_filters_by_status_and_kind_and_searches_by_recipient(client, staff):
    make_message(Message.Status.DEAD, to="ada@example.com", attempts=6)
    make_message(Message.Status.SENT, to="bob@example.com", sent_at="2026-11-23T09:00:00Z")
    make_message(Message.Status.DEAD, to="cyd@example.com", kind="order_shipped")
    url = reverse("admin:notifications_message_changelist")

    by_status = client.get(url, {"status__exact": "dead"})
    by_kind = client.get(url, {"kind__exact": "order_shipped"})
    by_recipient = client.get(url, {"q": "bob@"})

    assert by_status.status_code == 200
    assert [m.to for m in by_status.context["cl"].result_list] == ["cyd@example.com", "ada@example.com"]
    assert [m.to for m in by_kind.context["cl"].result_list] == ["cyd@example.com"]
    assert [m.to for m in by_recipient.context["cl"].result_list] == ["bob@example.com"]


def test_resend_action_queues_dead_and_failed_rows_and_skips_the_rest(
    client, staff, django_capture_on_commit_callbacks
):
    dead = make_message(Message.Status.DEAD, attempts=6, last_error="attempt 6: refused")
    failed = make_message(Message.Status.FAILED, to="bob@example.com", attempts=2)
    sent = make_message(Message.Status.SENT, to="cyd@example.com", sent_at="2026-11-23T09:00:00Z", attempts=1)

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            reverse("admin:notifications_message_changelist"),
            {"action": "resend", "_selected_action": [dead.pk, failed.pk, sent.pk]},
            follow=True,
        )

    assert response.status_code == 200
    texts = [str(m) for m in response.context["messages"]]
    assert "2 message(s) queued again." in texts
    assert "1 message(s) skipped: only dead or failed mail is resent." in texts
    assert len(callbacks) == 2
    dead.refresh_from_db()
    sent.refresh_from_db()
    assert (dead.status, dead.attempts) == (Message.Status.QUEUED, 0)
    assert sent.status == Message.Status.SENT


def test_outbox_rows_cannot_be_added_or_edited_in_the_admin(client, staff):
    message = make_message(Message.Status.SENT, sent_at="2026-11-23T09:00:00Z")

    assert client.get(reverse("admin:notifications_message_add")).status_code == 403
    response = client.post(reverse("admin:notifications_message_change", args=[message.pk]), {"to": "x@example.com"})
    assert response.status_code == 403


def test_preview_list_links_every_kind(client, staff, django_assert_num_queries):
    with django_assert_num_queries(3 + CHROME):  # session, user, the header's cart badge (cart issue 6)
        response = client.get(reverse("notifications:preview-list"))

    assert response.status_code == 200
    for kind in Message.Kind.values:
        assert reverse("notifications:preview", args=[kind]) in response.content.decode()


@pytest.mark.parametrize("kind", Message.Kind.values)
def test_preview_renders_each_kind_with_sample_data(client, staff, kind, django_assert_num_queries):
    with django_assert_num_queries(3 + CHROME):  # session, user, the header's cart badge
        page = client.get(reverse("notifications:preview", args=[kind]))
    html = client.get(reverse("notifications:preview-html", args=[kind]))

    assert page.status_code == 200
    assert page.context["mail"].subject in page.content.decode()
    assert html.status_code == 200
    assert html.content.startswith(b"<!doctype html>")


def test_preview_of_an_order_mail_shows_the_sample_order(client, staff):
    response = client.get(reverse("notifications:preview", args=["order_confirmation"]))

    body = response.content.decode()
    assert "Shop: order A-10042 confirmed" in body
    assert "http://127.0.0.1:8000/orders/A-10042/" in body
    assert "Brass gear set" in body
    # The HTML part is shown as source, not inlined into the page (it is a whole document).
    assert "&lt;h1&gt;Order A-10042 confirmed&lt;/h1&gt;" in body
    assert body.count("<h1>") == 1


def test_preview_of_an_unknown_kind_is_404(client, staff):
    assert client.get("/staff/emails/newsletter/").status_code == 404
    assert client.get("/staff/emails/newsletter/html/").status_code == 404


@pytest.mark.parametrize("path", ["/staff/emails/", "/staff/emails/welcome/", "/staff/emails/welcome/html/"])
def test_previews_are_for_staff_only(client, path):
    anonymous = client.get(path)
    client.force_login(User.objects.create_user("shopper@example.com", "pw"))
    shopper = client.get(path)

    for response in (anonymous, shopper):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
