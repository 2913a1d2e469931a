#!/usr/bin/env python
"""`make bench-analytics`: time the staff report over 1,000,000 usage events on PostgreSQL.

Fills `analytics_event` with N events spread over the last D days (one INSERT … SELECT from
generate_series; 60% product views, searches, carts, checkouts, orders, payments, logins), then times
GET /staff/analytics/?days=90 through Django's test client (the whole view: roll-up check, the day
that is still open rolled up again, five report queries, charts, template):
- cold: the first report, which rolls up every day of the period and the previous one on demand;
- warm: the median of the next requests (what staff see once the worker's roll-up task has run).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

INSERT = """
INSERT INTO analytics_event (name, occurred_at, user_id, visitor, object_id, query, count, amount)
SELECT e.name,
       now() - random() * make_interval(days => %(days)s),
       CASE WHEN i %% 3 = 0 THEN i %% 20000 END,
       md5((i %% 60000)::text),
       CASE WHEN e.name IN ('product_viewed', 'cart_add', 'cart_remove')
            THEN p.ids[1 + (i * 7919) %% array_length(p.ids, 1)] END,
       CASE WHEN e.name = 'search' THEN 'query ' || (i %% 700) ELSE '' END,
       CASE WHEN e.name = 'search' THEN i %% 9 WHEN e.name IN ('cart_add', 'cart_remove') THEN 1 END,
       CASE WHEN e.name IN ('checkout_started', 'order_placed', 'payment_succeeded', 'payment_failed')
            THEN ((i %% 20000) / 100.0)::numeric(12, 2) END
FROM generate_series(1::bigint, %(events)s) AS i
CROSS JOIN LATERAL (SELECT CASE
    WHEN i %% 100 < 60 THEN 'product_viewed' WHEN i %% 100 < 72 THEN 'search'
    WHEN i %% 100 < 82 THEN 'cart_add' WHEN i %% 100 < 85 THEN 'cart_remove'
    WHEN i %% 100 < 90 THEN 'checkout_started' WHEN i %% 100 < 94 THEN 'order_placed'
    WHEN i %% 100 < 97 THEN 'payment_succeeded' WHEN i %% 100 < 98 THEN 'payment_failed'
    WHEN i %% 100 < 99 THEN 'registered' ELSE 'logged_in' END AS name) AS e
CROSS JOIN (SELECT array_agg(id) AS ids FROM catalog_product) AS p
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/shop_analytics_bench")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=90, help="the events are spread over the last DAYS days")
    parser.add_argument("--runs", type=int, default=7, help="warm requests timed")
    args = parser.parse_args()
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("this benchmark is about PostgreSQL: give a postgres:// URL")

    create_database(args.database_url)
    os.environ.update(DATABASE_URL=args.database_url, DJANGO_SETTINGS_MODULE="shop.settings_test", LOG_LEVEL="WARNING")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from accounts.models import User

    call_command("migrate", "--noinput", verbosity=0)
    call_command("seed_demo", "--products", "500", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE analytics_event, analytics_rolledupday, analytics_dailymetric, analytics_dailyproduct,"
            " analytics_dailysearch"
        )
        started = time.perf_counter()
        cursor.execute(INSERT, {"events": args.events, "days": args.days})
        cursor.execute("ANALYZE analytics_event")
    print(f"inserted {args.events:,} events over {args.days} days in {time.perf_counter() - started:.1f} s")

    staff, _ = User.objects.get_or_create(email="bench@example.org", defaults={"is_staff": True})
    client = Client()
    client.force_login(staff)

    def timed() -> float:
        started = time.perf_counter()
        response = client.get("/staff/analytics/?days=90")
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, response.status_code
        return elapsed

    cold = timed()
    warm = [timed() for _ in range(args.runs)]
    print(f"90-day report, cold (rolls up 180 days on demand): {cold * 1000:.0f} ms")
    print(
        f"90-day report, warm: median {statistics.median(warm) * 1000:.0f} ms, "
        f"best {min(warm) * 1000:.0f} ms, worst {max(warm) * 1000:.0f} ms ({args.runs} requests)"
    )
    return 0


def create_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


if __name__ == "__main__":
    sys.exit(main())
