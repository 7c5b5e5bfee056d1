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


def columns_of(model: type[Model], table: str | None = None) -> str:
    """Every column of the model's table (qualified by `table`, an alias in a join), in the order
    `fetch_models` and `fetch_joined` read them."""
    prefix = f'"{table}".' if table else ""
    return ", ".join(f'{prefix}"{field.column}"' for field in model._meta.concrete_fields)


def fetch_models(model: type[M], sql: str, params: Sequence[Any]) -> list[M]:
    """The rows `sql` selects (`SELECT <columns_of(model)> ...`) as instances of `model`, their
    values converted as the ORM converts them (`Model.from_db`)."""
    return [instance for (instance,) in fetch_joined([model], sql, params)]


def fetch_joined(models: Sequence[type[Model]], sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """The rows `sql` selects (`SELECT <columns_of(A, "a")>, <columns_of(B, "b")> ... FROM ... JOIN ...`)
    as a tuple of instances each, one per model in turn (None where an outer join found no row). The
    caller links them (`price.sku = sku`), as `select_related` would."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    readers = [_reader_of(model) for model in models]
    found = []
    for row in rows:
        at, instances = 0, []
        for model, (names, converters, pk_index) in zip(models, readers, strict=True):
            values = list(row[at : at + len(names)])
            at += len(names)
            if values[pk_index] is None:
                instances.append(None)
                continue
            for i, functions, column in converters:
                for convert in functions:
                    values[i] = convert(values[i], column, connection)
            instances.append(model.from_db(connection.alias, names, values))
        found.append(tuple(instances))
    return found


def _reader_of(model: type[Model]) -> tuple[list[str], _Converters, int]:
    fields = model._meta.concrete_fields
    return [f.attname for f in fields], _converters_of(model), fields.index(model._meta.pk)


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
