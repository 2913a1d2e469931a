"""The per-process event buffer: requests append in memory, a background thread writes batches.

Why: a shopper's request must not wait on a write (nor on SQLite's single writer lock). A request only
appends to a list under a lock; a daemon thread writes everything buffered every ANALYTICS_FLUSH_INTERVAL
seconds (sooner when ANALYTICS_BATCH_SIZE events are waiting) in one bulk INSERT, and an `atexit` hook
writes the rest when the process ends (gunicorn workers run it on SIGTERM and graceful reloads).
What a crash (SIGKILL, OOM) loses: the events of the last flush interval of that process.
With ANALYTICS_FLUSH_INTERVAL=0 (tests) there is no thread: events wait for an explicit `flush()`.

Searches typed as you type ("l", "la", "lam", "lamp") arrive as one request per pause; a visitor's search
waits ANALYTICS_SEARCH_SETTLE seconds and is replaced by a longer (or shorter) query of the same visitor,
so the statistics see the search the shopper meant, once.
"""

import atexit
import logging
import os
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction

from analytics.models import Event, EventName

logger = logging.getLogger(__name__)


@dataclass
class RecorderStats:
    """Counters of this process since it started (shown on the report page, logged on failures)."""

    recorded: int = 0
    written: int = 0
    dropped: int = 0
    failed: int = 0


class Recorder:
    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._events: list[Event] = []
        # actor key -> (monotonic time, search event) still allowed to be replaced
        self._searches: dict[str, tuple[float, Event]] = {}
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()
        self.stats = RecorderStats()

    # --- requests -------------------------------------------------------------------------------

    def add(self, event: Event, actor: str) -> None:
        """Buffer one event (never blocks on the database)."""
        if self._pid != os.getpid():  # forked (gunicorn --preload): the parent's buffer and thread are not ours
            self._reset()
        with self._lock:
            if event.name == EventName.SEARCH and actor:
                self._add_search(event, actor)
            elif len(self._events) + len(self._searches) >= settings.ANALYTICS_BUFFER_MAX:
                self.stats.dropped += 1
                self._log_drop()
                return
            else:
                self._events.append(event)
            self.stats.recorded += 1
            full = len(self._events) >= settings.ANALYTICS_BATCH_SIZE
        self._ensure_thread()
        if full:
            self._wake.set()

    def _add_search(self, event: Event, actor: str) -> None:
        now = time.monotonic()
        previous = self._searches.get(actor)
        if previous is not None:
            at, earlier = previous
            same_search = event.query.startswith(earlier.query) or earlier.query.startswith(event.query)
            if same_search and now - at < settings.ANALYTICS_SEARCH_SETTLE:
                self.stats.recorded -= 1  # the earlier one is replaced, not added
                self._searches[actor] = (now, event)
                return
            self._events.append(earlier)
        if len(self._events) + len(self._searches) >= settings.ANALYTICS_BUFFER_MAX:
            self.stats.recorded -= 1
            self.stats.dropped += 1
            self._searches.pop(actor, None)
            return
        self._searches[actor] = (now, event)

    def _log_drop(self) -> None:
        if self.stats.dropped in (1, 10, 100) or self.stats.dropped % 1000 == 0:
            logger.warning("analytics buffer full: events dropped", extra={"dropped": self.stats.dropped})

    def count_failure(self) -> None:
        with self._lock:
            self.stats.failed += 1

    # --- writing --------------------------------------------------------------------------------

    def flush(self, *, settle_all: bool = True) -> int:
        """Write what is buffered in one INSERT; returns the number written.

        A database outage (OperationalError) keeps the batch for the next flush, as far as the buffer
        allows; rows the database refuses (bad data) are dropped. Both are logged and counted.
        """
        with self._lock:
            now = time.monotonic()
            for actor, (at, event) in list(self._searches.items()):
                if settle_all or now - at >= settings.ANALYTICS_SEARCH_SETTLE:
                    self._events.append(event)
                    del self._searches[actor]
            batch, self._events = self._events, []
        if not batch:
            return 0
        try:
            # A savepoint when called inside a transaction: a refused batch must not break the caller's.
            with transaction.atomic():
                Event.objects.bulk_create(batch, batch_size=settings.ANALYTICS_BATCH_SIZE)
        except (OperationalError, InterfaceError):
            logger.exception("analytics: writing events failed; keeping them for the next flush")
            with self._lock:
                room = max(settings.ANALYTICS_BUFFER_MAX - len(self._events), 0)
                self._events[:0] = batch[:room]
                self.stats.failed += 1
                self.stats.dropped += len(batch) - min(room, len(batch))
            return 0
        except Exception:
            logger.exception("analytics: the database refused a batch of events; dropped", extra={"size": len(batch)})
            with self._lock:
                self.stats.failed += 1
                self.stats.dropped += len(batch)
            return 0
        with self._lock:
            self.stats.written += len(batch)
        return len(batch)

    def discard(self) -> None:
        """Forget everything buffered and the counters (tests start from nothing)."""
        with self._lock:
            self._events, self._searches = [], {}
            self.stats = RecorderStats()

    # --- the background thread ------------------------------------------------------------------

    def _ensure_thread(self) -> None:
        interval = settings.ANALYTICS_FLUSH_INTERVAL
        if interval <= 0 or (self._thread is not None and self._thread.is_alive()):
            return
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._thread = threading.Thread(target=self._run, args=(interval,), name="analytics-flush", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop the background thread after a last flush (tests; the process exit flushes anyway)."""
        thread = self._thread
        if thread is not None:
            self._stopping.set()
            self._wake.set()
            thread.join(timeout=10)
            self._thread = None
            self._stopping.clear()

    def _run(self, interval: float) -> None:
        while not self._stopping.is_set():
            self._wake.wait(interval)
            self._wake.clear()
            try:
                self.flush(settle_all=False)
            except Exception:  # never let the thread die: the next interval tries again
                logger.exception("analytics flush thread: unexpected error")
            finally:
                connection.close()


recorder = Recorder()


@atexit.register
def _flush_at_exit() -> None:
    if recorder._pid == os.getpid():
        recorder.flush()
