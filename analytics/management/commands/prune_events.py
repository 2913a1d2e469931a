"""Delete raw usage events older than a given age (their days are rolled up first, so reports keep them)."""

import re
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from analytics import services

_AGE = re.compile(r"^(\d+)d$")


def _age(value: str) -> timedelta:
    match = _AGE.match(value.strip())
    if not match or int(match.group(1)) < 1:
        raise CommandError(f"--older-than {value!r}: give a number of days such as 180d.")
    return timedelta(days=int(match.group(1)))


class Command(BaseCommand):
    help = "Delete raw analytics events older than --older-than (e.g. 180d); the daily roll-ups stay."

    def add_arguments(self, parser):
        parser.add_argument("--older-than", required=True, help="age in days, e.g. 180d")

    def handle(self, *args, older_than, **options):
        result = services.events_prune(older_than=_age(older_than))
        self.stdout.write(f"Deleted {result.deleted} events; rolled up {result.rolled_up_days} days first.")
