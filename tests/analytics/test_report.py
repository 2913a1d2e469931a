"""The report's numbers against a known set of events written straight to the database."""

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine

from analytics import selectors, services
from analytics.models import Event, RolledUpDay
from analytics.models import EventName as E
from tests.analytics.conftest import NOW, D, at, event

pytestmark = pytest.mark.django_db


def report(start: str, end: str) -> selectors.Report:
    period = selectors.period_make(datetime.fromisoformat(start).date(), datetime.fromisoformat(end).date())
    services.rollup_pending(start=period.previous_start, end=period.end)
    return selectors.report_get(period=period)


@time_machine.travel(NOW, tick=False)
def test_totals_and_the_previous_period(known_events):
    data = report("2026-03-08", "2026-03-14")

    totals = {t.key: (t.value, t.previous) for t in data.totals}
    assert totals == {
        "visits": (5, 1),
        "views": (6, 1),
        "searches": (3, 0),
        "cart_adds": (2, 0),
        "cart_removes": (0, 0),
        "checkouts": (1, 0),
        "orders": (1, 1),
        "order_value": (Decimal("30.00"), Decimal("20.00")),
        "payments": (1, 1),
        "payment_failures": (1, 0),
        "revenue": (Decimal("30.00"), Decimal("20.00")),
        "registrations": (0, 1),
        "logins": (1, 0),
        # from the orders themselves (none here: these events were recorded without orders)
        "discounts": (Decimal("0"), Decimal("0")),
        "tax": (Decimal("0"), Decimal("0")),
        "net_revenue": (Decimal("0"), Decimal("0")),
    }
    assert data.total("revenue").change == 50.0
    assert data.total("views").change == 500.0
    assert data.total("searches").change is None  # nothing to compare with


@time_machine.travel(NOW, tick=False)
def test_daily_series(known_events):
    data = report("2026-03-08", "2026-03-14")

    assert [d.day.day for d in data.days] == [8, 9, 10, 11, 12, 13, 14]
    by_day = {d.day.day: (d.visits, d.views, d.cart_adds, d.orders, d.revenue) for d in data.days}
    assert by_day[10] == (2, 4, 1, 1, Decimal("30.00"))
    assert by_day[12] == (2, 1, 1, 0, Decimal("0.00"))
    assert by_day[14] == (1, 1, 0, 0, Decimal("0.00"))
    assert by_day[9] == (0, 0, 0, 0, Decimal("0.00"))


@time_machine.travel(NOW, tick=False)
def test_funnel_counts_visitor_days_per_step(known_events):
    data = report("2026-03-08", "2026-03-14")

    assert [(s.label, s.actors, s.of_first, s.of_previous) for s in data.funnel] == [
        ("Viewed a product", 4, 100.0, None),
        ("Added to cart", 2, 50.0, 50.0),
        ("Started checkout", 1, 25.0, 50.0),
        ("Paid", 1, 25.0, 100.0),
    ]


@time_machine.travel(NOW, tick=False)
def test_top_products_and_searches(known_events):
    p1, p2 = known_events
    data = report("2026-03-08", "2026-03-14")

    assert data.top_products == [
        {"product_id": p1.pk, "name": "Desk Lamp", "views": 4, "cart_adds": 1},
        {"product_id": p2.pk, "name": "Teapot", "views": 2, "cart_adds": 1},
    ]
    assert data.top_searches == [
        {"query": "teapot", "searches": 2, "zero_results": 2},
        {"query": "lamp", "searches": 1, "zero_results": 0},
    ]
    assert data.zero_searches == [{"query": "teapot", "zero_results": 2}]


@time_machine.travel(NOW, tick=False)
def test_today_is_live_and_closed_days_are_final(known_events):
    p1, _ = known_events
    data = report("2026-03-09", "2026-03-15")
    assert data.days[-1].views == 1

    Event.objects.bulk_create(
        [
            event(E.PRODUCT_VIEWED, at(15, 11), visitor=D, object_id=p1.pk),
            event(E.PRODUCT_VIEWED, at(14, 11), visitor=D, object_id=p1.pk),  # arrived after its day was final
        ]
    )
    data = report("2026-03-09", "2026-03-15")

    assert data.days[-1].views == 2  # today: rolled up again on every report
    assert data.days[-2].views == 1  # the 14th was rolled up for good on the 15th
    assert RolledUpDay.objects.get(day="2026-03-14").rolled_at == NOW


@time_machine.travel(NOW, tick=False)
def test_a_day_rolled_up_before_its_grace_ended_is_rolled_up_again(known_events, settings):
    p1, _ = known_events
    with time_machine.travel(datetime(2026, 3, 15, 0, 1, tzinfo=UTC), tick=False):
        report("2026-03-14", "2026-03-14")
    Event.objects.bulk_create([event(E.PRODUCT_VIEWED, at(14, 23, 59), visitor=D, object_id=p1.pk)])

    assert report("2026-03-14", "2026-03-14").days[0].views == 2


@time_machine.travel(NOW, tick=False)
def test_days_follow_the_shops_time_zone(known_events, settings):
    settings.TIME_ZONE = "Europe/Berlin"  # 14 March 23:30 UTC is 15 March 00:30 in Berlin
    data = report("2026-03-08", "2026-03-14")

    assert data.days[-1].views == 0
    assert data.total("views").value == 5


@time_machine.travel(NOW, tick=False)
def test_the_report_page_shows_the_numbers_charts_and_tables(client, staff, known_events):
    response = client.get("/staff/analytics/?from=2026-03-08&to=2026-03-14")

    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(
        r'data-total="revenue">\s*<th scope="row">Revenue \(paid\)</th>\s*<td>€30.00</td>\s*'
        r"<td>€20.00</td>\s*<td>\+50.0%</td>",
        html,
    )
    for key in ["visits", "views", "cart_adds", "orders", "revenue"]:
        assert f'data-chart="{key}"' in html
    assert html.count('<svg viewBox="0 0 640 220" role="img"') == 5
    assert html.count("<rect x=") >= 5 * 7
    assert "Product views per day, 08 Mar 2026 to 14 Mar 2026: total 6, highest 4 on 10 Mar 2026." in html
    assert "Viewed a product: 4 (100.0% of the first step)" in html
    assert "Added to cart: 2 (50.0% of the first step, 50.0% of the previous)" in html
    assert '<th scope="row">Desk Lamp</th><td>4</td><td>1</td>' in html
    assert '<th scope="row">teapot</th><td>2</td>' in html
    assert response["Vary"].count("HX-Request") == 1


@time_machine.travel(NOW, tick=False)
def test_the_report_reads_closed_days_in_a_fixed_number_of_queries(
    client, staff, known_events, django_assert_num_queries
):
    url = "/staff/analytics/?from=2026-03-01&to=2026-03-14"
    client.get(url)  # rolls up every closed day once
    # session, user, the header cart badge, rolled-up days, metrics, products (+ names), searches (top, zero),
    # the orders' discounts and net revenue
    with django_assert_num_queries(10):
        assert client.get(url).status_code == 200


@time_machine.travel(NOW, tick=False)
def test_htmx_gets_the_report_fragment(client, staff, known_events):
    response = client.get("/staff/analytics/?days=7", HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="report"')
    assert "<html" not in html
    assert 'value="2026-03-09"' in html
    assert 'value="2026-03-15"' in html
    assert 'aria-current="page">Last 7 days' in html
