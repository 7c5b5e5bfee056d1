"""Running the order path's named statements (an app's `sql.py`).

Each is one short, fixed statement that runs on every order. Built by the ORM, such a statement
costs about 0.6 ms of Python to compile on the bench machine, several times what running it costs
(bench/README.md); written once as SQL it costs about 0.1 ms. The SQL is portable (PostgreSQL and
SQLite) and the app's tests run it on both. Everything else stays in the ORM."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import connection


def execute(sql: str, params: Sequence[Any]) -> int:
    """Run one statement in the caller's transaction; the number of rows it changed."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def moment(value: datetime | None) -> Any:
    """A datetime as the database stores it (SQLite: naive UTC text, as the ORM writes it)."""
    return connection.ops.adapt_datetimefield_value(value)
