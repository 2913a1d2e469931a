"""The usage report of a period on stdout: daily figures as CSV, or the whole report as JSON."""

import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder

from analytics import selectors, services


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date (YYYY-MM-DD).") from None


class Command(BaseCommand):
    help = "Print the usage report of a period: daily figures as CSV (default) or the full report as JSON."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", required=True, help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="end", required=True, help="last day, YYYY-MM-DD (inclusive)")
        parser.add_argument("--format", choices=["csv", "json"], default="csv")

    def handle(self, *args, start, end, format, **options):
        try:
            period = selectors.period_make(_date(start), _date(end))
        except selectors.InvalidPeriod as exc:
            raise CommandError(str(exc)) from None
        services.events_flush()
        services.rollup_pending(start=period.previous_start, end=period.end)
        if format == "csv":
            for line in selectors.daily_csv(period=period):
                self.stdout.write(line, ending="")
            return
        report = selectors.report_get(period=period)
        data = {
            "from": period.start,
            "to": period.end,
            "previous": {"from": period.previous_start, "to": period.previous_end},
            "totals": {
                t.key: {"value": t.value, "previous": t.previous, "change_percent": t.change} for t in report.totals
            },
            "daily": selectors.daily_rows(period=period),
            "funnel": [
                {"step": s.label, "visitors": s.actors, "of_first": s.of_first, "of_previous": s.of_previous}
                for s in report.funnel
            ],
            "top_products": report.top_products,
            "top_searches": report.top_searches,
            "zero_result_searches": report.zero_searches,
        }
        self.stdout.write(json.dumps(data, cls=DjangoJSONEncoder, indent=2))
