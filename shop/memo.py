"""Values every request of one catalog version shares, kept in the process: the category tree, the facet
definitions.

They depend on nothing but the catalog's rows, and the catalog version (catalog.selectors.catalog_version,
read once per request from the database) changes whenever one of those rows does, so a value kept under its
version is never stale, in this process or any other: the next request after an edit reads a new version and
builds the value again. This is not the shared cache (`CACHE_URL`): it needs no server, costs no
unpickling, and works with the cache off (`dummycache://`). The few newest versions are kept; the values
are shared by the threads of a process and must not be changed by their readers.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T")


class VersionMemo:
    """Up to `size` values, the least recently used dropped first."""

    def __init__(self, size: int = 4):
        self._size = size
        self._values: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], T]) -> T:
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
        value = build()  # outside the lock: two threads may build the same value once each, never a wrong one
        with self._lock:
            self._values[key] = value
            self._values.move_to_end(key)
            while len(self._values) > self._size:
                self._values.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


_all: list[VersionMemo] = []


def version_memo(size: int = 4) -> VersionMemo:
    memo = VersionMemo(size)
    _all.append(memo)
    return memo


def clear_all() -> None:
    """Forget every kept value (tests that change rows without changing the version's inputs)."""
    for memo in _all:
        memo.clear()
