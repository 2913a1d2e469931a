import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

from notifications.models import Message
from notifications.services import OPERATOR, mail_enqueue

DONE = (Message.Status.SENT, Message.Status.FAILED, Message.Status.DEAD, Message.Status.DROPPED)


class Command(BaseCommand):
    help = "Send a test message through the outbox, wait for a worker to deliver it, and report."

    def add_arguments(self, parser):
        parser.add_argument("address")
        parser.add_argument("--wait", type=float, default=30.0, help="seconds to wait for delivery (default 30)")

    def handle(self, *args, address, wait, **options):
        try:
            validate_email(address)
        except ValidationError as exc:
            raise CommandError(f"{address!r} is not a valid e-mail address.") from exc
        message = mail_enqueue(to=address, kind=Message.Kind.TEST, context={}, vouched_by=OPERATOR)
        self.stdout.write(f"Queued message {message.pk} to {address}; waiting up to {wait:g}s for a worker…")
        deadline = time.monotonic() + wait
        while True:
            message.refresh_from_db()
            if message.status in DONE or time.monotonic() >= deadline:
                break
            time.sleep(0.2)
        if message.status == Message.Status.SENT:
            self.stdout.write(self.style.SUCCESS(f"Sent at {message.sent_at.isoformat()} to {address}."))
            return
        if message.status in (Message.Status.QUEUED, Message.Status.SENDING):
            raise CommandError(
                f"Message {message.pk} is still {message.status} after {wait:g}s: is a worker running "
                "(manage.py outbox_worker)? It stays in the outbox and goes out when one runs."
            )
        raise CommandError(f"Message {message.pk} is {message.status}: {message.last_error}")
