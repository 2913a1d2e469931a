"""A Redis cache that degrades instead of failing: with Redis down every call acts as a miss.

The shop uses its cache only to go faster (sessions are rows in the database, catalog fragments can be
rendered again), so a cache error must never become a 500. Each process keeps a small breaker:
- the first error opens it: for CACHE_RETRY_INTERVAL seconds calls return their default at once, without
  waiting on a dead server; then one call tries Redis again;
- errors are logged at most once per CACHE_ERROR_LOG_INTERVAL seconds, and the recovery once;
- a write or delete that could not reach Redis leaves an old value there, so its key is remembered and
  deleted first when Redis answers again (a revoked session's entry cannot come back). Past
  STALE_KEYS_MAX remembered keys the whole cache database is cleared instead.
"""

import logging
import threading
import time

import redis
from django.conf import settings
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)

STALE_KEYS_MAX = 10_000


class DegradingRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._lock = threading.Lock()
        self._down_until = 0.0
        self._logged_at = float("-inf")
        self._last_error = ""
        self._stale: set[tuple[str, int | None]] = set()
        self._clear_on_recovery = False

    # --- the breaker ---------------------------------------------------------------------------------

    def degraded(self) -> str:
        """The last error while the breaker is open, else "" (for /readyz)."""
        return self._last_error if time.monotonic() < self._down_until else ""

    def ping(self) -> str:
        """Ask Redis now (unless the breaker is open); the error, or "" when it answered."""
        if self._call(False, lambda: self._cache.get_client().ping()):
            return ""
        return self._last_error or "no answer"

    def _call(self, default, operation, stale=()):
        if time.monotonic() < self._down_until:
            self._remember(stale)
            return default
        try:
            if self._stale or self._clear_on_recovery:
                self._recover()
            result = operation()
        except redis.RedisError as exc:
            self._failed(exc)
            self._remember(stale)
            return default
        if self._last_error:
            self._last_error = ""
            logger.warning("cache available again")
        return result

    def _failed(self, exc: Exception) -> None:
        now = time.monotonic()
        with self._lock:
            self._down_until = now + settings.CACHE_RETRY_INTERVAL
            self._last_error = f"{type(exc).__name__}: {exc}"
            log = now - self._logged_at >= settings.CACHE_ERROR_LOG_INTERVAL
            if log:
                self._logged_at = now
        if log:
            logger.warning(
                "cache unavailable, serving without it",
                extra={"error": self._last_error, "retry_every": settings.CACHE_RETRY_INTERVAL},
            )

    def _remember(self, keys) -> None:
        if not keys:
            return
        with self._lock:
            self._stale.update(keys)
            if len(self._stale) > STALE_KEYS_MAX:
                self._stale.clear()
                self._clear_on_recovery = True

    def _recover(self) -> None:
        with self._lock:
            stale, self._stale = self._stale, set()
            clear, self._clear_on_recovery = self._clear_on_recovery, False
        try:
            if clear:
                super().clear()
            by_version: dict[int | None, list[str]] = {}
            for key, version in stale:
                by_version.setdefault(version, []).append(key)
            for version, keys in by_version.items():
                super().delete_many(keys, version=version)
        except redis.RedisError:
            with self._lock:
                self._stale |= stale
                self._clear_on_recovery |= clear
            raise
        if stale or clear:
            logger.info("stale cache entries removed", extra={"keys": len(stale), "cleared": clear})

    # --- the cache API ------------------------------------------------------------------------------

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(
            False, lambda: super(DegradingRedisCache, self).add(key, value, timeout, version), [(key, version)]
        )

    def get(self, key, default=None, version=None):
        return self._call(default, lambda: super(DegradingRedisCache, self).get(key, default, version))

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(
            None, lambda: super(DegradingRedisCache, self).set(key, value, timeout, version), [(key, version)]
        )

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(
            False, lambda: super(DegradingRedisCache, self).touch(key, timeout, version), [(key, version)]
        )

    def delete(self, key, version=None):
        return self._call(False, lambda: super(DegradingRedisCache, self).delete(key, version), [(key, version)])

    def get_many(self, keys, version=None):
        return self._call({}, lambda: super(DegradingRedisCache, self).get_many(keys, version))

    def has_key(self, key, version=None):
        return self._call(False, lambda: super(DegradingRedisCache, self).has_key(key, version))

    def incr(self, key, delta=1, version=None):
        # No stand-in for a counter: the caller gets ValueError, as for a missing key.
        missing = object()
        value = self._call(
            missing, lambda: super(DegradingRedisCache, self).incr(key, delta, version), [(key, version)]
        )
        if value is missing:
            raise ValueError(f"Key '{key}' not found (cache unavailable)")
        return value

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        keys = [(key, version) for key in data]
        return self._call(list(data), lambda: super(DegradingRedisCache, self).set_many(data, timeout, version), keys)

    def delete_many(self, keys, version=None):
        keys = list(keys)
        stale = [(key, version) for key in keys]
        return self._call(None, lambda: super(DegradingRedisCache, self).delete_many(keys, version), stale)

    def clear(self):
        with self._lock:
            self._stale.clear()
        if not self._call(False, lambda: super(DegradingRedisCache, self).clear() or True):
            with self._lock:
                self._clear_on_recovery = True
