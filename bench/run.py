#!/usr/bin/env python
"""`make bench`: serve the shop with production settings under gunicorn and load it with wrk.

Every page is quoted against two floors served by the same process in the same run:
`hello` (no database) and `db` (a small template over one indexed query). Ratios are against `db`.
It prepares its own database, starts gunicorn on a free loopback port, and stops all it started.
"""

import argparse
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.checkout import shopper_session  # noqa: E402

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
# orders (issue 7): checkout and order pages of a logged-in shopper, built once the server is up
# (bench/checkout.py logs in and walks the checkout forms); measured with its session cookie.

# Commands (manage.py arguments) that prepare the database before the server starts.
PREPARE = [
    ["migrate", "--noinput"],
    ["collectstatic", "--noinput"],
    # Catalog (issue 3): idempotent, adds only the demo products still missing.
    ["seed_demo", "--products", "10000"],
    # orders (issue 7): the shopper whose checkout pages are measured.
    ["shell", "-c", "from bench.checkout import prepare; prepare()"],
]

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def main() -> int:
    args = parse_args()
    wrk = shutil.which("wrk")
    if not wrk:
        print("wrk is not installed: install it with `sudo apt-get install -y wrk` (Debian/Ubuntu).", file=sys.stderr)
        return 2
    WORK.mkdir(parents=True, exist_ok=True)
    env = server_env(args.database_url)
    prepare_database(args.database_url, env)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(WORK / "gunicorn.log", "w")  # noqa: SIM115 - closed in finally
    server = subprocess.Popen(
        [GUNICORN, "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_until_up(base + "/healthz", server)
        rows = []
        cookie, shopper_pages = shopper_session(base)
        pages = [(name, path, "") for name, path in PAGES] + [(name, path, cookie) for name, path in shopper_pages]
        for name, path, cookie in pages:
            status = check_status(base + path, cookie)
            run_wrk(wrk, base + path, 1, args.connections, args.threads, cookie)  # warm-up
            result = run_wrk(wrk, base + path, args.seconds, args.connections, args.threads, cookie)
            rows.append({"name": name, "path": path, "status": status, **result})
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log.close()

    print_table(rows, args)
    failed = [row for row in rows if row["errors"] or row["status"] != 200]
    return 1 if failed else 0


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


def check_status(url: str, cookie: str = "") -> int:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback only
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def run_wrk(wrk: str, url: str, seconds: int, connections: int, threads: int, cookie: str = "") -> dict:
    headers = ["-H", f"Cookie: {cookie}"] if cookie else []
    out = subprocess.run(
        [wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", *headers, url],
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
