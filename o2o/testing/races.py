"""Race tests: run callables in real threads that start together, then look at what each got.

Every thread has its own database connection (Django's are per thread); it opens it before the
start line, so the calls really overlap instead of queueing behind connection set-up, and closes
it at the end, so the test database can be flushed and dropped afterwards.
"""

import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection

from o2o.core.errors import DomainError

# SQLite serialises writers on one file lock, so a race there proves nothing about row locks.
requires_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="race tests need PostgreSQL (set DATABASE_URL=postgres://...)",
)

JOIN_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class Outcome:
    """What one call returned, or the exception it raised."""

    value: Any = None
    error: BaseException | None = None


def run_together(calls: list[Callable[[], Any]], *, timeout: float = JOIN_TIMEOUT_SECONDS) -> list[Outcome]:
    """Start every call at once, each in its own thread; outcomes come back in the order of `calls`."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[Outcome | None] = [None] * len(calls)
    false_starts: list[BaseException] = []

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            try:
                connection.ensure_connection()
                barrier.wait(timeout)
            except BaseException as exc:
                false_starts.append(exc)
                barrier.abort()  # a thread that cannot start must not leave the others waiting
                return
            try:
                outcomes[index] = Outcome(value=call())
            except BaseException as exc:  # the test asserts on every outcome
                outcomes[index] = Outcome(error=exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call), daemon=True) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    if stuck := sum(thread.is_alive() for thread in threads):
        raise AssertionError(f"{stuck} of {len(threads)} racing threads did not finish within {timeout}s")
    if false_starts:
        raise AssertionError(f"racing threads could not start together: {false_starts!r}")
    return [outcome for outcome in outcomes if outcome is not None]


def values(outcomes: list[Outcome]) -> list[Any]:
    """What the calls that succeeded returned."""
    return [outcome.value for outcome in outcomes if outcome.error is None]


def domain_errors(outcomes: list[Outcome]) -> list[DomainError]:
    """The calls refused with a DomainError; fails the test on any other exception (a 500 in the API)."""
    unexpected = [o.error for o in outcomes if o.error is not None and not isinstance(o.error, DomainError)]
    assert unexpected == [], f"racing calls raised more than DomainError: {unexpected!r}\n" + "".join(
        traceback.format_exception(unexpected[0])
    )
    return [o.error for o in outcomes if isinstance(o.error, DomainError)]
