"""Rate limits: a budget such as "5/10minute" spent per key, in a store every web process shares.

`RATE_LIMIT_STORAGE` chooses the store:

- `database` (the default): one `RateLimitCounter` row per key and window, changed only by one
  atomic upsert, so every process and thread sees the same budget. A sliding window: the
  previous window's hits count with the share of it that still lies inside the last period.
  A spend is part of the caller's transaction: a caller that must count a failure and then
  raise spends outside the transaction that raises (see `members.services`).
- `redis://...`, `memory://`, ... : a storage URI of the `limits` library (moving window).
  `memory://` is per process: with several web workers each has its own budget (a system
  check warns, see `per_process_store_warning`).
"""

import hashlib
import logging
import math
import os
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

from django.conf import settings
from django.core import checks
from django.db import connection
from django.http import HttpRequest
from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from o2o.core.models import RateLimitCounter

DATABASE = "database"
PER_PROCESS_SCHEMES = ("memory://",)
PURGE_PROBABILITY = 0.01  # about one spend in a hundred deletes the counters past their windows
MAX_KEY_LENGTH = 200
logger = logging.getLogger("o2o.ratelimits")
_clock = time.time  # tests move it to cross windows


@cache
def _limiter(storage_uri: str) -> MovingWindowRateLimiter:
    return MovingWindowRateLimiter(storage_from_string(storage_uri))


def _storage() -> str:
    return settings.O2O_RATE_LIMIT_STORAGE


def is_exhausted(rate: str, *identifiers: str) -> bool:
    """True when the budget for these identifiers is used up (does not spend any)."""
    item: RateLimitItem = parse(rate)
    if _storage() == DATABASE:
        return _Window.of(item, identifiers).allowed() <= 0
    return not _limiter(_storage()).test(item, *identifiers)


def spend(rate: str, *identifiers: str) -> bool:
    """Spend one unit; False (and nothing spent) when none was left."""
    item = parse(rate)
    if _storage() == DATABASE:
        return _Window.of(item, identifiers).spend()
    return _limiter(_storage()).hit(item, *identifiers)


def reset(rate: str, *identifiers: str) -> None:
    item = parse(rate)
    if _storage() == DATABASE:
        RateLimitCounter.objects.filter(key=_key(item, identifiers)).delete()
    else:
        _limiter(_storage()).clear(item, *identifiers)


def retry_after(rate: str, *identifiers: str) -> int:
    """Whole seconds until one unit of the budget is free again (0 when one is free now)."""
    item = parse(rate)
    if _storage() == DATABASE:
        return _Window.of(item, identifiers).seconds_until_free()
    limiter = _limiter(_storage())
    if limiter.test(item, *identifiers):
        return 0
    reset_at, _remaining = limiter.get_window_stats(item, *identifiers)
    return max(1, math.ceil(reset_at - _clock()))


def client_address(request: HttpRequest) -> str:
    """The address a request came from, for per-client budgets: REMOTE_ADDR, or behind
    O2O_TRUSTED_PROXIES (a count) reverse proxies, the address the outermost trusted proxy saw.
    X-Forwarded-For is read from the right: a client can prepend anything it likes to it."""
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    proxies = int(getattr(settings, "O2O_TRUSTED_PROXIES", 0) or 0)
    if proxies <= 0:
        return remote
    forwarded = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    return forwarded[-proxies] if len(forwarded) >= proxies else (forwarded[0] if forwarded else remote)


def _key(item: RateLimitItem, identifiers: tuple[str, ...]) -> str:
    key = f"{item.amount}/{item.get_expiry()}s:" + ":".join(identifiers)
    if len(key) > MAX_KEY_LENGTH:  # long identifiers (user agents, URLs) keep a fixed-size key
        key = f"{item.amount}/{item.get_expiry()}s#" + hashlib.sha256(key.encode()).hexdigest()
    return key


