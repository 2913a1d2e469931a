"""Ask the gateway about every payment still in flight and record the answers (run it from cron)."""

from datetime import timedelta

from django.core.management.base import BaseCommand

from orders.payments import payments_reconcile_pending


class Command(BaseCommand):
    help = "Ask the payment gateway about pending payments; settles or fails them (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--min-age", type=int, default=60, help="Seconds an attempt must be in flight first (default 60)."
        )

    def handle(self, *args, min_age: int, **options):
        outcomes = payments_reconcile_pending(min_age=timedelta(seconds=min_age))
        summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(outcomes.items())) or "nothing in flight"
        self.stdout.write(f"reconcile_payments: {summary}")
        if outcomes.get("unreachable"):
            raise SystemExit(1)
