from django.core.management.base import BaseCommand

from notifications.services import outbox_sweep


class Command(BaseCommand):
    help = "Re-queue outbox messages stuck in `sending` and due messages whose task was lost."

    def handle(self, *args, **options):
        result = outbox_sweep()
        self.stdout.write(f"{result.stuck} stuck in sending re-queued, {result.lost} with a lost task re-queued.")
