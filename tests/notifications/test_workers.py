"""Real worker processes (`manage.py outbox_worker`) against a database they share with the test.

On PostgreSQL the workers use the test database; on SQLite a migrated file (the in-memory test database
is invisible to other processes). Each test is transactional, so what it writes is committed.
"""

import json
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from notifications.models import Message

from .conftest import ROOT, manage, manage_env

pytestmark = pytest.mark.django_db(transaction=True)

ENQUEUE = """
import django, sys
django.setup()
from django.db import transaction
from notifications import tasks
from notifications.services import OPERATOR, mail_enqueue
count, same_address = int(sys.argv[1]), sys.argv[2] == "same"
with transaction.atomic():
    for n in range(count):
        to = "customer@example.com" if same_address else f"customer{n}@example.com"
        message = mail_enqueue(to=to, kind="welcome", context={"name": f"Customer {n}"}, vouched_by=OPERATOR)
        # A second task for every message: the claim, not the queue, must keep it to one delivery.
        transaction.on_commit(lambda pk=message.pk: tasks.deliver_message.enqueue(pk))
"""

REPORT = """
import django, json
django.setup()
from django.db.models import Count
from django_tasks_db.models import DBTaskResult
from notifications.models import Message
print(json.dumps({
    "statuses": dict(Message.objects.order_by().values_list("status").annotate(n=Count("pk"))),
    "task_statuses": dict(DBTaskResult.objects.order_by().values_list("status").annotate(n=Count("pk"))),
    "workers": sorted({w for ids in DBTaskResult.objects.values_list("worker_ids", flat=True) for w in ids}),
}))
"""


def python(code: str, *args: str, env: dict) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


class WorkerProcess:
    """`manage.py outbox_worker` in its own process, its output in a file (a pipe could fill and block it)."""

    def __init__(self, env: dict, log: Path, *args: str):
        self.log = log
        with open(log, "w") as out:
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "outbox_worker", "--no-reload", "--no-startup-delay", *args],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)

    def wait(self, timeout: float = 180) -> str:
        self.process.wait(timeout=timeout)
        return self.log.read_text()

    @property
    def returncode(self) -> int | None:
        return self.process.returncode


def smtp_env(database_url: str, port: int, **extra: str) -> dict:
    return manage_env(database_url, EMAIL_URL=f"smtp://127.0.0.1:{port}", **extra)


def test_two_workers_draining_200_messages_deliver_200_distinct_messages(process_database, tmp_path, smtp_process):
    env = smtp_env(process_database, smtp_process.port, NOTIFY_RATE_TOTAL_HOUR="0", NOTIFY_RATE_PER_RECIPIENT_HOUR="0")
    python(ENQUEUE, "200", "distinct", env=env)

    workers = [
        WorkerProcess(env, tmp_path / f"w{n}.log", "--batch", "--interval", "0", "--worker-id", f"w{n}") for n in (1, 2)
    ]
    outputs = [worker.wait() for worker in workers]

    assert [worker.returncode for worker in workers] == [0, 0], outputs
    report = json.loads(python(REPORT, env=env))
    assert report["statuses"] == {"sent": 200}
    assert report["task_statuses"] == {"SUCCESSFUL": 400}
    assert report["workers"] == ["w1", "w2"]  # both took part
    mails = smtp_process.messages
    assert len(mails) == 200
    assert len({mail["Message-ID"] for mail in mails}) == 200
    assert Counter(mail["To"] for mail in mails) == Counter(f"customer{n}@example.com" for n in range(200))


def test_rate_limit_holds_with_two_workers(process_database, tmp_path, smtp_process):
    env = smtp_env(process_database, smtp_process.port, NOTIFY_RATE_PER_RECIPIENT_HOUR="10")
    python(ENQUEUE, "30", "same", env=env)

    workers = [
        WorkerProcess(env, tmp_path / f"w{n}.log", "--batch", "--interval", "0", "--worker-id", f"w{n}") for n in (1, 2)
    ]
    outputs = [worker.wait() for worker in workers]

    assert [worker.returncode for worker in workers] == [0, 0], outputs
    assert json.loads(python(REPORT, env=env))["statuses"] == {"sent": 10, "queued": 20}
    assert len(smtp_process.messages) == 10


def test_send_test_email_goes_through_a_running_worker_to_the_console(process_database, tmp_path):
    env = manage_env(process_database, EMAIL_URL="consolemail://")
    worker = WorkerProcess(env, tmp_path / "worker.log", "--interval", "0.2")
    try:
        result = manage("send_test_email", "ops@example.com", "--wait", "60", env=env)
    finally:
        worker.stop()
        output = worker.wait(timeout=30)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Sent at" in result.stdout
    assert "To: ops@example.com" in output
    assert "Subject: Shop: test message" in output
    assert "this is a test message from Shop, sent through the outbox" in output
    assert worker.returncode == 0


def test_the_worker_sweeps_the_outbox_periodically(process_database, tmp_path):
    env = manage_env(process_database, EMAIL_URL="consolemail://", NOTIFY_SENDING_TIMEOUT="1")
    lose_task = (
        "import django; django.setup()\n"
        "from django_tasks_db.models import DBTaskResult\n"
        "from notifications.services import OPERATOR, mail_enqueue\n"
        "mail_enqueue(to='lost@example.com', kind='test', context={}, vouched_by=OPERATOR)\n"
        "DBTaskResult.objects.all().delete()\n"
    )
    python(lose_task, env=env)
    time.sleep(1.1)  # past NOTIFY_SENDING_TIMEOUT: only the worker's own clock matters, so no time_machine here

    worker = WorkerProcess(env, tmp_path / "worker.log", "--interval", "0.2", "--sweep-interval", "0.5")
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if json.loads(python(REPORT, env=env))["statuses"] == {"sent": 1}:
                break
            time.sleep(0.5)
    finally:
        worker.stop()
        output = worker.wait(timeout=30)

    assert json.loads(python(REPORT, env=env))["statuses"] == {"sent": 1}, output
    assert "To: lost@example.com" in output


def test_send_test_email_without_a_worker_says_so():
    with pytest.raises(CommandError, match="still queued after 0.2s: is a worker running"):
        call_command("send_test_email", "ops@example.com", "--wait", "0.2")

    assert Message.objects.get().status == Message.Status.QUEUED


def test_send_test_email_refuses_an_invalid_address():
    with pytest.raises(CommandError, match="'not-an-address' is not a valid e-mail address"):
        call_command("send_test_email", "not-an-address")

    assert Message.objects.count() == 0


def test_outbox_status_counts_each_status_and_the_oldest_waiting(capsys):
    User.objects.create_user("ada@example.com", "pw")
    call_command("outbox_status")
    empty = capsys.readouterr().out

    from notifications.services import mail_enqueue

    mail_enqueue(to="ada@example.com", kind="welcome", context={})
    mail_enqueue(to="ada@example.com", kind="welcome", context={})
    call_command("outbox_status")
    busy = capsys.readouterr().out.splitlines()

    assert "queued   0" in empty
    assert "oldest waiting: none" in empty
    assert busy[:6] == ["queued   2", "sending  0", "sent     0", "failed   0", "dead     0", "dropped  0"]
    assert busy[6].startswith("oldest waiting: 0s")
