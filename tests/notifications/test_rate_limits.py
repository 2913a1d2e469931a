"""Anti-spam limits, counted from the outbox: transactional mail waits, bulk mail is dropped."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.models import User
from notifications.models import Message
from notifications.services import mail_enqueue

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def users():
    # Confirmed addresses: bulk mail goes to no other.
    return [User.objects.create_user(f"user{n}@example.com", "pw", email_verified_at=timezone.now()) for n in range(5)]


def test_per_recipient_limit_holds_and_transactional_mail_waits_for_the_window(smtp_server, worker, users, settings):
    settings.NOTIFY_RATE_PER_RECIPIENT_HOUR = 2
    with time_machine.travel(timezone.now(), tick=True) as clock:
        first, second, third = (mail_enqueue(to="user0@example.com", kind="welcome", context={}) for _ in range(3))
        other = mail_enqueue(to="user1@example.com", kind="welcome", context={})
        worker()

        for message in (first, second, third, other):
            message.refresh_from_db()
        assert [first.status, second.status, other.status] == [Message.Status.SENT] * 3
        assert third.status == Message.Status.QUEUED
        assert third.attempts == 0
        assert "rate limit: 2 messages per hour per recipient reached" in third.last_error
        assert third.next_attempt_at == first.sent_at + timedelta(hours=1)
        assert len(smtp_server.inbox.envelopes) == 3

        clock.shift(timedelta(minutes=59))
        worker()
        third.refresh_from_db()
        assert third.status == Message.Status.QUEUED

        clock.shift(timedelta(minutes=2))
        worker()

    third.refresh_from_db()
    assert third.status == Message.Status.SENT
    assert len(smtp_server.inbox.envelopes) == 4


def test_total_limit_holds_across_recipients(smtp_server, worker, users, settings):
    settings.NOTIFY_RATE_TOTAL_HOUR = 3
    for user in users:
        mail_enqueue(to=user.email, kind="welcome", context={})

    worker()

    assert len(smtp_server.inbox.envelopes) == 3
    waiting = Message.objects.filter(status=Message.Status.QUEUED)
    assert waiting.count() == 2
    assert all("3 messages per hour in total" in message.last_error for message in waiting)


def test_bulk_mail_over_the_limit_is_dropped_with_the_reason(smtp_server, worker, users, settings):
    settings.NOTIFY_RATE_PER_RECIPIENT_HOUR = 1
    mail_enqueue(to="user0@example.com", kind="order_shipped", context={})
    bulk = mail_enqueue(to="user0@example.com", kind="welcome", context={}, bulk=True)

    with time_machine.travel(timezone.now(), tick=True) as clock:
        worker()
        clock.shift(timedelta(hours=2))
        worker()

    bulk.refresh_from_db()
    assert bulk.status == Message.Status.DROPPED
    assert bulk.last_error == "rate limit: 1 messages per hour per recipient reached"
    assert len(smtp_server.inbox.envelopes) == 1


def test_bulk_mail_under_the_limit_is_marked_as_bulk(smtp_server, worker, users):
    mail_enqueue(to="user0@example.com", kind="welcome", context={}, bulk=True)

    worker()

    [mail] = smtp_server.inbox.messages
    assert mail["Precedence"] == "bulk"


def test_limits_of_zero_turn_the_limit_off(smtp_server, worker, users, settings):
    settings.NOTIFY_RATE_PER_RECIPIENT_HOUR = 0
    for _ in range(12):
        mail_enqueue(to="user0@example.com", kind="welcome", context={})

    worker()

    assert len(smtp_server.inbox.envelopes) == 12
