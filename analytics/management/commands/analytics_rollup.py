"""Roll up usage events into daily figures now (what the worker's periodic task does), e.g. from cron."""

from django.core.management.base import BaseCommand

from analytics import services


class Command(BaseCommand):
    help = "Roll up the raw events of the last --days days (default 3) that are not rolled up for good yet."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=3)

    def handle(self, *args, days, **options):
        rolled = services.rollup_recent(days=max(days, 0))
        self.stdout.write(f"Rolled up {rolled} days.")
