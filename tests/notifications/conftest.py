"""Real parts for the outbox tests: an SMTP server on loopback (aiosmtpd) and the real task worker."""

import mailbox
import os
import shutil
import socket
import subprocess
import sys
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django_tasks_db.management.commands.db_worker import Worker

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """aiosmtpd handler keeping every message it accepts."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[EmailMessage]:
        return [message_from_bytes(envelope.original_content, policy=policy.default) for envelope in self.envelopes]


class SmtpServer:
    """A real SMTP server on a fixed loopback port that a test can stop and start again."""

    def __init__(self):
        self.port = free_port()
        self.inbox = Inbox()
        self.controller = None

    def start(self):
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server(settings):
    server = SmtpServer()
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    yield server
    server.stop()


def drain_tasks() -> None:
    """Run the real database worker in this process until no task is ready (db_worker --batch)."""
    Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="pytest",
        excluded_queue_names=[],
    ).run()


@pytest.fixture
def worker():
    return drain_tasks


def manage_env(database_url: str, **extra: str) -> dict:
    return {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "DJANGO_SETTINGS_MODULE": "shop.settings_test",
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def manage(*args: str, env: dict, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="session")
def migrated_sqlite_file(tmp_path_factory):
    """One migrated SQLite file per session; tests get a copy (migrating takes seconds)."""
    path = tmp_path_factory.mktemp("outbox-db") / "template.sqlite3"
    result = manage("migrate", "--noinput", env=manage_env(f"sqlite:///{path}"))
    assert result.returncode == 0, result.stderr
    return path


@pytest.fixture
def process_database(request, tmp_path):
    """A database other processes can open: the test database on PostgreSQL, a migrated SQLite file otherwise.

    pytest-django's SQLite test database lives in memory, which no other process can see.
    """
    from django.db import connection

    if connection.vendor == "postgresql":
        request.getfixturevalue("transactional_db")
        s = connection.settings_dict
        return f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"
    path = tmp_path / "shop.sqlite3"
    shutil.copyfile(request.getfixturevalue("migrated_sqlite_file"), path)
    return f"sqlite:///{path}"


class SmtpProcess:
    """aiosmtpd in its own process, storing what it accepts in a Maildir."""

    def __init__(self, maildir: Path):
        self.port = free_port()
        self.maildir = maildir
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                f"127.0.0.1:{self.port}",
                "-c",
                "aiosmtpd.handlers.Mailbox",
                str(maildir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    @property
    def messages(self) -> list[EmailMessage]:
        box = mailbox.Maildir(self.maildir, create=False)
        return [message_from_bytes(box.get_bytes(key), policy=policy.default) for key in box.keys()]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


@pytest.fixture
def smtp_process(tmp_path):
    """A real SMTP server in another process: many workers' connections in parallel, no GIL shared with the test."""
    server = SmtpProcess(tmp_path / "maildir")
    yield server
    server.stop()
