"""`db_worker` on every queue, plus the outbox sweep every NOTIFY_SWEEP_INTERVAL seconds and the
analytics roll-up task enqueued every ANALYTICS_ROLLUP_INTERVAL seconds."""

import logging
import os
import threading
import time

from django.conf import settings
from django.db import connection
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from notifications.services import outbox_sweep

logger = logging.getLogger(__name__)


def sweep_forever(interval: float) -> None:
    while True:
        time.sleep(interval)
        try:
            result = outbox_sweep()
            if result.stuck or result.lost:
                logger.warning("outbox sweep re-queued messages", extra={"stuck": result.stuck, "lost": result.lost})
        except Exception:
            # A database outage must not kill the worker: log it and try again next interval.
            logger.exception("outbox sweep failed")
        finally:
            connection.close()


def enqueue_rollups_forever(interval: float) -> None:
    """analytics (issue 8): keep the daily roll-ups current through a task any worker may run."""
    from analytics.tasks import rollup_recent

    while True:
        try:
            rollup_recent.enqueue()
        except Exception:
            logger.exception("enqueueing the analytics roll-up failed")
        finally:
            connection.close()
        time.sleep(interval)


class Command(DbWorkerCommand):
    help = "Run a task worker on every queue (db_worker --queue-name '*') that also sweeps the outbox."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.set_defaults(queue_name="*")
        parser.add_argument(
            "--sweep-interval",
            type=float,
            default=settings.NOTIFY_SWEEP_INTERVAL,
            help="seconds between outbox sweeps; 0 turns the sweep off (default: NOTIFY_SWEEP_INTERVAL)",
        )

    def handle(self, *args, sweep_interval, **options):
        reloading = options["reload"] and not options["batch"]
        # With --reload the parent process only watches files; the sweep runs in the child that works.
        if sweep_interval > 0 and (not reloading or os.environ.get(DJANGO_AUTORELOAD_ENV) == "true"):
            thread = threading.Thread(target=sweep_forever, args=(sweep_interval,), name="outbox-sweep", daemon=True)
            thread.start()
        rollup_interval = settings.ANALYTICS_ROLLUP_INTERVAL
        if (
            rollup_interval > 0
            and not options["batch"]
            and (not reloading or os.environ.get(DJANGO_AUTORELOAD_ENV) == "true")
        ):
            thread = threading.Thread(
                target=enqueue_rollups_forever, args=(rollup_interval,), name="analytics-rollup", daemon=True
            )
            thread.start()
        super().handle(*args, **options)
