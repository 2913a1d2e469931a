import pytest
from django.contrib.auth.models import Group
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from accounts.models import User
from notifications.models import Message
from notifications.services import OPERATOR, UnknownRecipient, mail_enqueue

pytestmark = pytest.mark.django_db


@pytest.fixture
def user():
    return User.objects.create_user("ada@example.com", "pw", name="Ada")


def test_mail_enqueue_writes_a_rendered_row_and_enqueues_its_task_on_commit(user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        message = mail_enqueue(to="ada@example.com", kind="welcome", context={"name": "Ada"})
        assert DBTaskResult.objects.count() == 0  # not before the commit

    assert len(callbacks) == 1
    message.refresh_from_db()
    assert message.status == Message.Status.QUEUED
    assert message.attempts == 0
    assert message.subject == "Welcome to Shop"
    assert "Hello Ada," in message.body_text
    assert "http://127.0.0.1:8000/" in message.body_text
    assert '<a href="http://127.0.0.1:8000/">' in message.body_html
    assert message.vouched_by == "accounts.user ada@example.com"
    task = DBTaskResult.objects.get()
    assert task.task_path == "notifications.tasks.deliver_message"
    assert task.args_kwargs == {"args": [message.pk], "kwargs": {}}


@pytest.mark.django_db(transaction=True)
def test_rolled_back_transaction_queues_nothing(user):
    def place_order_that_fails():
        with transaction.atomic():
            mail_enqueue(to="ada@example.com", kind="welcome", context={})
            raise RuntimeError("the order failed")

    with pytest.raises(RuntimeError):
        place_order_that_fails()

    assert Message.objects.count() == 0
    assert DBTaskResult.objects.count() == 0


def test_unknown_address_is_refused_and_nothing_is_written():
    with pytest.raises(UnknownRecipient, match="stranger@example.com is not the address of a registered user"):
        mail_enqueue(to="stranger@example.com", kind="welcome", context={})

    assert Message.objects.count() == 0


def test_registered_address_is_known_whatever_its_case(user):
    message = mail_enqueue(to="ADA@Example.com", kind="welcome", context={})

    assert message.to == "ADA@Example.com"


def test_a_vouching_record_must_hold_the_address_in_the_database(user):
    User.objects.create_user("bob@example.com", "pw")

    with pytest.raises(UnknownRecipient, match=f"is not the address of accounts.user {user.pk}"):
        mail_enqueue(to="bob@example.com", kind="welcome", context={}, vouched_by=user)
    user.email = "bob@example.com"  # an unsaved edit vouches for nothing
    with pytest.raises(UnknownRecipient):
        mail_enqueue(to="eve@example.com", kind="welcome", context={}, vouched_by=user)

    message = mail_enqueue(to="ada@example.com", kind="welcome", context={}, vouched_by=User.objects.get(pk=user.pk))
    assert message.vouched_by == f"accounts.user {user.pk}"


def test_a_model_that_is_not_a_voucher_cannot_vouch():
    group = Group.objects.create(name="newsletter")

    with pytest.raises(UnknownRecipient, match="A auth.Group cannot vouch"):
        mail_enqueue(to="someone@example.com", kind="welcome", context={}, vouched_by=group)


def test_operator_vouches_for_any_address():
    message = mail_enqueue(to="ops@example.com", kind="test", context={}, vouched_by=OPERATOR)

    assert message.vouched_by == "operator"


def test_unknown_kind_is_refused(user):
    with pytest.raises(ValueError, match="Unknown mail kind 'newsletter'"):
        mail_enqueue(to="ada@example.com", kind="newsletter", context={})


def test_text_part_is_plain_and_html_part_is_escaped(user):
    message = mail_enqueue(to="ada@example.com", kind="welcome", context={"name": "O'Brien <b>"})

    assert "Hello O'Brien <b>," in message.body_text
    assert "Hello O&#x27;Brien &lt;b&gt;," in message.body_html


def test_links_are_absolute_from_shop_base_url(user, settings):
    settings.SHOP_BASE_URL = "https://shop.example.com"
    settings.SHOP_NAME = "Corner Store"

    message = mail_enqueue(
        to="ada@example.com", kind="password_reset", context={"reset_path": "/accounts/reset/MQ/tok-en/"}
    )

    assert message.subject == "Reset your Corner Store password"
    assert "https://shop.example.com/accounts/reset/MQ/tok-en/" in message.body_text
    assert 'href="https://shop.example.com/accounts/reset/MQ/tok-en/"' in message.body_html
    assert message.message_id.endswith("@shop.example.com>")


@pytest.mark.parametrize("kind", Message.Kind.values)
def test_every_kind_renders_both_parts_from_its_sample(kind, user):
    from notifications.samples import SAMPLES

    message = mail_enqueue(to="ada@example.com", kind=kind, context=SAMPLES[kind])

    assert message.subject
    assert "\n" not in message.subject
    assert "Shop" in message.body_text
    assert "Shop" in message.body_html
    assert message.body_html.startswith("<!doctype html>")
