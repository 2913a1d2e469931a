"""Streams read over real HTTP as a browser's EventSource reads them (http.client, a session cookie).

Kept out of conftest.py so that every test module and the conftest share one registry of open streams.
"""

import http.client
import time
import urllib.parse
from dataclasses import dataclass

from django.conf import settings


@dataclass
class Event:
    name: str
    data: str


OPEN: list["Stream"] = []


class Stream:
    """One SSE stream read as a browser's EventSource reads it (http.client, a session cookie)."""

    def __init__(self, base: str, path: str = "/live/", cookie: str | None = None, timeout: float = 5):
        OPEN.append(self)
        url = urllib.parse.urlsplit(base)
        self.conn = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
        headers = {"Accept": "text/event-stream"}
        if cookie:
            headers["Cookie"] = f"{settings.SESSION_COOKIE_NAME}={cookie}"
        self.conn.request("GET", path, headers=headers)
        self.sock = self.conn.sock  # http.client lets go of it once a response without keep-alive arrives
        self.response = self.conn.getresponse()
        self.status = self.response.status
        self.body = b"" if self.status == 200 else self.response.read()

    def next_event(self, timeout: float = 5) -> Event | None:
        """The next event (comments skipped); None when the server ended the stream."""
        self.sock.settimeout(timeout)
        deadline = time.monotonic() + timeout
        name, data = "message", []
        while True:
            if time.monotonic() > deadline:  # keep-alive comments alone do not count as an event
                raise TimeoutError(f"no event within {timeout}s")
            line = self.response.readline()
            if not line:
                return None
            line = line.decode().rstrip("\n")
            if not line:
                if data or name != "message":
                    return Event(name, "\n".join(data))
                continue
            if line.startswith(":") or line.startswith("retry:"):
                continue
            field, _, value = line.partition(":")
            if field == "event":
                name = value.strip()
            elif field == "data":
                data.append(value.removeprefix(" "))

    def opened(self) -> "Stream":
        """Wait for the server's first bytes (the stream is subscribed by then)."""
        assert self.status == 200, (self.status, self.body)
        self.sock.settimeout(5)
        assert self.response.readline().startswith(b"retry:")
        return self

    def close(self) -> None:
        self.response.close()  # the response holds the socket (http.client handed it over)
        self.sock.close()
        self.conn.close()


def session_cookie(client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value
