#!/usr/bin/env python
"""`make bench-catalog`: the catalogue's pages at 1,000 and 100,000 products, fragment cache on and off.

A PostgreSQL database of its own (dropped and made again each run), filled by `seed_demo` (1,000, then
grown to 100,000, every product with its variants: lamps in three wattages, T-shirts in 20 sizes x colours)
plus three products with a rare word. For each size and cache setting, gunicorn serves the shop with
production settings as bench/run.py does, and wrk measures (one client by default, the case the targets
are stated for): the floor `db` view, the list, the list filtered by two facets (an option value and an
attribute choice: lamps of 60 W with warm white light), a common-word search (`range` is in every demo
description), a rare-word search, a typo search and the detail page of a product with 20 variants. SQL
per page is counted in-process with Django's test client: with the cache on, a warm page; with it off,
every request is a cold one. Facet ids differ between databases, so the URLs are filled in from the data.
After seeding, VACUUM ANALYZE; each server's pages are measured in `--rounds` interleaved rounds (the ratio
to `db` per round gives the spread), and each row shows the load average before and after.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench import run  # noqa: E402

# `{name}` in a URL is filled in by `_urls` from the seeded data.
PAGES = [
    ("db", "/bench/db"),
    ("list", "/products/"),
    ("list: two facets", "/products/?o={watt_60}&a={warm_white}"),
    ("search: common word", "/products/?q=range"),
    ("search: rare word", "/products/?q=zeppelin"),
    ("search: typo", "/products/?q=lmap"),
    ("detail: 3 variants", "/products/{lamp_3}/"),
    ("detail: 20 variants", "/products/{tee_20}/"),
]
CACHES = {"on": "locmemcache://", "off": "dummycache://"}
RARE_WORD = "Zeppelin"


def main() -> int:
    args = parse_args()
    wrk = shutil.which("wrk")
    if not wrk:
        print("wrk is not installed: install it with `sudo apt-get install -y wrk` (Debian/Ubuntu).", file=sys.stderr)
        return 2
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        print("this benchmark is about PostgreSQL: give a postgres:// URL", file=sys.stderr)
        return 2
    run.WORK.mkdir(parents=True, exist_ok=True)
    recreate_database(args.database_url)
    rows = []
    for size in args.sizes:
        env = run.server_env(args.database_url)
        prepare(env, size)
        urls, queries = count_queries(env)
        for cache, cache_url in CACHES.items():
            served = {**env, "CACHE_URL": cache_url, "GUNICORN_DRAIN_SECONDS": "0"}
            with run.serve(served, args.workers, "gunicorn-catalog-scale.log", port=args.port) as base:
                before = os.getloadavg()
                measured = run.measure_rounds(wrk, base, urls, {}, args)
                load = (before, os.getloadavg())
            for result in measured:
                sql = queries[result["path"]]["warm" if cache == "on" else "cold"]
                rows.append({**result, "size": size, "cache": cache, "queries": sql, "load": load})
                print(
                    f"bench: {size} products, cache {cache}: {result['name']} {result['rps']:.0f} req/s, "
                    f"p50 {result['p50']:.1f} ms",
                    flush=True,
                )
    print_table(rows, args)
    print_sql(rows)
    failed = [row for row in rows if row["errors"] or row["status"] != 200]
    return 1 if failed else 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=lambda v: [int(n) for n in v.split(",")], default=[1000, 100_000])
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("BENCH_SECONDS", "5")))
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds over all pages (spread: min–max)")
    parser.add_argument("--connections", type=int, default=1, help="wrk connections (1: a single client)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--port", type=int, default=None, help="gunicorn's port (default: a free one)")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/shop_bench_scale"),
        help="a PostgreSQL database for this benchmark alone: it is dropped and made again",
    )
    return parser.parse_args()


def recreate_database(database_url: str) -> None:
    import psycopg

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def prepare(env: dict, size: int) -> None:
    for command in (
        ["migrate", "--noinput"],
        ["collectstatic", "--noinput"],
        ["seed_demo", "--products", str(size)],
        ["shell", "-c", "from bench.catalog_scale import add_rare_products; add_rare_products()"],
        # Planner statistics and the visibility map for the whole fresh load (autovacuum may not have run yet):
        # without it the first plans are made on guesses and index-only scans read the heap.
        ["shell", "-c", "from bench.catalog_scale import vacuum_analyze; vacuum_analyze()"],
    ):
        print(f"bench: manage.py {' '.join(command)}", flush=True)
        subprocess.run([run.PYTHON, "manage.py", *command], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def vacuum_analyze() -> None:
    """VACUUM ANALYZE the database (outside a transaction, as VACUUM requires)."""
    from django.db import connection

    connection.ensure_connection()
    connection.connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def add_rare_products() -> None:
    """Three products with a word no demo product has, each with its default variant (idempotent)."""
    from catalog.models import Category, Product, ProductVariant

    category = Category.objects.get(slug="lamps")
    for n in range(1, 4):
        product, created = Product.objects.get_or_create(
            sku=f"BENCH-RARE-{n}",
            defaults={
                "name": f"{RARE_WORD} Lamp {n}",
                "slug": f"{RARE_WORD.lower()}-lamp-{n}",
                "description": "An airship-shaped lamp.",
                "price": 49,
                "category": category,
            },
        )
        if created:
            ProductVariant.objects.create(product=product, sku=product.sku, stock=5)


def count_queries(env: dict) -> tuple[list[tuple[str, str]], dict[str, dict[str, int]]]:
    """The pages with their URLs filled in, and {path: {"cold": n, "warm": n}} from Django's test client in
    a process of its own."""
    out = subprocess.run(
        [run.PYTHON, "manage.py", "shell", "-c", "from bench.catalog_scale import _count; _count()"],
        cwd=ROOT,
        env={**env, "ALLOWED_HOSTS": "testserver"},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    found = json.loads(out.strip().splitlines()[-1])
    return [tuple(page) for page in found["urls"]], found["counts"]


def _urls() -> list[tuple[str, str]]:
    """PAGES with the ids and slugs of the seeded data in place of their `{name}`s."""
    from django.db.models import Count

    from catalog.models import AttributeChoice, OptionValue, Product

    names = {
        "watt_60": OptionValue.objects.get(option__name="Wattage", value="60 W").pk,
        "warm_white": AttributeChoice.objects.get(attribute__name="Light", value="Warm white").pk,
        "lamp_3": Product.objects.annotate(n=Count("variants")).filter(n=3).order_by("pk").first().slug,
        "tee_20": Product.objects.annotate(n=Count("variants")).filter(n=20).order_by("pk").first().slug,
    }
    return [(name, path.format(**names)) for name, path in PAGES]


def _count() -> None:
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from shop import memo

    counts = {}
    urls = _urls()
    for _, path in urls:
        # A new visitor per page: an earlier page would fill the "recently viewed" list (two queries more).
        client = Client()
        cache.clear()
        memo.clear_all()  # cold: nothing kept in the process either (the tree, facet definitions, chrome)
        counts[path] = {}
        for state in ("cold", "warm"):
            with CaptureQueriesContext(connection) as queries:
                status = client.get(path).status_code
            if status != 200:
                raise SystemExit(f"bench: {path} answered {status}")
            counts[path][state] = len(queries)
    print(json.dumps({"urls": urls, "counts": counts}))


def print_sql(rows: list[dict]) -> None:
    """SQL per page and catalogue size, cold (cache off) and warm (on): the same in every column."""
    sizes = sorted({row["size"] for row in rows})
    sql = {(row["name"], row["size"], row["cache"]): row["queries"] for row in rows}
    print()
    print("| page | " + " | ".join(f"SQL cold / warm at {size:,}" for size in sizes) + " |")
    print("|---|" + "---:|" * len(sizes))
    for name in dict.fromkeys(row["name"] for row in rows):
        cells = " | ".join(f"{sql.get((name, size, 'off'))} / {sql.get((name, size, 'on'))}" for size in sizes)
        print(f"| {name} | {cells} |")


def print_table(rows: list[dict], args: argparse.Namespace) -> None:
    """One row per page, size and cache setting: means over the rounds, the ratio to floor `db` (req/s) of
    the same server and its min–max over the rounds, and the load average (1 min) before and after."""
    floor = {(row["size"], row["cache"]): row["rps"] for row in rows if row["name"] == "db"}
    print()
    print(
        f"PostgreSQL, gunicorn {args.workers} workers, wrk {args.threads} threads x {args.connections} connections, "
        f"{args.rounds} interleaved rounds of {args.seconds}s per URL, {os.cpu_count()} CPUs"
    )
    print()
    print(
        "| products | fragment cache | page | req/s | p50 ms | p99 ms | SQL | errors | vs db | vs db, min–max | load |"
    )  # noqa: E501
    print("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        ratios = row["ratios"]
        before, after = row["load"]
        print(
            f"| {row['size']:,} | {row['cache']} | {row['name']} | {row['rps']:.0f} | "
            f"{row['p50']:.2f} | {row['p99']:.2f} | {row['queries']} | {row['errors']} | "
            f"{row['rps'] / (floor[(row['size'], row['cache'])] or float('nan')):.0%} | "
            f"{min(ratios):.0%}–{max(ratios):.0%} | {before[0]:.1f}→{after[0]:.1f} |"
        )
    print()
    print("URLs: " + "; ".join(dict.fromkeys(f"{row['name']} {row['path']}" for row in rows)))


if __name__ == "__main__":
    sys.exit(main())
