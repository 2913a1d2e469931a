"""`db_worker` on every queue, plus the outbox sweep every NOTIFY_SWEEP_INTERVAL seconds and the
analytics roll-up task enqueued every ANALYTICS_ROLLUP_INTERVAL seconds.

The worker outlives database outages: where db_worker would exit on an OperationalError, it closes its
connections, waits (1 s, doubling up to WORKER_BACKOFF_MAX_SECONDS), logs once per outage, and goes on.
"""

import logging
import os
import threading
import time

from django.conf import settings
from django.core.management.base import CommandError
from django.db import InterfaceError, OperationalError, connection, connections
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand
from django_tasks_db.management.commands.db_worker import Worker

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


class OutageProofWorker(Worker):
    """db_worker's loop, resumed after a lost database instead of exiting with it."""

    def run(self) -> None:
        while self.running:
            try:
                super().run()
                return
            except (OperationalError, InterfaceError) as exc:
                logger.warning("database unavailable, worker waiting", extra={"error": str(exc).strip()})
            self.startup_delay = False
            down_since, wait = time.monotonic(), 1.0
            connections.close_all()
            while self.running and not self._database_answers():
                time.sleep(wait)
                wait = min(wait * 2, settings.WORKER_BACKOFF_MAX_SECONDS)
            logger.warning(
                "database available again, worker resumes",
                extra={"outage_seconds": round(time.monotonic() - down_since, 1)},
            )

    @staticmethod
    def _database_answers() -> bool:
        try:
            connection.ensure_connection()
            return True
        except (OperationalError, InterfaceError):
            connections.close_all()
            return False


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
        self.work(**options)

    def work(self, *, verbosity, queue_name, exclude_queues, reload, batch, **options) -> None:
        """db_worker's handle(), with the outage-proof worker."""
        self.configure_logging(verbosity)
        reload = reload and not batch
        queue_names = queue_name.split(",")
        excluded = exclude_queues.split(",") if exclude_queues else []
        if excluded and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = OutageProofWorker(
            queue_names=queue_names,
            excluded_queue_names=excluded,
            batch=batch,
            interval=options["interval"],
            backend_name=options["backend_name"],
            startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"],
            worker_id=options["worker_id"],
        )
        if not reload:
            worker.configure_signals()
            worker.run()
            return
        if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
            worker.configure_signals()  # only the child that works handles signals
        run_with_reloader(worker.run)
