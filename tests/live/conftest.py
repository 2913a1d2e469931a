"""The stream registry's cleanup, and ASGI instances of the shop (uvicorn workers under gunicorn) for the proofs."""

import http.client
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
# This worktree's own loopback ports for the ASGI instances.
PORTS = (15440, 15441)


@pytest.fixture(autouse=True)
def _streams_closed():
    """Each test starts with no stream open (test settings send keep-alives every 0.2 s: closes are seen)."""
    from live import broker
    from tests.live.streams import OPEN

    yield
    while OPEN:
        OPEN.pop().close()
    deadline = time.monotonic() + 5
    while broker.hub.connections and time.monotonic() < deadline:
        time.sleep(0.05)


# --- ASGI instances on the PostgreSQL test database ------------------------------------------------------


class Instance:
    """`make live`'s server (gunicorn.conf.py with uvicorn workers), on one of this worktree's ports."""

    def __init__(self, port: int, env: dict, log: Path):
        self.port = port
        self.env = env
        self.log = log
        self.process: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with open(self.log, "a") as log:
            self.process = subprocess.Popen(
                [GUNICORN, "-c", "gunicorn.conf.py"],
                cwd=ROOT,
                env={**self.env, "GUNICORN_BIND": f"127.0.0.1:{self.port}"},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.1)
            if self.process.poll() is not None:
                break
        raise RuntimeError(f"ASGI instance on {self.port} did not start:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def instances(django_db_setup, tmp_path):
    """Two ASGI instances of the shop serving the PostgreSQL test database (what the test commits)."""
    if connection.vendor != "postgresql":
        pytest.skip("two instances share only a PostgreSQL database (pytest-django's SQLite one is in memory)")
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "shop.settings_test",
        "DATABASE_URL": f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "SECRET_KEY": settings.SECRET_KEY,
        "PAYMENT_WEBHOOK_SECRET": settings.PAYMENT_WEBHOOK_SECRET,
        "GUNICORN_APP": "shop.asgi:application",
        "GUNICORN_WORKER_CLASS": "uvicorn_worker.UvicornWorker",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_ACCESSLOG": "",
        "GUNICORN_GRACEFUL_TIMEOUT": "2",
        "GUNICORN_DRAIN_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
    }
    started = [Instance(port, env, tmp_path / f"instance-{port}.log") for port in PORTS]
    try:
        for instance in started:
            instance.start()
        yield started
    finally:
        for instance in started:
            instance.stop()
