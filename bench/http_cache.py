#!/usr/bin/env python
"""`make bench-http-cache`: anonymous catalog pages through nginx's proxy_cache, against gunicorn direct.

gunicorn (production settings) serves the shop; an nginx of our own (Debian's package, `daemon off;`, run
as a subprocess on its own port, never the system service) sits in front with `proxy_cache`, bypassing it
for every cookie that makes a page the visitor's own (shop.shared.visitor_state_cookies). wrk loads list,
search and detail pages anonymously, through nginx and direct, in interleaved rounds, and the floor views
(`hello`, `db`) direct in the same rounds; the report gives req/s, p50/p99, the ratio to floor `db` (min–max
over the rounds) and nginx's hit rate per page from `$upstream_cache_status` in its access log.
Then it proves that a visitor with a cart cookie is never answered from the cache: their page says BYPASS
and shows their own badge, while an anonymous visitor's page is a HIT showing 0.
"""

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import urllib.request
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import run  # noqa: E402
from bench.servers import wait_for_port  # noqa: E402

ROOT = run.ROOT
WORK = run.WORK / "http_cache"
# The cookies after which a page is the visitor's own: never answered from, nor stored in, the cache.
STATE_COOKIES = ["sessionid", "shop_cart", "messages", "shop_consent", "shop_gate"]
PAGE_COOKIE = "shop_recent"  # the product page also shows recently viewed products

NGINX_CONF = """
daemon off;
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {work}/client_body;
    proxy_temp_path {work}/proxy_temp;
    fastcgi_temp_path {work}/fastcgi_temp;
    uwsgi_temp_path {work}/uwsgi_temp;
    scgi_temp_path {work}/scgi_temp;
    log_format cache '$upstream_cache_status $request_uri';
    proxy_cache_path {work}/cache levels=1:2 keys_zone=shop:10m max_size=200m inactive=10m use_temp_path=off;
    upstream shop {{ server 127.0.0.1:{upstream}; keepalive 16; }}
    # The product page also shows recently viewed products: that cookie bypasses it too.
    map $uri $page_bypass {{ ~^(/de)?/products/[^/]+/$ {page_cookies}; default ""; }}
    # An unprefixed (English) page is redirected or private for a visitor with a language cookie
    # (shop/i18n.py); a /de/ page is the same for everyone.
    map $uri $language_bypass {{ ~^/de/ ""; default $cookie_django_language; }}
    server {{
        listen 127.0.0.1:{port};
        access_log {work}/access.log cache;
        location / {{
            proxy_pass http://shop;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_cache shop;
            # The shop says how long (Cache-Control: public, s-maxage) and what varies (HX-Request,
            # Accept-Encoding, Accept-Language on unprefixed pages); private, no-store and Set-Cookie
            # answers are never stored.
            proxy_cache_key $scheme$host$request_uri;
            proxy_cache_revalidate on;
            proxy_cache_lock on;
            proxy_cache_use_stale updating;
            proxy_cache_bypass {bypass} $page_bypass $language_bypass;
            proxy_no_cache {bypass} $page_bypass $language_bypass;
            add_header X-Cache-Status $upstream_cache_status always;
        }}
    }}
}}
"""


def nginx_conf(port: int, upstream: int) -> str:
    bypass = " ".join(f"$cookie_{name}" for name in STATE_COOKIES)
    page_cookies = "$cookie_" + PAGE_COOKIE
    return NGINX_CONF.format(work=WORK, port=port, upstream=upstream, bypass=bypass, page_cookies=page_cookies)


class Nginx:
    """Our own nginx in the foreground (`daemon off;`), started and stopped by this script."""

    def __init__(self, port: int, upstream: int):
        self.port = port
        self.upstream = upstream
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(binary).exists():
            raise SystemExit("nginx is not installed: apt-get install -y nginx (do not start its service)")
        shutil.rmtree(WORK / "cache", ignore_errors=True)
        for name in ("client_body", "proxy_temp", "fastcgi_temp", "uwsgi_temp", "scgi_temp", "cache"):
            (WORK / name).mkdir(parents=True, exist_ok=True)
        conf = WORK / "nginx.conf"
        conf.write_text(nginx_conf(self.port, self.upstream))
        self.process = subprocess.Popen(
            [binary, "-c", str(conf), "-p", str(WORK), "-e", str(WORK / "error.log")],
            stdout=subprocess.DEVNULL,
            stderr=open(WORK / "nginx.stderr", "w"),  # noqa: SIM115 - lives as long as nginx
            start_new_session=True,
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process = None


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("BENCH_SECONDS", "5")))
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (at least 3 for a spread)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--products", type=int, default=1000, help="demo catalog size")
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", "15440")), help="gunicorn")
    parser.add_argument("--nginx-port", type=int, default=int(os.environ.get("BENCH_NGINX_PORT", "15441")))
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{run.WORK / 'bench-http-cache.sqlite3'}"),
    )
    return parser.parse_args()


