"""Throttling: how django-axes names an account, and a small cache-based failure counter for the gate.

The counter lives in the cache (shared by all instances when CACHE_URL points at Redis).
"""

import hashlib

from django.core.cache import cache
from django.http import HttpRequest


def login_username(request: HttpRequest, credentials: dict | None) -> str | None:
    """The e-mail address tried, lower-cased, so Alice@x and alice@x share one failure count."""
    value = (credentials or {}).get("username") or request.POST.get("username")
    if not value:
        return None
    return str(value).strip().lower()[:254]


def _key(scope: str, subject: str) -> str:
    return f"throttle:{scope}:{hashlib.sha256(subject.encode()).hexdigest()}"


def throttle_blocked(scope: str, subject: str, limit: int) -> bool:
    """True once `subject` has failed `limit` times within the current window."""
    return (cache.get(_key(scope, subject)) or 0) >= limit


def throttle_fail(scope: str, subject: str, window_seconds: int) -> None:
    """Count one failure; the window starts with the first failure."""
    key = _key(scope, subject)
    if not cache.add(key, 1, window_seconds):
        try:
            cache.incr(key)
        except ValueError:
            cache.add(key, 1, window_seconds)
