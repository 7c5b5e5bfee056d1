"""Running the order path's named statements (an app's `sql.py`).

Each is one short, fixed statement that runs on every order. Built by the ORM, such a statement
costs about 0.6 ms of Python to compile on the bench machine, several times what running it costs
(bench/README.md); written once as SQL it costs about 0.1 ms. The SQL is portable (PostgreSQL and
SQLite) and the app's tests run it on both. Everything else stays in the ORM."""

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from django.db import connection, connections
from django.db.models import Model

M = TypeVar("M", bound=Model)

# per connection and model: (column index, the converters the ORM would apply, the column)
_Converters = list[tuple[int, list[Callable[..., Any]], Any]]
_converters: WeakKeyDictionary[Any, dict[type[Model], _Converters]] = WeakKeyDictionary()


def execute(sql: str, params: Sequence[Any]) -> int:
    """Run one statement in the caller's transaction; the number of rows it changed."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def moment(value: datetime | None) -> Any:
    """A datetime as the database stores it (SQLite: naive UTC text, as the ORM writes it)."""
    return connection.ops.adapt_datetimefield_value(value)


def columns_of(model: type[Model]) -> str:
    """Every column of the model's table, in the order `fetch_models` reads them."""
    return ", ".join(f'"{field.column}"' for field in model._meta.concrete_fields)


def fetch_models(model: type[M], sql: str, params: Sequence[Any]) -> list[M]:
    """The rows `sql` selects (`SELECT <columns_of(model)> ...`) as instances of `model`, their
    values converted as the ORM converts them (`Model.from_db`)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    names = [field.attname for field in model._meta.concrete_fields]
    converters = _converters_of(model)
    instances = []
    for row in rows:
        values = list(row)
        for i, functions, column in converters:
            for convert in functions:
                values[i] = convert(values[i], column, connection)
        instances.append(model.from_db(connection.alias, names, values))
    return instances


def _converters_of(model: type[Model]) -> _Converters:
    by_model = _converters.setdefault(connections[connection.alias], {})
    if model not in by_model:
        found = []
        for i, field in enumerate(model._meta.concrete_fields):
            column = field.get_col(model._meta.db_table)
            functions = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
            if functions:
                found.append((i, functions, column))
        by_model[model] = found
    return by_model[model]
