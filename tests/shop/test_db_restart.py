"""After a PostgreSQL restart no request fails once the server answers again: a cluster of the test's own.

A separate process on the real settings (pooled connections) holds connections across a restart: the
pool must hand out none the server closed (CONN_HEALTH_CHECKS → psycopg_pool's check), and must connect
again promptly after a long outage rather than after its doubling backoff.
"""

import os
import subprocess
import sys

import pytest
from django.db import connection

from bench.servers import PG_BIN, PostgresCluster

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql" or not (PG_BIN / "initdb").exists(),
    reason="needs PostgreSQL's binaries; runs in the PostgreSQL pass (its cluster is its own either way)",
)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

CLIENT = """
import django, sys, time
django.setup()
from django.db import DatabaseError, connection

def query():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone()[0]

query()
connection.close()  # back to the pool, which keeps it open
print("ready", flush=True)
sys.stdin.readline()  # the database is stopped now
deadline = time.monotonic() + 8
while time.monotonic() < deadline:  # requests during the outage fail, and the pool keeps retrying
    try:
        query()
    except DatabaseError:
        pass
    finally:
        connection.close()
    time.sleep(0.2)
print("waiting", flush=True)
sys.stdin.readline()  # the database answers again
failures = 0
for _ in range(10):
    try:
        query()
    except DatabaseError as exc:
        failures += 1
        print("failed:", exc, flush=True)
    finally:
        connection.close()
print("failures", failures, flush=True)
"""


def said(client: subprocess.Popen) -> str:
    """The client's next own line (its log lines, JSON, are skipped)."""
    while (line := client.stdout.readline()).startswith("{"):
        pass
    return line.strip()


def test_no_query_fails_once_the_database_is_back_after_a_restart():
    cluster = PostgresCluster(15425)
    cluster.init()
    cluster.start()
    try:
        cluster.create_database("restart")
        env = {
            "PATH": os.environ["PATH"],
            "DJANGO_SETTINGS_MODULE": "shop.settings_test",
            "DATABASE_URL": cluster.url("restart"),
            "DB_POOL_MIN_SIZE": "2",
            "DB_POOL_TIMEOUT": "3",
            "LOG_LEVEL": "CRITICAL",
        }
        client = subprocess.Popen(
            [sys.executable, "-c", CLIENT], cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert said(client) == "ready"
        cluster.stop("fast")  # terminates the pooled connections, as a restart does
        client.stdin.write("\n")
        client.stdin.flush()
        assert said(client) == "waiting"
        cluster.start()
        client.stdin.write("\n")
        client.stdin.flush()
        out, _ = client.communicate(timeout=120)
    finally:
        cluster.remove()

    assert [line for line in out.splitlines() if not line.startswith("{")][-1] == "failures 0", out
