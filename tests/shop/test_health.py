import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_healthz_answers_without_touching_the_database(client):
    # No django_db mark: any query here would raise "Database access not allowed".
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
def test_readyz_answers_when_the_database_does(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == {"status": "ok"}
    assert body["checks"]["cache"]["status"] == "ok"
    assert body["checks"]["tasks"] == {"status": "ok", "backlog": 0, "oldest_seconds": 0}


@pytest.mark.django_db
def test_readyz_counts_the_task_backlog(client):
    from notifications import tasks

    tasks.deliver_message.enqueue(1)
    tasks.deliver_message.enqueue(2)

    assert client.get("/readyz").json()["checks"]["tasks"]["backlog"] == 2


@pytest.mark.parametrize(
    "database_url",
    ["sqlite:////nonexistent-directory/shop.sqlite3", "postgres://postgres@127.0.0.1:1/shop"],
    ids=["sqlite", "postgresql"],
)
def test_readyz_is_503_with_a_reason_when_the_database_is_down(database_url):
    code = (
        "import django; django.setup(); from django.test import Client; "
        "import json; r = Client().get('/readyz'); b = r.json(); "
        "print(r.status_code, b['status'], b['checks']['database']['status'], b['checks']['tasks']['status'])"
    )
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "shop.settings_test",
        "DATABASE_URL": database_url,
        "DB_POOL_TIMEOUT": "1",
    }
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stderr
    # Logs go to stdout too, and the pool's thread may log a failed connection after the answer's line.
    answers = [line for line in result.stdout.splitlines() if not line.startswith("{")]
    assert answers == ["503 unavailable unavailable unknown"]


def test_health_endpoints_refuse_unsafe_methods(client):
    assert client.post("/healthz").status_code == 405
