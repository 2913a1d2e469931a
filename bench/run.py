#!/usr/bin/env python
"""`make bench`: serve the shop with production settings under gunicorn and load it with wrk.

Every page is quoted against two floors served by the same process in the same run:
`hello` (no database) and `db` (a small template over one indexed query). Ratios are against `db`.
It prepares its own database, starts gunicorn on a free loopback port, and stops all it started.
"""

import argparse
import contextlib
import http.cookiejar
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.checkout import shopper_session  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work"
PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).with_name("gunicorn"))

# (name, path) for every page measured, or (name, path, request) for a page a *visitor* asks for: the
# request (method, headers, body with {product}) is sent with that visitor's cookies and CSRF token, rotating
# over VISITORS anonymous visitors who each have a few products in their cart (see make_visitors).
# Later features add their pages here.
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
    ("category", "/categories/lighting/"),
    ("detail", "/products/birch-walnut-floor-lamp/"),
    # Cart (issue 6): the cart page with 3 lines, and add-to-cart as htmx posts it (answered with its button).
    ("cart", "/cart/", {}),
    ("cart-30", "/cart/", {"lines": 30}),
    (
        "cart-add",
        "/cart/add/",
        {"method": "POST", "headers": {"HX-Request": "true"}, "body": "product={product}&next=/products/"},
    ),
    # api (issue 19): the JSON product list, 20 items, anonymous (no If-None-Match: the full answer).
    ("api-products", "/api/v1/products/?per_page=20"),
]
VISITORS = 8
CART_LINES = 3  # a visitor's cart, unless a page asks for more ({"lines": 30})
# Catalog pages measured again for a logged-in shopper (the session cookie): what members get.
MEMBER_PAGES = ["home", "products", "search", "detail"]
# orders (issue 7): checkout and order pages of a logged-in shopper, built once the server is up
# (bench/checkout.py logs in and walks the checkout forms); measured with that shopper's session cookie.

# Commands (manage.py arguments) that prepare the database before the server starts.
PREPARE = [
    ["migrate", "--noinput"],
    ["collectstatic", "--noinput"],
    # Catalog (issue 3): idempotent, adds only the demo products still missing (BENCH_PRODUCTS, default 10,000).
    ["seed_demo", "--products", os.environ.get("BENCH_PRODUCTS", "10000")],
    # orders (issue 7): the shopper whose checkout pages are measured.
    ["shell", "-c", "from bench.checkout import prepare; prepare()"],
]

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}
# A browser's User-Agent: analytics records nothing for clients without one (scripts, bots).
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
# analytics (issue 8): this page is measured again on a second server with ANALYTICS_ENABLED=0.
ANALYTICS_PAGE = "detail"
ANALYTICS_ROUNDS = int(os.environ.get("BENCH_ANALYTICS_ROUNDS", "4"))  # slices each way


