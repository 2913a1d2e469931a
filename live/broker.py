"""The fan-out: one message per event to every process, and inside a process to the streams that asked for it.

- PostgreSQL: one `NOTIFY shop_live` per event, sent by whichever process raised it (web worker, task
  worker, webhook); every process serving streams holds one `LISTEN` connection (a thread) and hands each
  message to the streams subscribed to its topic. No Redis: the shop keeps serving when Redis is down.
- Any other database (SQLite on one machine): the message goes straight to this process's streams. One
  web process serves everything there (`make run`); events raised in the task worker's process
  (reconciliation, expiry) reach the open page through its polling instead.

Delivery never waits on a browser: each stream has a bounded queue, filled without blocking from the
stream's own event loop; a stream that falls LIVE_QUEUE_SIZE messages behind is closed (the browser
reconnects and re-fetches what it shows).
"""

import asyncio
import json
import logging
import threading
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connections

logger = logging.getLogger(__name__)

CHANNEL = "shop_live"
# Sent to every stream after the process may have missed messages (its LISTEN connection was lost).
RESYNC = "live-resync"


@dataclass(frozen=True)
class Message:
    topic: str
    event: str
    data: str = ""

    def dumps(self) -> str:
        return json.dumps({"t": self.topic, "e": self.event, "d": self.data}, separators=(",", ":"))

    @classmethod
    def loads(cls, payload: str) -> "Message":
        raw = json.loads(payload)
        return cls(topic=str(raw["t"]), event=str(raw["e"]), data=str(raw.get("d", "")))


@dataclass(eq=False)
class Subscription:
    """One open stream: its topics, the event loop it runs on and its queue (only touched from that loop)."""

    topics: frozenset[str]
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue = field(init=False)
    overflowed: bool = False

    def __post_init__(self):
        self.queue = asyncio.Queue(maxsize=settings.LIVE_QUEUE_SIZE)

    def offer(self, message: Message) -> None:
        if self.overflowed:
            return
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.overflowed = True


class Full(Exception):
    """The process or the visitor has as many streams open as allowed."""


class Hub:
    """This process's streams by topic, and the connection caps. Thread-safe: WSGI streams run on threads."""

    def __init__(self):
        self._lock = threading.Lock()
        self._topics: dict[str, set[Subscription]] = {}
        self._visitors: dict[str, int] = {}
        self.connections = 0

    def admit(self, visitor: str) -> None:
        """Count one more stream for `visitor`, or raise Full."""
        with self._lock:
            if self.connections >= settings.LIVE_MAX_CONNECTIONS:
                raise Full("This server has as many live connections as it takes; retrying later.")
            if self._visitors.get(visitor, 0) >= settings.LIVE_MAX_PER_VISITOR:
                raise Full("Too many live connections from this browser; close some tabs.")
            self.connections += 1
            self._visitors[visitor] = self._visitors.get(visitor, 0) + 1

    def release(self, visitor: str) -> None:
        with self._lock:
            self.connections -= 1
            left = self._visitors.get(visitor, 1) - 1
            if left > 0:
                self._visitors[visitor] = left
            else:
                self._visitors.pop(visitor, None)

    def subscribe(self, topics: frozenset[str], loop: asyncio.AbstractEventLoop) -> Subscription:
        subscription = Subscription(topics=topics, loop=loop)
        with self._lock:
            for topic in topics:
                self._topics.setdefault(topic, set()).add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            for topic in subscription.topics:
                streams = self._topics.get(topic)
                if streams is not None:
                    streams.discard(subscription)
                    if not streams:
                        del self._topics[topic]

    def dispatch(self, message: Message) -> int:
        """Hand `message` to every stream of its topic without waiting for any; returns how many."""
        with self._lock:
            streams = list(self._topics.get(message.topic, ()))
        for subscription in streams:
            _offer(subscription, message)
        return len(streams)

    def resync_all(self) -> None:
        with self._lock:
            streams = {subscription for group in self._topics.values() for subscription in group}
        for subscription in streams:
            _offer(subscription, Message(topic="", event=RESYNC))


def _offer(subscription: Subscription, message: Message) -> None:
    try:
        subscription.loop.call_soon_threadsafe(subscription.offer, message)
    except RuntimeError:  # the stream's loop has just closed: that stream is gone
        pass


hub = Hub()


def uses_notify() -> bool:
    return connections["default"].vendor == "postgresql"


def send(message: Message) -> None:
    """The one fan-out of an event: a NOTIFY on PostgreSQL, this process's streams otherwise."""
    if uses_notify():
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, %s)", [CHANNEL, message.dumps()])
    else:
        hub.dispatch(message)


class Listener:
    """The process's LISTEN connection (PostgreSQL), on a daemon thread started by the first stream.

    It reconnects every LIVE_RECONNECT_DELAY seconds while the server is away, and then tells every
    stream to re-sync, since NOTIFYs sent meanwhile are lost.
    """

    def __init__(self, target: Hub):
        self.hub = target
        self.ready = threading.Event()
        self._started = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def ensure_started(self) -> None:
        with self._lock:
            if self._started:
                return
            self._started = True
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="live-listener", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Close the LISTEN connection (within a second) and wait for the thread to end."""
        self._stop.set()
        with self._lock:
            thread, self._thread, self._started = self._thread, None, False
        if thread is not None:
            thread.join(timeout=5)

    def _conninfo(self) -> dict:
        params = connections["default"].settings_dict
        info = {"dbname": params["NAME"], "user": params.get("USER") or None}
        info.update({k: v for k, v in (("password", params.get("PASSWORD")), ("host", params.get("HOST"))) if v})
        if params.get("PORT"):
            info["port"] = params["PORT"]
        return info

    def _run(self) -> None:
        import psycopg

        lost = False
        while not self._stop.is_set():
            try:
                with psycopg.connect(**self._conninfo(), autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.ready.set()
                    if lost:
                        logger.info("live: listening again; streams re-sync")
                        self.hub.resync_all()
                    while not self._stop.is_set():
                        for notify in conn.notifies(timeout=1.0):
                            self._deliver(notify.payload)
            except psycopg.Error as exc:
                self.ready.clear()
                if not lost:
                    logger.warning("live: lost the LISTEN connection (%s); retrying", exc.__class__.__name__)
                lost = True
                time.sleep(settings.LIVE_RECONNECT_DELAY)
        self.ready.clear()

    def _deliver(self, payload: str) -> None:
        try:
            message = Message.loads(payload)
        except (ValueError, KeyError, TypeError):
            logger.warning("live: ignored a malformed message on %s", CHANNEL)
            return
        self.hub.dispatch(message)


listener = Listener(hub)
