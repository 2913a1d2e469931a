"""Generate N unique single-use voucher codes and write them as CSV (to a file or standard output)."""

import re

from django.core.management.base import BaseCommand, CommandError

from catalog.money import InvalidMoney, money
from discounts.admin import codes_csv
from discounts.models import Voucher
from discounts.services import CODE_ALPHABET, codes_generate

_PREFIX = re.compile(r"^[A-Za-z0-9-]{0,12}$")


class Command(BaseCommand):
    help = (
        "Create --count single-use voucher codes (random, without 0/O/1/I/L) of one kind and value, "
        "and write them as CSV."
    )

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, required=True)
        parser.add_argument("--prefix", default="", help="letters, digits or dashes before the random part")
        parser.add_argument("--length", type=int, default=8, help="random characters (6 to 20)")
        parser.add_argument("--kind", choices=[k.value for k in Voucher.Kind], default=Voucher.Kind.PERCENTAGE)
        parser.add_argument("--value", default="0", help="percent or amount")
        parser.add_argument("--minimum-order", default="0")
        parser.add_argument("--output", default="-", help="CSV file to write; - for standard output")

    def handle(self, *args, count, prefix, length, kind, value, minimum_order, output, **options):
        if not 1 <= count <= 100_000:
            raise CommandError("--count: give a number from 1 to 100000.")
        if not _PREFIX.match(prefix):
            raise CommandError("--prefix: at most 12 letters, digits or dashes.")
        if not 6 <= length <= 20 or len(prefix) + length > 32:
            raise CommandError("--length: 6 to 20, and the code (prefix included) at most 32 characters.")
        try:
            value, minimum = money(value), money(minimum_order)
        except (InvalidMoney, TypeError) as exc:
            raise CommandError(f"--value/--minimum-order: {exc}") from exc
        if kind == Voucher.Kind.PERCENTAGE and not 0 < value <= 100:
            raise CommandError("--value: a percentage is more than 0 and at most 100.")
        made = codes_generate(count, prefix=prefix, length=length, kind=kind, value=value, minimum_order=minimum)
        if output == "-":
            codes_csv(made, self.stdout)
        else:
            with open(output, "w", newline="", encoding="utf-8") as handle:
                codes_csv(made, handle)
        self.stderr.write(f"Created {len(made)} codes (batch {made[0].batch}) from the alphabet {CODE_ALPHABET}.")