def main() -> int:
    args = parse_args()
    wrk = shutil.which("wrk")
    if not wrk:
        print("wrk is not installed: install it with `sudo apt-get install -y wrk` (Debian/Ubuntu).", file=sys.stderr)
        return 2
    WORK.mkdir(parents=True, exist_ok=True)
    env = server_env(args.database_url)
    prepare_database(args.database_url, env)

    with serve(env, args.workers, "gunicorn.log") as base:
        cookie, shopper_pages = shopper_session(base)
        # The shopper's pages send its session cookie (a request's headers override the visitor's cookies).
        pages = [*PAGES, *catalog_pages(env)]
        member = {"headers": {"Cookie": cookie}}
        pages += [(f"{name} (logged in)", path, member) for name, path, *_ in PAGES if name in MEMBER_PAGES]
        pages += [(name, path, member) for name, path in shopper_pages]
        sizes = {page[2].get("lines", CART_LINES) for page in pages if len(page) > 2}
        visitors = {lines: make_visitors(base, lines) for lines in sizes}
        rows = measure_rounds(wrk, base, pages, visitors, args)
    # analytics (issue 8): the product page with and without recording, on the same server in alternating
    # slices (ABBA: on, off, off, on, ...), so the machine's drift between runs cancels out. "Off" sends
    # `DNT: 1`, for which the shop records nothing; "on" requests are each a new visitor (no cookie jar):
    # every one records an event and gets a visitor cookie — the worst case. The buffered events of an
    # "on" slice are written by each worker's flush thread within 2 s, mostly inside the slice.
    # Both send a cookie-notice choice: the page is then the visitor's own and records the view itself (a
    # visitor without state gets the shared page, whose beacon records it: shop/shared.py).
    path = next(page[1] for page in PAGES if page[0] == ANALYTICS_PAGE)
    runs: dict[str, list[dict]] = {"on": [], "off": []}
    with serve(env, args.workers, "gunicorn.log") as base:
        status = check_status(base + path)
        run_wrk(wrk, base + path, 1, args.connections, args.threads)  # warm-up
        for slice_ in range(2 * ANALYTICS_ROUNDS):
            mode = "on" if slice_ % 4 in (0, 3) else "off"
            headers = {"Cookie": "shop_consent=allow", **({"DNT": "1"} if mode == "off" else {})}
            runs[mode].append(run_wrk(wrk, base + path, args.seconds, args.connections, args.threads, headers=headers))
    for mode in ("off", "on"):
        results = runs[mode]
        mean = {key: statistics.mean(result[key] for result in results) for key in ("rps", "p50", "p99")}
        errors = sum(result["errors"] for result in results)
        label = f"{ANALYTICS_PAGE} (analytics {mode}, mean of {len(results)})"
        rows.append({"name": label, "path": path, "status": status, **mean, "errors": errors})

    off_rps, on_rps = rows[-2]["rps"], rows[-1]["rps"]
    slices = {mode: ", ".join(f"{result['rps']:.0f}" for result in results) for mode, results in runs.items()}
    lines = table(rows, args)
    if args.uncached:
        lines += uncached_table(wrk, env, args)
    lines.append(
        f"\nanalytics on the product page ({2 * ANALYTICS_ROUNDS} alternating slices of {args.seconds}s): "
        f"{on_rps:.0f} req/s recording, {off_rps:.0f} not ({(off_rps - on_rps) / off_rps:+.1%} cost; budget 5%); "
        f"per slice on: {slices['on']}; off: {slices['off']}"
    )
    print("\n".join(lines))
    if args.markdown:
        write_markdown(args.markdown, lines)
    failed = [row for row in rows if row["errors"] or row["status"] != 200]
    return 1 if failed else 0


# Measured again with the fragment cache off (`--uncached`): what a request pays that no cache answers.
UNCACHED_PAGES = [
    "hello",
    "db",
    "home",
    "products",
    "products-p50",
    "search",
    "category",
    "detail",
    "products-2-facets",
    "detail-20-variants",
]


def uncached_table(wrk: str, env: dict, args: argparse.Namespace) -> list[str]:
    """The storefront pages on a server of their own with `CACHE_URL=dummycache://`, anonymous and logged in,
    as ratios to that server's own floors (measured in the same interleaved rounds)."""
    with serve({**env, "CACHE_URL": "dummycache://"}, args.workers, "gunicorn.log") as base:
        cookie, _ = shopper_session(base)
        member = {"headers": {"Cookie": cookie}}
        pages = [page for page in [*PAGES, *catalog_pages(env)] if page[0] in UNCACHED_PAGES]
        pages += [(f"{name} (logged in)", path, member) for name, path, *_ in PAGES if name in MEMBER_PAGES]
        # The logged-in pages are sent as visitors' requests with the shopper's cookie over theirs.
        rows = measure_rounds(wrk, base, pages, {CART_LINES: make_visitors(base, CART_LINES)}, args)
    for row in rows:
        if row["name"] not in ("hello", "db"):
            row["name"] += " (uncached)"
    lines = table(rows, args)
    lines[1] = f"Fragment cache off (`CACHE_URL=dummycache://`), a server of its own: {lines[1]}"
    return ["", *lines]


@contextlib.contextmanager
def serve(env: dict, workers: int, log_name: str, port: int | None = None):
    """gunicorn on `port` (default: a free loopback port) for the duration of the block; yields its base URL."""
    port = port or free_port()
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


