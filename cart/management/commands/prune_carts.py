"""Delete anonymous carts nobody has changed for a while (run it daily, e.g. from cron)."""

import re
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cart.services import carts_prune

AGE = re.compile(r"^(\d+)([dh])$")


def parse_age(value: str) -> timedelta:
    """ "30d" or "12h": a positive number of days or hours."""
    match = AGE.match(value.strip().lower())
    if not match or int(match[1]) < 1:
        raise CommandError(f"--older-than {value!r}: use a positive number of days or hours, such as 30d or 12h.")
    amount = int(match[1])
    return timedelta(days=amount) if match[2] == "d" else timedelta(hours=amount)


class Command(BaseCommand):
    help = "Delete anonymous carts not changed for --older-than (default 30d). Users' carts are kept."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--older-than", default="30d", help="age such as 30d (days) or 12h (hours); default 30d")

    def handle(self, *args, older_than: str, **options) -> None:
        age = parse_age(older_than)
        count = carts_prune(older_than=age)
        self.stdout.write(f"Deleted {count} anonymous cart{'s' if count != 1 else ''} not changed for {older_than}.")
