"""Streams read over real HTTP, and ASGI instances of the shop (uvicorn workers under gunicorn) for the proofs."""

import http.client
import os
import signal
import subprocess
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn") if (ROOT / ".venv" / "bin" / "gunicorn").exists() else "gunicorn"
# This worktree's own loopback ports for the ASGI instances.
PORTS = (15440, 15441)


@dataclass
class Event:
    name: str
    data: str


OPEN: list["Stream"] = []


class Stream:
    """One SSE stream read as a browser's EventSource reads it (http.client, a session cookie)."""

    def __init__(self, base: str, path: str = "/live/", cookie: str | None = None, timeout: float = 5):
        OPEN.append(self)
        url = urllib.parse.urlsplit(base)
        self.conn = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
        headers = {"Accept": "text/event-stream"}
        if cookie:
            headers["Cookie"] = f"{settings.SESSION_COOKIE_NAME}={cookie}"
        self.conn.request("GET", path, headers=headers)
        self.sock = self.conn.sock  # http.client lets go of it once a response without keep-alive arrives
        self.response = self.conn.getresponse()
        self.status = self.response.status
        self.body = b"" if self.status == 200 else self.response.read()

    def next_event(self, timeout: float = 5) -> Event | None:
        """The next event (comments skipped); None when the server ended the stream."""
        self.sock.settimeout(timeout)
        deadline = time.monotonic() + timeout
        name, data = "message", []
        while True:
            if time.monotonic() > deadline:  # keep-alive comments alone do not count as an event
                raise TimeoutError(f"no event within {timeout}s")
            line = self.response.readline()
            if not line:
                return None
            line = line.decode().rstrip("\n")
            if not line:
                if data or name != "message":
                    return Event(name, "\n".join(data))
                continue
            if line.startswith(":") or line.startswith("retry:"):
                continue
            field, _, value = line.partition(":")
            if field == "event":
                name = value.strip()
            elif field == "data":
                data.append(value.removeprefix(" "))

    def opened(self) -> "Stream":
        """Wait for the server's first bytes (the stream is subscribed by then)."""
        assert self.status == 200, (self.status, self.body)
        self.sock.settimeout(5)
        assert self.response.readline().startswith(b"retry:")
        return self

    def close(self) -> None:
        self.response.close()  # the response holds the socket (http.client handed it over)
        self.sock.close()
        self.conn.close()


@pytest.fixture(autouse=True)
def _streams_closed(transactional_db):
    """Each test starts with no stream open (test settings send keep-alives every 0.2 s: closes are seen)."""
    from live import broker

    yield
    while OPEN:
        OPEN.pop().close()
    deadline = time.monotonic() + 5
    while broker.hub.connections and time.monotonic() < deadline:
        time.sleep(0.05)


def session_cookie(client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


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
