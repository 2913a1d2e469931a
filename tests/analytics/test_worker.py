"""The running task worker keeps the daily roll-ups current (outbox_worker enqueues the roll-up task)."""

import json
import time

import pytest

from tests.notifications.conftest import manage_env, migrated_sqlite_file, process_database  # noqa: F401
from tests.notifications.test_workers import WorkerProcess, python

pytestmark = pytest.mark.django_db(transaction=True)

SETUP = """
import django
django.setup()
from django.utils import timezone
from analytics.models import Event
Event.objects.create(name="product_viewed", occurred_at=timezone.now(), visitor="f" * 32, object_id=1)
"""

STATE = """
import django, json
django.setup()
from django.utils import timezone
from analytics.models import DailyMetric
from django_tasks_db.models import DBTaskResult
row = DailyMetric.objects.filter(day=timezone.localdate(), metric="product_viewed").first()
tasks = list(DBTaskResult.objects.filter(task_path="analytics.tasks.rollup_recent").values_list("status", flat=True))
print(json.dumps({"views": row.events if row else None, "tasks": tasks}))
"""


def test_a_running_worker_rolls_up_through_the_task(process_database, tmp_path):  # noqa: F811
    env = manage_env(process_database, ANALYTICS_ROLLUP_INTERVAL="1", NOTIFY_SWEEP_INTERVAL="0")
    python(SETUP, env=env)

    worker = WorkerProcess(env, tmp_path / "worker.log", "--interval", "0.2")
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            state = json.loads(python(STATE, env=env))
            if state["views"] == 1 and "SUCCESSFUL" in state["tasks"]:
                break
            time.sleep(0.5)
    finally:
        worker.stop()
        output = worker.wait(timeout=30)

    assert state["views"] == 1, output
    assert "SUCCESSFUL" in state["tasks"]
    assert worker.returncode == 0, output


RECORD_AND_EXIT = """
import django
django.setup()
from analytics.services import event_record_for
event_record_for(name="logged_in", user_id=42, visitor="e" * 32)
"""

COUNT = """
import django
django.setup()
from analytics.models import Event
print(Event.objects.filter(name="logged_in", user_id=42).count())
"""


def test_events_still_buffered_are_written_when_the_process_exits(process_database):  # noqa: F811
    env = manage_env(process_database)

    python(RECORD_AND_EXIT, env=env)  # no explicit flush: the exit hook writes the buffer

    assert python(COUNT, env=env).strip() == "1"
