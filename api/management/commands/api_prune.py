from django.core.management.base import BaseCommand

from api.services import api_prune


class Command(BaseCommand):
    help = "Deletes stale API rows: old Idempotency-Key records, long-ended tokens, old webhook deliveries."

    def handle(self, *args, **options) -> None:
        counts = api_prune()
        self.stdout.write(", ".join(f"{n} {what}" for what, n in counts.items()) + " deleted.")
