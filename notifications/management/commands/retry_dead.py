from django.core.management.base import BaseCommand

from notifications.models import Message
from notifications.services import message_resend


class Command(BaseCommand):
    help = "Queue dead outbox messages again (all, or one kind), with a fresh attempt count."

    def add_arguments(self, parser):
        parser.add_argument("--kind", choices=Message.Kind.values, help="only messages of this kind")

    def handle(self, *args, kind=None, **options):
        dead = Message.objects.filter(status=Message.Status.DEAD)
        if kind:
            dead = dead.filter(kind=kind)
        count = message_resend(dead)
        self.stdout.write(f"{count} dead message(s) queued again.")
