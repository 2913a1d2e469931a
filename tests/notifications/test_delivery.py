"""Delivery through a real SMTP server on loopback, by the real database worker."""

import socket
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult

from accounts.models import User
from notifications import tasks
from notifications.models import Message
from notifications.services import mail_enqueue, outbox_sweep
from tests.factories import make_product
from tests.orders.conftest import fill_cart, make_shopper, place

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def user():
    return User.objects.create_user("ada@example.com", "pw", name="Ada")


def test_message_reaches_the_smtp_server_with_both_parts_and_the_right_headers(smtp_server, worker, user):
    message = mail_enqueue(to="ada@example.com", kind="welcome", context={"name": "Ada"})

    worker()

    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert message.attempts == 1
    assert message.sent_at is not None
    [envelope] = smtp_server.inbox.envelopes
    assert envelope.mail_from == "shop@localhost"
    assert envelope.rcpt_tos == ["ada@example.com"]
    [mail] = smtp_server.inbox.messages
    assert mail["From"] == "shop@localhost"
    assert mail["To"] == "ada@example.com"
    assert mail["Subject"] == "Welcome to Shop"
    assert mail["Message-ID"] == message.message_id
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail.get_content_type() == "multipart/alternative"
    text = mail.get_body(preferencelist=("plain",))
    html = mail.get_body(preferencelist=("html",))
    assert "Hello Ada," in text.get_content()
    assert '<a href="http://127.0.0.1:8000/">' in html.get_content()


def test_with_the_server_down_mail_backs_off_and_is_delivered_exactly_once_when_it_returns(
    smtp_server, worker, user, settings
):
    settings.NOTIFY_BACKOFF_SECONDS = 60
    smtp_server.stop()
    with time_machine.travel(timezone.now(), tick=True) as clock:
        message = mail_enqueue(to="ada@example.com", kind="welcome", context={})
        worker()
        message.refresh_from_db()
        assert message.status == Message.Status.FAILED
        assert message.attempts == 1
        assert "ConnectionRefusedError" in message.last_error
        first_retry = message.next_attempt_at
        assert timedelta(seconds=59) < first_retry - timezone.now() <= timedelta(seconds=60)

        worker()  # not due yet: nothing happens
        message.refresh_from_db()
        assert message.attempts == 1

        clock.shift(61)
        worker()
        message.refresh_from_db()
        assert (message.status, message.attempts) == (Message.Status.FAILED, 2)
        assert timedelta(seconds=119) < message.next_attempt_at - timezone.now() <= timedelta(seconds=120)

        smtp_server.start()
        clock.shift(121)
        worker()
        message.refresh_from_db()
        assert (message.status, message.attempts) == (Message.Status.SENT, 3)

        clock.shift(3600)
        outbox_sweep()
        worker()

    assert len(smtp_server.inbox.envelopes) == 1
    message.refresh_from_db()
    assert message.attempts == 3


def test_message_dies_after_max_attempts_and_retry_dead_sends_it(smtp_server, worker, user, settings, capsys):
    settings.NOTIFY_MAX_ATTEMPTS = 2
    smtp_server.stop()
    with time_machine.travel(timezone.now(), tick=True) as clock:
        message = mail_enqueue(to="ada@example.com", kind="welcome", context={})
        worker()
        clock.shift(settings.NOTIFY_BACKOFF_SECONDS + 1)
        worker()
        message.refresh_from_db()
        assert (message.status, message.attempts) == (Message.Status.DEAD, 2)

        clock.shift(86400)
        worker()  # dead rows are never retried on their own
        message.refresh_from_db()
        assert message.attempts == 2

        smtp_server.start()
        call_command("retry_dead", "--kind", "password_reset")
        call_command("retry_dead")
        worker()

    assert capsys.readouterr().out.splitlines() == [
        "0 dead message(s) queued again.",
        "1 dead message(s) queued again.",
    ]
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Message.Status.SENT, 1)
    assert len(smtp_server.inbox.envelopes) == 1


def test_duplicate_tasks_for_one_message_send_it_once(smtp_server, worker, user):
    message = mail_enqueue(to="ada@example.com", kind="welcome", context={})
    tasks.deliver_message.enqueue(message.pk)
    tasks.deliver_message.enqueue(message.pk)

    worker()

    assert len(smtp_server.inbox.envelopes) == 1
    outcomes = sorted(DBTaskResult.objects.values_list("return_value", flat=True))
    assert outcomes == ["sent", "skipped", "skipped"]


