"""Task workers outlive outages: a PostgreSQL restart and an SMTP outage, real servers of the test's own.

Two `outbox_worker` processes on a PostgreSQL cluster started for this module (bench/servers.py), mail to
an aiosmtpd server in this process. The database is stopped under them and started again, the mail server
too; both workers must still run, and every message must arrive exactly once.
"""

import subprocess
import sys
import time
from collections import Counter

import pytest
from django.db import connection

from bench.servers import PG_BIN, PostgresCluster, SmtpSink

from .conftest import ROOT, manage, manage_env
from .test_workers import ENQUEUE, WorkerProcess

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql" or not (PG_BIN / "initdb").exists(),
    reason="needs PostgreSQL's binaries; runs in the PostgreSQL pass (its cluster is its own either way)",
)
PG_PORT, SMTP_PORT = 15420, 15421


@pytest.fixture(scope="module")
def cluster():
    pg = PostgresCluster(PG_PORT)
    pg.init()
    pg.start()
    pg.create_database("outage")
    yield pg
    pg.remove()


def enqueue(env: dict, count: int) -> None:
    result = subprocess.run(
        [sys.executable, "-c", ENQUEUE, str(count), "distinct"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def sent(env: dict) -> int:
    code = "import django; django.setup(); from notifications.models import Message; "
    code += "print(Message.objects.filter(status='sent').count())"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    return int(result.stdout.strip() or -1) if result.returncode == 0 else -1


def test_workers_survive_a_database_restart_and_an_smtp_outage_and_send_each_mail_once(cluster, tmp_path):
    smtp = SmtpSink(SMTP_PORT)
    smtp.start()
    env = manage_env(
        cluster.url("outage"),
        EMAIL_URL=f"smtp://127.0.0.1:{SMTP_PORT}",
        EMAIL_TIMEOUT="2",
        NOTIFY_BACKOFF_SECONDS="1",
        NOTIFY_BACKOFF_MAX_SECONDS="2",
        NOTIFY_SENDING_TIMEOUT="15",
        NOTIFY_RATE_PER_RECIPIENT_HOUR="0",
        WORKER_BACKOFF_MAX_SECONDS="2",
        DB_POOL_TIMEOUT="1",  # shorter than the outage: the workers do see OperationalError
        ANALYTICS_ROLLUP_INTERVAL="0",
        LOG_LEVEL="WARNING",
    )
    assert manage("migrate", "--noinput", env=env).returncode == 0
    workers = [WorkerProcess(env, tmp_path / f"worker{n}.log", "--sweep-interval", "1") for n in (1, 2)]
    try:
        enqueue(env, 20)
        cluster.stop("fast")  # terminates every connection, as a restart or failover does
        time.sleep(4)
        cluster.start()
        smtp.stop()
        enqueue(env, 20)
        time.sleep(3)
        smtp.start()
        deadline = time.monotonic() + 60
        while sent(env) < 40 and time.monotonic() < deadline:
            time.sleep(0.5)

        assert [w.process.poll() for w in workers] == [None, None], [w.log.read_text()[-2000:] for w in workers]
        assert sent(env) == 40
        assert len(smtp.received) == 40, Counter(smtp.received).most_common(3)
        assert len(set(smtp.received)) == 40
        logs = "".join(w.log.read_text() for w in workers)
        assert "database unavailable, worker waiting" in logs
        assert "database available again, worker resumes" in logs
    finally:
        for worker in workers:
            worker.stop()
        for worker in workers:
            worker.wait(timeout=30)
        smtp.stop()
