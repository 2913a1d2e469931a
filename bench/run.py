#!/usr/bin/env python
"""`make bench`: serve the shop with production settings under gunicorn and load it with wrk.

Every page is quoted against two floors served by the same process in the same run:
`hello` (no database) and `db` (a small template over one indexed query). Ratios are against `db`.
It prepares its own database, starts gunicorn on a free loopback port, and stops all it started.
"""

import argparse
import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work"
PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).with_name("gunicorn"))

# (name, path) for every page measured. Later features add their pages here.
PAGES = [
    ("hello", "/bench/hello"),
    ("db", "/bench/db"),
    ("home", "/"),
    # accounts (issue 5)
    ("login", "/accounts/login/"),
    ("register", "/accounts/register/"),
    # Catalog (issue 3), over a 10,000-product demo catalog.
    ("products", "/products/"),
    ("products-p50", "/products/?sort=price&page=50"),
    ("search", "/products/?q=lamp"),
    ("category", "/categories/home/"),
    ("detail", "/products/compact-lamp-1/"),
]

# Commands (manage.py arguments) that prepare the database before the server starts.
PREPARE = [
    ["migrate", "--noinput"],
    ["collectstatic", "--noinput"],
    # Catalog (issue 3): idempotent, adds only the demo products still missing.
    ["seed_demo", "--products", "10000"],
]

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}
# A browser's User-Agent: analytics records nothing for clients without one (scripts, bots).
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
# analytics (issue 8): this page is measured again on a second server with ANALYTICS_ENABLED=0.
ANALYTICS_PAGE = "detail"


def main() -> int:
    args = parse_args()
    wrk = shutil.which("wrk")
    if not wrk:
        print("wrk is not installed: install it with `sudo apt-get install -y wrk` (Debian/Ubuntu).", file=sys.stderr)
        return 2
    WORK.mkdir(parents=True, exist_ok=True)
    env = server_env(args.database_url)
    prepare_database(args.database_url, env)

    rows = []
    with serve(env, args.workers, "gunicorn.log") as base:
        for name, path in PAGES:
            rows.append(measure(wrk, base, name, path, args))
    # The product page again without analytics, and with it right after (same load, back to back).
    pages = dict(PAGES)
    with serve({**env, "ANALYTICS_ENABLED": "0"}, args.workers, "gunicorn-no-analytics.log") as base:
        off = measure(wrk, base, f"{ANALYTICS_PAGE} (analytics off)", pages[ANALYTICS_PAGE], args)
    with serve(env, args.workers, "gunicorn.log") as base:
        on = measure(wrk, base, f"{ANALYTICS_PAGE} (analytics on)", pages[ANALYTICS_PAGE], args)
    rows += [off, on]

    print_table(rows, args)
    print(
        f"\nanalytics on the product page: {on['rps']:.0f} req/s with, {off['rps']:.0f} without "
        f"({(off['rps'] - on['rps']) / off['rps']:+.1%} cost; the budget is 5%)"
    )
    failed = [row for row in rows if row["errors"] or row["status"] != 200]
    return 1 if failed else 0


@contextlib.contextmanager
def serve(env: dict, workers: int, log_name: str):
    """gunicorn on a free loopback port for the duration of the block; yields its base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(WORK / log_name, "a")  # noqa: SIM115 - closed in finally
    server = subprocess.Popen(
        [GUNICORN, "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "--workers", str(workers)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_until_up(base + "/healthz", server)
        yield base
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log.close()


def measure(wrk: str, base: str, name: str, path: str, args: argparse.Namespace) -> dict:
    status = check_status(base + path)
    run_wrk(wrk, base + path, seconds=1, connections=args.connections, threads=args.threads)  # warm-up
    result = run_wrk(wrk, base + path, args.seconds, args.connections, args.threads)
    return {"name": name, "path": path, "status": status, **result}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("BENCH_SECONDS", "10")))
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{WORK / 'bench.sqlite3'}"),
        help="database to prepare and serve from (default: a SQLite file under bench/.work)",
    )
    return parser.parse_args()


def server_env(database_url: str) -> dict:
    # Database tuning from the caller's environment (DB_POOL_*, CONN_MAX_AGE) passes through.
    tuning = {k: v for k, v in os.environ.items() if k.startswith("DB_POOL_") or k == "CONN_MAX_AGE"}
    return {
        **tuning,
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", str(WORK)),
        "DJANGO_SETTINGS_MODULE": "shop.settings",
        "DEBUG": "0",
        "HTTPS_ONLY": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url,
        "SHOP_BENCH": "1",
        "LOG_LEVEL": "WARNING",
        # analytics (issue 8): on, as in production, unless the caller turns it off.
        "ANALYTICS_ENABLED": os.environ.get("ANALYTICS_ENABLED", "1"),
        "GUNICORN_ACCESSLOG": "",
        "MEDIA_ROOT": str(WORK / "media"),
        # `BENCH_CACHE_URL=dummycache://` measures the catalog without its fragment cache.
        "CACHE_URL": os.environ.get("BENCH_CACHE_URL", "locmemcache://"),
    }


def prepare_database(database_url: str, env: dict) -> None:
    if database_url.startswith(("postgres://", "postgresql://")):
        create_postgres_database(database_url)
    for command in PREPARE:
        print(f"bench: manage.py {' '.join(command)}", flush=True)
        subprocess.run([PYTHON, "manage.py", *command], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def create_postgres_database(database_url: str) -> None:
    import psycopg

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    admin_url = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, server: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"bench: gunicorn exited early; see {WORK / 'gunicorn.log'}")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback only
                return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    raise SystemExit(f"bench: gunicorn did not answer within {timeout:.0f}s; see {WORK / 'gunicorn.log'}")


def check_status(url: str) -> int:
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})  # noqa: S310 - loopback only
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback only
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def run_wrk(wrk: str, url: str, seconds: int, connections: int, threads: int) -> dict:
    out = subprocess.run(
        [wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "-H", f"User-Agent: {USER_AGENT}", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return parse_wrk(out)


def parse_wrk(out: str) -> dict:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    latency = {
        pct: float(value) * UNITS[unit]
        for pct, value, unit in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.MULTILINE)
    }
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    return {"rps": rps, "p50": latency.get("50"), "p99": latency.get("99"), "errors": errors}


def print_table(rows: list[dict], args: argparse.Namespace) -> None:
    floor = {row["name"]: row["rps"] for row in rows}
    engine = "PostgreSQL" if args.database_url.startswith("postgres") else "SQLite"
    print()
    print(
        f"{engine}, gunicorn {args.workers} workers, wrk {args.threads} threads x {args.connections} connections, "
        f"{args.seconds}s per URL, {os.cpu_count()} CPUs"
    )
    print()
    print("| page | URL | status | req/s | p50 ms | p99 ms | errors | vs hello | vs db |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['name']} | {row['path']} | {row['status']} | {row['rps']:.0f} | {row['p50']:.2f} | "
            f"{row['p99']:.2f} | {row['errors']} | {row['rps'] / floor['hello']:.0%} | {row['rps'] / floor['db']:.0%} |"
        )


if __name__ == "__main__":
    sys.exit(main())