def test_sweep_requeues_a_message_stuck_in_sending_after_the_timeout(smtp_server, worker, user, settings):
    message = mail_enqueue(to="ada@example.com", kind="welcome", context={})
    DBTaskResult.objects.all().delete()  # the worker died with it
    claimed = timezone.now() - timedelta(seconds=settings.NOTIFY_SENDING_TIMEOUT - 5)
    Message.objects.filter(pk=message.pk).update(status=Message.Status.SENDING, claimed_at=claimed, attempts=1)

    assert outbox_sweep().stuck == 0  # not past the timeout yet
    with time_machine.travel(timezone.now() + timedelta(seconds=10), tick=True):
        result = outbox_sweep()
        worker()

    assert (result.stuck, result.lost) == (1, 0)
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Message.Status.SENT, 2)
    assert "worker lost while sending" in message.last_error
    assert len(smtp_server.inbox.envelopes) == 1


def test_sweep_requeues_a_queued_message_whose_task_was_lost_once_per_timeout(smtp_server, worker, user, settings):
    message = mail_enqueue(to="ada@example.com", kind="welcome", context={})
    DBTaskResult.objects.all().delete()

    with time_machine.travel(timezone.now() + timedelta(seconds=settings.NOTIFY_SENDING_TIMEOUT + 1), tick=True):
        call_command("outbox_sweep")
        assert outbox_sweep().lost == 0  # just re-queued: left alone for another timeout
        assert DBTaskResult.objects.count() == 1
        worker()

    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert len(smtp_server.inbox.envelopes) == 1


def test_smtp_refusal_is_recorded_and_retried(smtp_server, worker, user):
    async def refuse(server, session, envelope, address, rcpt_options):
        return "550 No such user here"

    smtp_server.inbox.handle_RCPT = refuse
    smtp_server.stop()
    smtp_server.start()
    message = mail_enqueue(to="ada@example.com", kind="welcome", context={})

    worker()

    message.refresh_from_db()
    assert message.status == Message.Status.FAILED
    assert "SMTPRecipientsRefused" in message.last_error
    assert "550" in message.last_error


def test_a_server_that_never_answers_times_out_and_the_attempt_is_recorded(worker, user, settings):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(5)  # the kernel completes the handshake; nobody ever sends the SMTP greeting
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = silent.getsockname()
    settings.EMAIL_TIMEOUT = 0.5
    try:
        message = mail_enqueue(to="ada@example.com", kind="welcome", context={})
        worker()
    finally:
        silent.close()

    message.refresh_from_db()
    assert message.status == Message.Status.FAILED
    assert "timed out" in message.last_error


def test_a_failed_enqueue_after_commit_keeps_the_callers_work_and_the_sweep_sends_later(
    smtp_server, worker, user, settings
):
    # A task backend that refuses the task (its only queue is another one): enqueueing fails after commit.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["elsewhere"]}}
    with transaction.atomic():
        message = mail_enqueue(to="ada@example.com", kind="welcome", context={})

    assert Message.objects.filter(pk=message.pk, status=Message.Status.QUEUED).exists()
    assert DBTaskResult.objects.count() == 0
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.NOTIFY_SENDING_TIMEOUT + 1), tick=True):
        assert outbox_sweep().lost == 1
        worker()

    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert len(smtp_server.inbox.envelopes) == 1


@pytest.mark.parametrize(
    ("language", "line", "total"),
    [("en", "€1,620.44", "Total: €1,625.34"), ("de", "1.620,44\xa0€", "Gesamt: 1.625,34\xa0€")],
)
def test_the_order_confirmation_shows_money_formatted_in_the_shoppers_language(
    smtp_server, worker, language, line, total
):
    shopper = make_shopper()
    fill_cart(shopper, (make_product("Brass orrery", price=Decimal("1620.44")), 1))
    with translation.override(language):
        place(shopper)

    worker()

    [mail] = smtp_server.inbox.messages  # the confirmation, in the order's language
    text = mail.get_body(preferencelist=("plain",)).get_content()
    html = mail.get_body(preferencelist=("html",)).get_content()
    assert f"1 x Brass orrery  {line}" in text
    assert total in text
    assert f"<td>{line}</td>" in html
    assert f"<td>{total.split(': ')[1]}</td>" in html
    assert " EUR" not in text
