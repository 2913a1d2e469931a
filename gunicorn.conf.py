"""gunicorn settings: `gunicorn -c gunicorn.conf.py shop.wsgi`. Every value can be set from the environment.

Defaults chosen for running behind a balancer (docs/operations.md, "Web processes"):
- gthread workers: requests waiting on the database do not hold the whole process (slow clients are
  the job of the buffering proxy that must sit in front: haproxy or nginx);
- SIGTERM first drains (`/readyz` answers 503 for GUNICORN_DRAIN_SECONDS, everything else is still
  served), then stops gracefully: the balancer has moved new requests elsewhere by then;
- GUNICORN_HEALTH_BIND: an optional tiny listener in the master answering `/healthz` even while every
  worker thread waits on the database;
- no `Server` banner naming the software.
"""

import gc
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from gunicorn.http import wsgi as gunicorn_wsgi

from shop import lifecycle

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "0"))
# An empty GUNICORN_ACCESSLOG turns the access log off (benchmarks).
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
# The control socket lives under $HOME by default, which is read-only in many containers.
control_socket_disable = True
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# The live streams' server runs the ASGI application with uvicorn workers (`make live`, docs/live.md):
# GUNICORN_APP=shop.asgi:application GUNICORN_WORKER_CLASS=uvicorn_worker.UvicornWorker.
wsgi_app = os.environ.get("GUNICORN_APP", "shop.wsgi")

DRAIN_SECONDS = float(os.environ.get("GUNICORN_DRAIN_SECONDS", "5"))
HEALTH_BIND = os.environ.get("GUNICORN_HEALTH_BIND", "")

# gunicorn writes `Server: gunicorn` on every response; name the product instead of the software.
gunicorn_wsgi.SERVER = "shop"


def on_starting(server):
    """Refuse to start with a one-line reason when the settings are incomplete (not a worker traceback)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")
    from django.core.exceptions import ImproperlyConfigured

    try:
        import django

        django.setup()
    except ImproperlyConfigured as exc:
        sys.stderr.write(f"error: {exc}\n")
        sys.exit(1)
    _drain_on_term(server)


def post_worker_init(worker):
    """Move everything the worker has loaded so far (Django, the apps, the URL patterns) out of the garbage
    collector's sight: those objects live as long as the process, and without this every full collection
    walks them again (about 8% of an uncached catalog page, docs/performance.md)."""
    gc.freeze()


def when_ready(server):
    if HEALTH_BIND:
        _health_listener(server, HEALTH_BIND)


def _drain_on_term(server):
    """SIGTERM: `/readyz` turns 503 in every worker, the master waits DRAIN_SECONDS, then stops gracefully."""
    stop = server.handle_term

    def handle_term():
        if DRAIN_SECONDS > 0 and not lifecycle.draining():
            lifecycle.drain_start()
            server.log.info("draining for %.1fs: /readyz answers 503, requests are still served", DRAIN_SECONDS)
            deadline = time.monotonic() + DRAIN_SECONDS
            while time.monotonic() < deadline:
                time.sleep(0.1)
                server.murder_workers()  # the master's usual duty while it waits
        stop()

    server.handle_term = handle_term


def _health_listener(server, address):
    """`GET /healthz` from a thread of the master: 200 while it has live workers, without waiting on them."""
    host, _, port = address.rpartition(":")

    class Health(BaseHTTPRequestHandler):
        server_version = "shop"
        sys_version = ""

        def do_GET(self):  # noqa: N802 - http.server's naming
            alive = bool(server.WORKERS)
            status = 200 if self.path.split("?")[0] == "/healthz" and alive else 404 if alive else 503
            body = b"ok\n" if status == 200 else b"no\n"
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    # ":8001" alone means every interface, as in GUNICORN_BIND.
    httpd = ThreadingHTTPServer((host.strip("[]") or "0.0.0.0", int(port)), Health)  # noqa: S104
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, name="healthz", daemon=True).start()
    server.log.info("healthz listener on %s", address)