def prepare(database_url: str, env: dict, products: int) -> None:
    if database_url.startswith(("postgres://", "postgresql://")):
        run.create_postgres_database(database_url)
    for command in (
        ["migrate", "--noinput"],
        ["collectstatic", "--noinput"],
        ["seed_demo", "--products", str(products)],
    ):
        print(f"bench: manage.py {' '.join(command)}", flush=True)
        subprocess.run([run.PYTHON, "manage.py", *command], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def fetch(url: str, headers: dict | None = None) -> tuple[int, dict, str]:
    request = urllib.request.Request(url, headers={"User-Agent": run.USER_AGENT, **(headers or {})})  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback only
        return response.status, dict(response.headers), response.read().decode()


def pages(direct: str) -> list[tuple[str, str]]:
    _, _, html = fetch(direct + "/products/")
    slug = re.search(r'href="(/products/[\w-]+/)"', html)[1]
    return [("list", "/products/"), ("search", "/products/?q=lamp"), ("detail", slug)]


def cache_statuses(log: Path, start: int) -> Counter:
    with open(log) as handle:
        handle.seek(start)
        return Counter(line.split(" ", 1)[0] for line in handle if line.strip())


def main() -> int:
    args = parse_args()
    wrk = shutil.which("wrk")
    if not wrk:
        print("wrk is not installed: apt-get install -y wrk", file=sys.stderr)
        return 2
    WORK.mkdir(parents=True, exist_ok=True)
    env = run.server_env(args.database_url)
    prepare(args.database_url, env, args.products)
    nginx = Nginx(args.nginx_port, args.port)
    with run.serve(env, args.workers, "gunicorn-http-cache.log", port=args.port) as direct:
        nginx.start()
        try:
            proxied = f"http://127.0.0.1:{args.nginx_port}"
            shop_pages = pages(direct)
            targets = [("hello", direct, "/bench/hello", "direct"), ("db", direct, "/bench/db", "direct")]
            for name, path in shop_pages:
                targets += [(name, direct, path, "direct"), (name, proxied, path, "nginx")]
            results: dict[tuple[str, str], list[dict]] = {}
            hits: dict[tuple[str, str], Counter] = {}
            log = WORK / "access.log"
            for base, path in {(t[1], t[2]) for t in targets}:  # warm-up: fill the cache, warm the workers
                run.run_wrk(wrk, base + path, 1, args.connections, args.threads)
            for _ in range(args.rounds):
                for name, base, path, mode in targets:
                    start = log.stat().st_size if log.exists() else 0
                    result = run.run_wrk(wrk, base + path, args.seconds, args.connections, args.threads)
                    results.setdefault((name, mode), []).append(result)
                    if mode == "nginx":
                        hits.setdefault((name, mode), Counter()).update(cache_statuses(log, start))
            proof = cookie_proof(direct, proxied)
        finally:
            nginx.stop()
    table = report(results, hits, args)
    print(table)
    print(proof)
    if args.markdown:
        args.markdown.write_text(table + "\n" + proof + "\n")
    failed = any(result["errors"] for rounds in results.values() for result in rounds)
    return 1 if failed or "FAILED" in proof else 0


FROM_CACHE = ("HIT", "REVALIDATED", "STALE", "UPDATING")  # REVALIDATED: the shop's 304 after s-maxage


def cookie_proof(direct: str, proxied: str) -> str:
    """A visitor with a cart gets their own page (BYPASS, their badge); an anonymous one the cached page."""
    visitor = run.make_visitors(proxied)[0]
    # The first fetch may be a MISS: urllib sends `Accept-Encoding: identity`, wrk none, and the page varies
    # by Accept-Encoding; the second is answered from the cache.
    fetch(proxied + "/products/")
    _, anonymous_headers, anonymous_again = fetch(proxied + "/products/")
    _, own_headers, own = fetch(proxied + "/products/", {"Cookie": visitor["cookies"]})
    count = re.search(r'class="cart-count">(\d+)<', own)[1]
    zero = re.search(r'class="cart-count">(\d+)<', anonymous_again)[1]
    checks = [
        ("anonymous /products/ answered from the cache", anonymous_headers.get("X-Cache-Status") in FROM_CACHE),
        ("anonymous page shows an empty badge", zero == "0"),
        ("cart visitor bypasses the cache", own_headers.get("X-Cache-Status") == "BYPASS"),
        (f"cart visitor sees their own badge ({count})", count == str(run.CART_LINES)),
        ("cart visitor's page is private", "private" in own_headers.get("Cache-Control", "")),
    ]
    lines = ["", "Cookie check through nginx:"]
    lines += [f"- {'ok' if passed else 'FAILED'}: {text}" for text, passed in checks]
    return "\n".join(lines)


def report(results: dict, hits: dict, args: argparse.Namespace) -> str:
    floors = results[("db", "direct")]
    engine = "PostgreSQL" if args.database_url.startswith("postgres") else "SQLite"
    lines = [
        f"{engine}, {args.products} products, gunicorn {args.workers} workers "
        f"({os.environ.get('GUNICORN_WORKER_CLASS', 'the gunicorn.conf.py default')}), "
        f"nginx 1 worker with proxy_cache, wrk {args.threads} thread x {args.connections} connections, "
        f"{args.rounds} interleaved rounds of {args.seconds}s, {os.cpu_count()} CPUs",
        "",
        "| page | via | req/s (mean) | p50 ms | p99 ms | vs db (min–max) | cache hits |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for (name, mode), rounds in results.items():
        ratios = [r["rps"] / f["rps"] for r, f in zip(rounds, floors, strict=True)]
        counter = hits.get((name, mode))
        hit_rate = f"{counter['HIT'] / sum(counter.values()):.1%}" if counter and sum(counter.values()) else "–"
        lines.append(
            f"| {name} | {mode} | {statistics.mean(r['rps'] for r in rounds):.0f} | "
            f"{statistics.mean(r['p50'] for r in rounds):.2f} | {max(r['p99'] for r in rounds):.2f} | "
            f"{min(ratios):.2f}–{max(ratios):.2f} | {hit_rate} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
