"""accounts.sessions.db with a write-through cache in front (used when CACHE_URL points at Redis).

A cache entry lives no longer than its session, so a cache hit is never an expired session; the row
stays the truth, and revocation deletes both.
"""

from django.conf import settings
from django.core.cache import caches
from django.utils import timezone

from accounts.sessions.db import SessionStore as DBStore

KEY_PREFIX = "accounts.session."


class SessionStore(DBStore):
    def __init__(self, session_key: str | None = None) -> None:
        super().__init__(session_key)
        self._cache = caches[settings.SESSION_CACHE_ALIAS]

    def _cache_key(self, session_key: str | None = None) -> str:
        return KEY_PREFIX + (session_key or self._get_or_create_session_key())

    def _cache_write(self) -> None:
        if self.session_key is None or self._row is None:
            return
        timeout = int((self._row.expire_date - timezone.now()).total_seconds())
        if timeout > 0:
            self._cache.set(self._cache_key(), {"data": self._session, "row": self._row}, timeout)

    def load(self) -> dict:
        entry = self._cache.get(self._cache_key(self.session_key)) if self.session_key else None
        if entry is not None and entry["row"].expire_date > timezone.now():
            self._row = entry["row"]
            return entry["data"]
        data = super().load()
        self._session_cache = data
        self._cache_write()
        return data

    def exists(self, session_key: str) -> bool:
        return self._cache_key(session_key) in self._cache or super().exists(session_key)

    def save(self, must_create: bool = False) -> None:
        super().save(must_create)
        self._cache_write()

    def touch(self) -> bool:
        touched = super().touch()
        if touched:
            self._cache_write()
        return touched

    def delete(self, session_key: str | None = None) -> None:
        key = session_key or self.session_key
        if key is None:
            return
        self._cache.delete(self._cache_key(key))
        super().delete(key)

    def flush(self) -> None:
        self.clear()
        self.delete(self.session_key)
        self._session_key = None
