"""Cancel unpaid orders whose reservation ran out (the fallback for lost expiry tasks; run from cron)."""

from django.core.management.base import BaseCommand

from orders.payments import orders_expire_due


class Command(BaseCommand):
    help = "Cancel unpaid orders past ORDER_RESERVATION_TTL and release their stock."

    def handle(self, *args, **options):
        outcomes = orders_expire_due()
        summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(outcomes.items())) or "nothing due"
        self.stdout.write(f"expire_reservations: {summary}")