def measure_rounds(wrk: str, base: str, pages: list, visitors: dict[int, list[dict]], args) -> list[dict]:
    """Every page in turn, `args.rounds` times (interleaved: the machine's drift spreads over all pages).

    Each page: its status and a 1 s warm-up first; per round its req/s as a ratio to floor `db` of the same
    round; a row holds the means, the worst p99 and the ratio's min–max over the rounds.
    """
    prepared = []
    for name, path, *request in pages:
        request = request[0] if request else None
        lines = (request or {}).get("lines", CART_LINES)
        requests = [visitor_request(visitor, request) for visitor in visitors.get(lines, [])] if request else []
        script = write_wrk_script(name, path, requests) if requests else None
        status = check_status(base + path, *requests[:1])
        run_wrk(wrk, base + path, 1, args.connections, args.threads, script)  # warm-up
        prepared.append((name, path, status, script))
    runs: dict[str, list[dict]] = {name: [] for name, *_ in prepared}
    for _ in range(args.rounds):
        for name, path, _status, script in prepared:
            runs[name].append(run_wrk(wrk, base + path, args.seconds, args.connections, args.threads, script))
    rows = []
    for name, path, status, _script in prepared:
        results = runs[name]
        ratios = [r["rps"] / db["rps"] for r, db in zip(results, runs["db"], strict=True)]
        rows.append(
            {
                "name": name,
                "path": path,
                "status": status,
                "rps": statistics.mean(r["rps"] for r in results),
                "p50": statistics.mean(r["p50"] for r in results),
                "p99": max(r["p99"] for r in results),
                "errors": sum(r["errors"] for r in results),
                "ratios": ratios,
            }
        )
    return rows


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("BENCH_SECONDS", "10")))
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds over all pages (spread: min–max)")
    parser.add_argument(
        "--uncached",
        action="store_true",
        help="also measure the storefront pages with the fragment cache off, on a second server (its own floors)",
    )
    parser.add_argument(
        "--markdown",
        type=Path,
        help="write the printed results into this file, between its `<!-- bench/run.py -->` and "
        "`<!-- /bench/run.py -->` lines (docs/performance.md)",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{WORK / 'bench.sqlite3'}"),
        help="database to prepare and serve from (default: a SQLite file under bench/.work)",
    )
    return parser.parse_args()


def server_env(database_url: str) -> dict:
    # Database and gunicorn tuning from the caller's environment (DB_POOL_*, CONN_MAX_AGE, GUNICORN_*) passes through.
    tuning = {k: v for k, v in os.environ.items() if k.startswith(("DB_POOL_", "GUNICORN_")) or k == "CONN_MAX_AGE"}
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
        # api: wrk sends thousands of requests a second from one address; measure the work, not the 429s.
        "API_RATE_PER_IP": "0",
    }


# Catalog (issue 15): pages whose URLs hold ids of the demo data, looked up once it is seeded.
CATALOG_PAGES = """
import json
from catalog.models import OptionValue, Product
watts = OptionValue.objects.get(option__product_type__slug="lamp", value="60 W").pk
tee = Product.objects.get(sku="TEE-000001")
print(json.dumps([
    ["products-2-facets", f"/products/?o={watts}&in_stock=on"],
    ["detail-20-variants", tee.get_absolute_url()],
]))
"""


def catalog_pages(env: dict) -> list[tuple[str, str]]:
    """A list filtered by two facets (a lamp wattage, in stock) and the product page of a 20-variant T-shirt."""
    import json

    out = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", CATALOG_PAGES],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [tuple(page) for page in json.loads(out.strip().splitlines()[-1])]


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
    """BENCH_PORT when set (a port range of one's own on a shared machine), else any free one."""
    if os.environ.get("BENCH_PORT"):
        return int(os.environ["BENCH_PORT"])
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
        except OSError:  # refused, reset, or a timeout while the workers boot on a loaded machine
            time.sleep(0.2)
    raise SystemExit(f"bench: gunicorn did not answer within {timeout:.0f}s; see {WORK / 'gunicorn.log'}")


def make_visitors(base: str, lines: int = CART_LINES) -> list[dict]:
    """Anonymous visitors, each with a CSRF cookie and token and a cart of `lines` products, made through
    the shop's own pages and forms (as a browser without JavaScript would)."""
    visitors = []
    for _ in range(VISITORS):
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        with opener.open(base + "/products/?per_page=100", timeout=10) as response:
            html = response.read().decode()
        products = re.findall(r'name="product" value="(\d+)"', html)[:lines]
        if len(products) < lines:
            raise SystemExit("bench: the product list shows too few add-to-cart forms; is the demo catalog there?")
        for product in products:
            # The list is the shared page (no token); the first add starts the cart and sets the CSRF cookie.
            token = next((c.value for c in jar if c.name == "csrftoken"), "")
            data = urlencode({"csrfmiddlewaretoken": token, "product": product}).encode()
            opener.open(base + "/cart/add/", data=data, timeout=10).close()
        token = next(c.value for c in jar if c.name == "csrftoken")
        cookies = "; ".join(f"{c.name}={c.value}" for c in jar)
        if "shop_cart=" not in cookies:
            raise SystemExit("bench: adding to the cart set no cart cookie")
        visitors.append({"cookies": cookies, "token": token, "product": products[0]})
    return visitors


