from django.core.management.base import BaseCommand
from django.utils import timezone
from django.utils.timesince import timesince

from notifications.selectors import outbox_counts, outbox_oldest_waiting


class Command(BaseCommand):
    help = "Show how many outbox messages are in each status and how long the oldest has waited."

    def handle(self, *args, **options):
        for status, count in outbox_counts().items():
            self.stdout.write(f"{status:<8} {count}")
        oldest = outbox_oldest_waiting()
        if oldest is None:
            self.stdout.write("oldest waiting: none")
        else:
            seconds = int((timezone.now() - oldest).total_seconds())
            self.stdout.write(f"oldest waiting: {seconds}s ({timesince(oldest)}) since {oldest.isoformat()}")
