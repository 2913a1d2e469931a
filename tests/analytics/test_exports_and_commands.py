"""CSV exports, `analytics_report`, `prune_events`, `analytics_rollup` and the roll-up task."""

import csv
import io
import json
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.management import CommandError, call_command

from analytics.models import DailyMetric, Event, RolledUpDay
from analytics.models import EventName as E
from analytics.tasks import rollup_recent
from tests.analytics.conftest import NOW, at

pytestmark = pytest.mark.django_db


def rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


@time_machine.travel(NOW, tick=False)
def test_raw_events_csv(client, staff, known_events):
    p1, _ = known_events
    response = client.get("/staff/analytics/events.csv?from=2026-03-14&to=2026-03-15")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="analytics-events-2026-03-14-2026-03-15.csv"'
    assert rows(response) == [
        ["occurred_at", "name", "user_id", "visitor", "object_id", "query", "count", "amount"],
        ["2026-03-14T23:30:00+00:00", "product_viewed", "", "c" * 32, str(p1.pk), "", "", ""],
        ["2026-03-15T00:10:00+00:00", "product_viewed", "", "c" * 32, str(p1.pk), "", "", ""],
    ]


@time_machine.travel(NOW, tick=False)
def test_raw_events_csv_defuses_spreadsheet_formulas(client, staff):
    Event.objects.create(name=E.SEARCH, occurred_at=at(15, 1), visitor="e" * 32, query="=HYPERLINK(1)", count=0)

    assert rows(client.get("/staff/analytics/events.csv?days=7"))[1][5] == "'=HYPERLINK(1)"


@time_machine.travel(NOW, tick=False)
def test_daily_csv(client, staff, known_events):
    response = client.get("/staff/analytics/daily.csv?from=2026-03-10&to=2026-03-12")

    assert response["Content-Disposition"] == 'attachment; filename="analytics-daily-2026-03-10-2026-03-12.csv"'
    table = rows(response)
    assert table[0][:8] == ["day", "visits", "views", "searches", "cart_adds", "cart_removes", "checkouts", "orders"]
    assert [dict(zip(table[0], r, strict=True)) for r in table[1:]] == [
        {
            "day": "2026-03-10",
            **{"visits": "2", "views": "4", "searches": "1", "cart_adds": "1", "cart_removes": "0"},
            **{"checkouts": "1", "orders": "1", "order_value": "30.00", "payments": "1", "payment_failures": "0"},
            **{"revenue": "30.00", "registrations": "0", "logins": "0"},
        },
        {
            "day": "2026-03-11",
            **{"visits": "0", "views": "0", "searches": "0", "cart_adds": "0", "cart_removes": "0"},
            **{"checkouts": "0", "orders": "0", "order_value": "0.00", "payments": "0", "payment_failures": "0"},
            **{"revenue": "0.00", "registrations": "0", "logins": "0"},
        },
        {
            "day": "2026-03-12",
            **{"visits": "2", "views": "1", "searches": "2", "cart_adds": "1", "cart_removes": "0"},
            **{"checkouts": "0", "orders": "0", "order_value": "0.00", "payments": "0", "payment_failures": "1"},
            **{"revenue": "0.00", "registrations": "0", "logins": "1"},
        },
    ]


@time_machine.travel(NOW, tick=False)
def test_analytics_report_command_csv(known_events, capsys):
    call_command("analytics_report", "--from", "2026-03-10", "--to", "2026-03-12")

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("day,visits,views,searches,cart_adds")
    assert lines[1].startswith("2026-03-10,2,4,1,1,0,1,1,30.00,1,0,30.00,")
    assert len(lines) == 4


@time_machine.travel(NOW, tick=False)
def test_analytics_report_command_json(known_events, capsys):
    call_command("analytics_report", "--from", "2026-03-08", "--to", "2026-03-14", "--format", "json")

    data = json.loads(capsys.readouterr().out)
    assert (data["from"], data["to"], data["previous"]) == (
        "2026-03-08",
        "2026-03-14",
        {"from": "2026-03-01", "to": "2026-03-07"},
    )
    assert data["totals"]["revenue"] == {"value": "30.00", "previous": "20.00", "change_percent": 50.0}
    assert data["totals"]["visits"]["value"] == 5
    assert [s["visitors"] for s in data["funnel"]] == [4, 2, 1, 1]
    assert data["top_products"][0]["name"] == "Desk Lamp"
    assert data["zero_result_searches"] == [{"query": "teapot", "zero_results": 2}]
    assert len(data["daily"]) == 7


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-03-10", "--to", "2026-03-01"], "The start date is after the end date."),
        (["--from", "10/03/2026", "--to", "2026-03-01"], "'10/03/2026' is not a date (YYYY-MM-DD)."),
        (["--from", "2020-01-01", "--to", "2026-03-01"], "at most 731 days"),
    ],
)
def test_analytics_report_command_refuses_bad_periods(args, message):
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call_command("analytics_report", *args)


def test_prune_events_deletes_old_raw_events_after_rolling_their_days_up(known_events, capsys):
    with time_machine.travel(datetime(2026, 9, 5, 12, tzinfo=UTC), tick=False):  # 180 days after 9 March, noon
        Event.objects.create(name=E.LOGGED_IN, occurred_at=datetime(2026, 9, 1, tzinfo=UTC), user_id=1)
        call_command("prune_events", "--older-than", "180d")

    assert capsys.readouterr().out == "Deleted 5 events; rolled up 10 days first.\n"  # 28 Feb – 9 March
    assert Event.objects.filter(occurred_at__lt=at(9, 12)).count() == 0
    assert Event.objects.count() == 18
    # The pruned days keep their figures.
    assert DailyMetric.objects.get(day="2026-03-05", metric="payment_succeeded").amount == 20
    assert RolledUpDay.objects.filter(day="2026-02-28").exists()


@pytest.mark.parametrize("age", ["180", "0d", "-5d", "six months"])
def test_prune_events_needs_an_age_in_days(age):
    with pytest.raises(CommandError, match="give a number of days such as 180d"):
        call_command("prune_events", f"--older-than={age}")


@time_machine.travel(NOW, tick=False)
def test_the_rollup_task_and_command_finalise_the_last_days(known_events, capsys):
    rollup_recent.call()

    assert set(RolledUpDay.objects.values_list("day", flat=True)) == {
        datetime(2026, 3, d).date() for d in (12, 13, 14, 15)
    }
    assert DailyMetric.objects.get(day="2026-03-14", metric="visits").actors == 1
    call_command("analytics_rollup", "--days", "5")
    # The 10th and 11th are new, today is never final: the span from the 10th to today is rolled up again.
    assert capsys.readouterr().out == "Rolled up 6 days.\n"
