"""The push channel: `GET /live/` answers a Server-Sent Events stream (text/event-stream).

Served by the ASGI server (`make live`; uvicorn workers under gunicorn), where an idle stream costs a
coroutine and a small queue. Under a WSGI server (runserver, the test live server) the same stream runs on
the request's thread: fine for one machine, not for many clients.
"""

import asyncio
import time

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.db import connections
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from live import broker
from live.access import Plan, Refused, stream_plan


@require_GET
async def stream(request: HttpRequest) -> HttpResponse:
    try:
        plan = await sync_to_async(stream_plan)(request)
    except Refused as refused:
        response = HttpResponse(refused.reason if refused.status != 204 else b"", status=refused.status)
        response["Content-Type"] = "text/plain; charset=utf-8"
        response.session_activity = False
        return response
    try:
        broker.hub.admit(plan.visitor)
    except broker.Full as full:
        response = HttpResponse(str(full), status=429, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = "30"
        response.session_activity = False
        return response
    if broker.uses_notify():
        broker.listener.ensure_started()
        await asyncio.to_thread(broker.listener.ready.wait, 5)
    events = EventStream(plan)
    body = events if isinstance(request, ASGIRequest) else SyncBody(events)
    response = StreamingHttpResponse(body, content_type="text/event-stream")
    response["Cache-Control"] = "no-store"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    # Holding a stream open is not activity: it must not keep the session from expiring.
    response.session_activity = False
    return response


def sse(event: str, data: str = "") -> str:
    lines = "".join(f"data: {line}\n" for line in (data.splitlines() or [""]))
    return f"event: {event}\n{lines}\n"


class EventStream:
    """One browser's stream: subscribes on the loop that runs it, ends at the plan's end, when idle or behind."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self._released = False

    def close(self) -> None:
        """Django calls this when the response ends, whether the stream ever started or not."""
        if not self._released:
            self._released = True
            broker.hub.release(self.plan.visitor)

    def __aiter__(self):
        return self._run(release_db=sync_to_async(connections.close_all))

    async def _run(self, release_db=None):
        # The session and user were read on this request's thread; a stream lasting hours must not hold
        # that database connection (or a pool slot) meanwhile.
        if release_db is not None:
            await release_db()
        subscription = broker.hub.subscribe(self.plan.topics, asyncio.get_running_loop())
        try:
            yield f"retry: {settings.LIVE_RETRY_MS}\n: open\n\n"
            ends = time.monotonic() + max(0.0, (self.plan.ends_at - timezone.now()).total_seconds())
            idle_until = time.monotonic() + settings.LIVE_IDLE_TIMEOUT
            while True:
                left = min(ends, idle_until) - time.monotonic()
                if left <= 0:
                    return
                try:
                    message = await asyncio.wait_for(
                        subscription.queue.get(), timeout=min(settings.LIVE_HEARTBEAT, left)
                    )
                except TimeoutError:
                    yield ": ping\n\n"  # finds dead peers, keeps proxies from timing the stream out
                    continue
                yield sse(message.event, message.data)
                idle_until = time.monotonic() + settings.LIVE_IDLE_TIMEOUT
                if subscription.overflowed:
                    return
        finally:
            broker.hub.unsubscribe(subscription)
            self.close()

    def sync(self):
        """The same stream for a WSGI server: the coroutine runs on a private event loop in this thread."""
        connections.close_all()
        loop = asyncio.new_event_loop()
        chunks = self._run()
        try:
            while True:
                try:
                    yield loop.run_until_complete(chunks.__anext__())
                except StopAsyncIteration:
                    return
        finally:
            loop.run_until_complete(chunks.aclose())
            loop.close()
            self.close()


class SyncBody:
    """A WSGI body over EventStream.sync() whose close() releases the stream even if it never started."""

    def __init__(self, events: EventStream):
        self.events = events
        self.chunks = events.sync()

    def __iter__(self):
        return self.chunks

    def close(self) -> None:
        self.chunks.close()
        self.events.close()
