"""Running the order path's named statements (an app's `sql.py`).

Each is one short, fixed statement that runs on every order. Built by the ORM, such a statement
costs about 0.6 ms of Python to compile on the bench machine, several times what running it costs
(bench/README.md); written once as SQL it costs about 0.1 ms. The SQL is portable (PostgreSQL and
SQLite) and the app's tests run it on both. Everything else stays in the ORM.

`insert_models` is the one generic statement: the INSERT of new rows of a model, written once per
model and row count, with the values the ORM would send."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from django.db import connection, connections
from django.db.models import Field, Model

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


def insert_models(objs: Sequence[M]) -> list[M]:
    """Insert new rows of one model as `bulk_create` would, one statement per batch, and return
    them saved: keys (and columns the database fills) set, `_state` as after `save()`.

    Each value is the ORM's: the field's `pre_save(add=True)` (`auto_now_add`), then its
    `get_db_prep_save`. Only for models that need nothing more on insert: no `pre_save` or
    `post_save` receivers (this sends no signals) and no `save()` override (this calls none); no
    model of o2o has either. Where the SQL would not be the ORM's (a value that is an expression,
    such as a database default left to the database; parents, generated columns, fields with their
    own placeholders; a database without INSERT ... RETURNING), it is `bulk_create`."""
    if not objs:
        return []
    model = type(objs[0])
    plan = _insert_plan(model, keyed=_keyed(objs))
    if plan is None:
        return model._base_manager.bulk_create(objs)
    rows = []
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="insert_models")
        values = [f.pre_save(obj, True) for f in plan.fields]
        if any(hasattr(value, "resolve_expression") for value in values):
            return model._base_manager.bulk_create(objs)
        rows.append([f.get_db_prep_save(value, connection) for f, value in zip(plan.fields, values, strict=True)])
    batch = connection.ops.bulk_batch_size(plan.fields, objs) or len(objs)
    for start in range(0, len(objs), batch):
        _insert_batch(plan, objs[start : start + batch], rows[start : start + batch])
    return list(objs)


def insert_model(obj: M) -> M:
    """Insert one new row as `insert_models` does (`Model.objects.create` without its signals)."""
    return insert_models([obj])[0]


@dataclass
class _InsertPlan:
    """The columns a model's INSERT writes and reads back, and its statement per row count."""

    head: str  # INSERT INTO <table> (<columns>) VALUES
    fields: list[Field]
    returning: str  # RETURNING <columns>
    returned: list[Field]
    converters: _Converters
    statements: dict[int, str]  # by row count


# per connection and (model, whether the rows have their keys)
_plans: WeakKeyDictionary[Any, dict[tuple[type[Model], bool], _InsertPlan | None]] = WeakKeyDictionary()


def _keyed(objs: Sequence[Model]) -> bool:
    """Whether the rows bring their own keys (or their key field's default gives one)."""
    pk = objs[0]._meta.pk
    for obj in objs:
        if not obj._is_pk_set():
            obj.pk = pk.get_pk_value_on_save(obj)
    keyed = {obj._is_pk_set() for obj in objs}
    if len(keyed) > 1:
        raise ValueError("insert_models: either every row has its key or none")
    return keyed.pop()


def _insert_plan(model: type[Model], *, keyed: bool) -> _InsertPlan | None:
    by_model = _plans.setdefault(connections[connection.alias], {})
    if (model, keyed) not in by_model:
        by_model[model, keyed] = _new_plan(model, keyed=keyed)
    return by_model[model, keyed]


def _new_plan(model: type[Model], *, keyed: bool) -> _InsertPlan | None:
    opts = model._meta
    fields = [f for f in opts.concrete_fields if keyed or f is not opts.auto_field]
    plain = not opts.parents and not any(f.generated or hasattr(f, "get_placeholder") for f in fields)
    if not plain or not connection.features.can_return_rows_from_bulk_insert:
        return None
    quote = connection.ops.quote_name
    returned = list(opts.db_returning_fields)
    return _InsertPlan(
        head=f"INSERT INTO {quote(opts.db_table)} ({', '.join(quote(f.column) for f in fields)}) VALUES ",
        fields=fields,
        returning=f" RETURNING {', '.join(quote(f.column) for f in returned)}",
        returned=returned,
        converters=_converters_for(model, returned),
        statements={},
    )


def _insert_batch(plan: _InsertPlan, objs: Sequence[Model], rows: list[list[Any]]) -> None:
    if len(objs) not in plan.statements:
        row = f"({', '.join(['%s'] * len(plan.fields))})"
        plan.statements[len(objs)] = plan.head + ", ".join([row] * len(objs)) + plan.returning
    with connection.cursor() as cursor:
        cursor.execute(plan.statements[len(objs)], [value for row in rows for value in row])
        returned = cursor.fetchall()
    for obj, row in zip(objs, returned, strict=True):
        values = list(row)
        for i, functions, column in plan.converters:
            for convert in functions:
                values[i] = convert(values[i], column, connection)
        for f, value in zip(plan.returned, values, strict=True):
            setattr(obj, f.attname, value)
        obj._state.adding = False
        obj._state.db = connection.alias


def _converters_of(model: type[Model]) -> _Converters:
    by_model = _converters.setdefault(connections[connection.alias], {})
    if model not in by_model:
        by_model[model] = _converters_for(model, model._meta.concrete_fields)
    return by_model[model]


def _converters_for(model: type[Model], fields: Sequence[Field]) -> _Converters:
    """For each of `fields` read in this order that has any: its index, the converters the ORM
    would apply to its column's values, and the column."""
    found = []
    for i, f in enumerate(fields):
        column = f.get_col(model._meta.db_table)
        functions = connection.ops.get_db_converters(column) + f.get_db_converters(connection)
        if functions:
            found.append((i, functions, column))
    return found