@dataclass(frozen=True)
class _Window:
    """The current fixed window of one key, and how much of the previous one still counts."""

    key: str
    limit: int
    period: int
    now: float

    @classmethod
    def of(cls, item: RateLimitItem, identifiers: tuple[str, ...]) -> "_Window":
        return cls(key=_key(item, identifiers), limit=item.amount, period=item.get_expiry(), now=_clock())

    @property
    def start(self) -> int:
        return int(self.now // self.period) * self.period

    @property
    def previous_weight(self) -> float:
        return 1 - (self.now - self.start) / self.period

    def _hits(self) -> tuple[int, int]:
        rows = dict(
            RateLimitCounter.objects.filter(
                key=self.key, window_start__in=[self.start - self.period, self.start]
            ).values_list("window_start", "hits")
        )
        return rows.get(self.start - self.period, 0), rows.get(self.start, 0)

    def _current_budget(self, previous: int) -> int:
        """How many hits the current window may hold now: limit minus the previous window's share."""
        return math.floor(self.limit - previous * self.previous_weight)

    def allowed(self) -> int:
        previous, current = self._hits()
        return self._current_budget(previous) - current

    def spend(self) -> bool:
        previous, _current = self._hits()
        budget = self._current_budget(previous)
        if budget <= 0:
            return False
        granted = _upsert_hit(self.key, self.start, budget, expires_at=self.start + 2 * self.period)
        if random.random() < PURGE_PROBABILITY:  # noqa: S311 - not a secret, just a sampling rate
            purge_expired()
        return granted

    def seconds_until_free(self) -> int:
        previous, current = self._hits()
        elapsed = self.now - self.start
        if current < self.limit:
            if self._current_budget(previous) > current:
                return 0
            # wait until the previous window's share has decayed enough
            free_at = self.period * (1 - (self.limit - 1 - current) / previous)
            return max(1, math.ceil(free_at - elapsed))
        # this window is full: wait for the next one, then for this window's share to decay
        free_at = self.period + self.period * (1 - (self.limit - 1) / current)
        return max(1, math.ceil(free_at - elapsed))


def _upsert_hit(key: str, window_start: int, budget: int, *, expires_at: int) -> bool:
    """One more hit in the window unless it already holds `budget`: a single atomic statement
    (PostgreSQL re-checks the WHERE on the locked, newest row), so racing processes never
    grant more than the budget."""
    table = connection.ops.quote_name(RateLimitCounter._meta.db_table)
    expires = connection.ops.adapt_datetimefield_value(datetime.fromtimestamp(expires_at, tz=UTC))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (key, window_start, hits, expires_at) VALUES (%s, %s, 1, %s) "  # noqa: S608
            f"ON CONFLICT (key, window_start) DO UPDATE SET hits = {table}.hits + 1 "
            f"WHERE {table}.hits < %s RETURNING hits",
            [key, window_start, expires, budget],
        )
        return cursor.fetchone() is not None


def purge_expired() -> int:
    """Delete the counters whose windows no longer count."""
    now = datetime.fromtimestamp(_clock(), tz=UTC)
    deleted, _by_model = RateLimitCounter.objects.filter(expires_at__lt=now).delete()
    return deleted


def per_process_store_warning(*, storage: str, workers: int) -> str | None:
    """Why a per-process store is wrong for this many workers (None when it is fine)."""
    if workers > 1 and storage.startswith(PER_PROCESS_SCHEMES):
        return (
            f"RATE_LIMIT_STORAGE={storage} keeps the budgets in each process: with {workers} workers every "
            f"limit is {workers} times looser. Use RATE_LIMIT_STORAGE=database (the default) or redis://..."
        )
    return None


def _workers() -> int:
    """How many web processes share this setting: gunicorn.conf.py exports WEB_CONCURRENCY."""
    concurrency = os.environ.get("WEB_CONCURRENCY", "")
    return int(concurrency) if concurrency.isdigit() else 1


@checks.register(checks.Tags.security)
def check_shared_store(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Warns at every manage.py command about per-process budgets with several workers."""
    message = per_process_store_warning(storage=_storage(), workers=_workers())
    return [checks.Warning(message, id="o2o.W001")] if message else []


def log_per_process_store_warning() -> None:
    """The same warning in the log when the application loads (gunicorn runs no system checks)."""
    if message := per_process_store_warning(storage=_storage(), workers=_workers()):
        logger.warning(message)