def visitor_request(visitor: dict, request: dict) -> tuple[str, dict, str]:
    """(method, headers, body) of one visitor's request."""
    method = request.get("method", "GET")
    headers = {"User-Agent": USER_AGENT, "Cookie": visitor["cookies"], **request.get("headers", {})}
    if method != "GET":
        headers |= {"X-CSRFToken": visitor["token"], "Content-Type": "application/x-www-form-urlencoded"}
    return method, headers, request.get("body", "").format(product=visitor["product"])


def write_wrk_script(name: str, path: str, requests: list[tuple[str, dict, str]]) -> Path:
    """A wrk Lua script sending `requests` in turn (each connection's next request is the next visitor's)."""

    def lua(value: str) -> str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = ["local requests = {}", "init = function(args)"]
    for method, headers, body in requests:
        fields = ", ".join(f"[{lua(k)}] = {lua(v)}" for k, v in headers.items())
        lines.append(f"  table.insert(requests, wrk.format({lua(method)}, {lua(path)}, {{{fields}}}, {lua(body)}))")
    lines += [
        "end",
        "local i = 0",
        "request = function()",
        "  i = i + 1",
        "  return requests[i % #requests + 1]",
        "end",
    ]
    script = WORK / f"{name}.lua"
    script.write_text("\n".join(lines) + "\n")
    return script


def check_status(url: str, request: tuple[str, dict, str] | None = None) -> int:
    method, headers, body = request or ("GET", {"User-Agent": USER_AGENT}, "")
    req = urllib.request.Request(url, data=body.encode() or None, headers=headers, method=method)  # noqa: S310
    try:
        with urllib.request.urlopen(req, timeout=10) as response:  # noqa: S310 - loopback only
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def run_wrk(
    wrk: str,
    url: str,
    seconds: int,
    connections: int,
    threads: int,
    script: Path | None = None,
    headers: dict[str, str] | None = None,
) -> dict:
    out = subprocess.run(
        [
            wrk,
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-H",
            f"User-Agent: {USER_AGENT}",  # a script's requests carry their own headers (User-Agent included)
            *(arg for name, value in (headers or {}).items() for arg in ("-H", f"{name}: {value}")),
            *(["-s", str(script)] if script else []),
            url,
        ],
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


def table(rows: list[dict], args: argparse.Namespace) -> list[str]:
    """The results as Markdown: a line saying how, then one row per page (ratios to floor `db`)."""
    floor = {row["name"]: row["rps"] for row in rows}
    engine = "PostgreSQL" if args.database_url.startswith("postgres") else "SQLite"
    workers = os.environ.get("GUNICORN_WORKER_CLASS", "gthread (gunicorn.conf.py)")
    lines = [
        "",
        f"{engine}, gunicorn {args.workers} {workers} workers, wrk {args.threads} threads x {args.connections} "
        f"connections, {args.rounds} interleaved rounds of {args.seconds}s per URL, {os.cpu_count()} CPUs",
        "",
        "| page | URL | status | req/s | p50 ms | p99 ms | errors | vs hello | vs db | vs db, min–max |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        ratios = row.get("ratios") or [row["rps"] / floor["db"]]
        lines.append(
            f"| {row['name']} | {row['path']} | {row['status']} | {row['rps']:.0f} | {row['p50']:.2f} | "
            f"{row['p99']:.2f} | {row['errors']} | {row['rps'] / floor['hello']:.2f} | "
            f"{row['rps'] / floor['db']:.2f} | {min(ratios):.2f}–{max(ratios):.2f} |"
        )
    return lines


MARK_BEGIN, MARK_END = "<!-- bench/run.py -->", "<!-- /bench/run.py -->"


def write_markdown(path: Path, lines: list[str]) -> None:
    """Put the printed results between the file's markers (the section is generated, never edited by hand)."""
    text = path.read_text()
    if MARK_BEGIN not in text or MARK_END not in text:
        raise SystemExit(f"bench: {path} has no {MARK_BEGIN} … {MARK_END} section to write into")
    head, rest = text.split(MARK_BEGIN, 1)
    _, tail = rest.split(MARK_END, 1)
    body = "\n".join(line for line in lines).strip("\n")
    path.write_text(f"{head}{MARK_BEGIN}\n{body}\n{MARK_END}{tail}")
    print(f"bench: results written to {path}")


if __name__ == "__main__":
    sys.exit(main())
