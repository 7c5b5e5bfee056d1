"""Reference data read on every order (promotions, the attribution matrix) kept in each process
and read again only when it changed: a snapshot with a version row.

Every write of the data bumps its version row in the writer's transaction (`bump`) and, after
commit, puts the new version under one key of Django's cache (Redis when CACHE_LOCATION is set:
every process sees it at once). A reader compares that key with the version of its snapshot:
equal, no query; different or missing, it reads the committed data again (once per change).
Without a shared cache (the in-process memory cache) another worker process's change cannot
arrive that way, so a reader also compares the version row itself at most every
`recheck_seconds()` (one small query a second per process, not per order).

A transaction that wrote the data reads it itself straight from the database, uncached, until it
ends (so a preview or a test sees its own writes, and a rollback leaves no stale snapshot).
"""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection, transaction
from django.db.models import F, Model

T = TypeVar("T")

_every: list["VersionedSnapshot[Any]"] = []


@dataclass
class _Loaded(Generic[T]):
    version: int
    value: T
    checked_at: float = field(default_factory=time.monotonic)


class VersionedSnapshot(Generic[T]):
    """`read()` kept per process, its freshness told by the row `model(pk=pk).version`."""

    def __init__(
        self, *, model: type[Model], pk: Any, read: Callable[[], T], recheck_seconds: Callable[[], float | None]
    ):
        self.model, self.pk, self.read, self.recheck_seconds = model, pk, read, recheck_seconds
        self.key = f"o2o:version:{model._meta.label_lower}:{pk}"
        self._lock = threading.Lock()
        self._loaded: _Loaded[T] | None = None
        self._writing: dict[str, object] = {}  # connection alias -> the outermost atomic block that wrote
        _every.append(self)

    def get(self) -> T:
        if self._wrote_in_this_transaction():
            return self.read()
        shared = cache.get(self.key)
        loaded = self._loaded
        if loaded is not None and shared == loaded.version and self._still_fresh(loaded):
            return loaded.value
        version, value = self._version(), self.read()
        with self._lock:
            self._loaded = _Loaded(version, value)
        if shared is None or version > shared:  # never put back an older version than a writer set
            cache.set(self.key, version, timeout=None)
        return value

    def bump(self) -> None:
        """Mark the data changed: in the writer's transaction, before it commits."""
        self.model.objects.bulk_create([self.model(pk=self.pk, version=0)], ignore_conflicts=True)
        self.model.objects.filter(pk=self.pk).update(version=F("version") + 1)
        if connection.in_atomic_block:
            self._writing[connection.alias] = connection.atomic_blocks[0]
        transaction.on_commit(self._published)

    def refresh(self) -> T:
        """Read the committed data now and publish its version (after migrations, in tests)."""
        version, value = self._version(), self.read()
        with self._lock:
            self._loaded = _Loaded(version, value)
        cache.set(self.key, version, timeout=None)
        return value

    def forget(self) -> None:
        """Drop this process's snapshot: the next reader reads the data again."""
        with self._lock:
            self._loaded = None
        self._writing.clear()

    def _version(self) -> int:
        return self.model.objects.filter(pk=self.pk).values_list("version", flat=True).first() or 0

    def _still_fresh(self, loaded: _Loaded[T]) -> bool:
        """True without a query while the cache is shared or the last look at the version row is recent."""
        every = self.recheck_seconds()
        shared = not isinstance(caches["default"], LocMemCache)
        if every is None or shared or time.monotonic() - loaded.checked_at < every:
            return True
        if self._version() != loaded.version:
            return False
        loaded.checked_at = time.monotonic()
        return True

    def _published(self) -> None:
        self._writing.pop(connection.alias, None)
        version = self._version()
        with self._lock:
            self._loaded = None
        cache.set(self.key, version, timeout=None)

    def _wrote_in_this_transaction(self) -> bool:
        block = self._writing.get(connection.alias)
        return block is not None and bool(connection.atomic_blocks) and connection.atomic_blocks[0] is block


def forget_all() -> None:
    """Every snapshot of this process dropped (a test starts from its own database)."""
    for snapshot in _every:
        snapshot.forget()
