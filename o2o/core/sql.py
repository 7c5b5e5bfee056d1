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
from functools import cache
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, router
from django.db.models import Field, Model
from django.db.models.constants import OnConflict

M = TypeVar("M", bound=Model)

# per connection and model: (column index, the converters the ORM would apply, the column)
_Converters = list[tuple[int, list[Callable[..., Any]], Any]]
_converters: WeakKeyDictionary[Any, dict[type[Model], _Converters]] = WeakKeyDictionary()


def execute(sql: str, params: Sequence[Any]) -> int:
    """Run one statement in the caller's transaction; the number of rows it changed."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def fetch_row(sql: str, params: Sequence[Any]) -> tuple[Any, ...] | None:
    """The first row `sql` returns (a SELECT, or a write with RETURNING), as the driver gives it;
    None when there is none."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def commit_without_waiting_for_disk() -> None:
    """Let the caller's transaction COMMIT return before its write-ahead log reaches the disk
    (PostgreSQL's `synchronous_commit = off`, for this transaction only; SQLite: nothing).

    Row locks are released at COMMIT, so a transaction that holds a row others queue on (a hot
    SKU's stock row) releases it without waiting for the disk's flush (about 0.6 ms on the bench
    machine). What it costs: if PostgreSQL itself crashes within about 0.6 s (three
    `wal_writer_delay`s) of the COMMIT, the transaction is lost, as a whole, never in part. Once any
    later transaction that waits for the disk has committed, it is safe too: the log is flushed in
    order. Only for a transaction a customer can simply redo, that nothing outside the database
    has acted on, and that no money has touched."""
    if connection.vendor == "postgresql":
        execute("SET LOCAL synchronous_commit TO OFF", ())


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


def cache_related_rows(instance: Model, name: str, rows: list[Model]) -> None:
    """Keep `rows` as what `instance.<name>.all()` returns, as `prefetch_related` keeps the rows it
    read (for rows read here instead, e.g. with `fetch_joined`)."""
    if not hasattr(instance, "_prefetched_objects_cache"):
        instance._prefetched_objects_cache = {}
    instance._prefetched_objects_cache.pop(name, None)  # a new QuerySet, not the one kept before
    rows_of = getattr(instance, name).all()
    rows_of._result_cache, rows_of._prefetch_done = rows, True
    instance._prefetched_objects_cache[name] = rows_of


def _reader_of(model: type[Model]) -> tuple[tuple[str, ...], _Converters, int]:
    names, pk_index = _columns_read(model)
    return names, _converters_of(model), pk_index


@cache
def _columns_read(model: type[Model]) -> tuple[tuple[str, ...], int]:
    """The attribute names of the columns `columns_of(model)` selects, and where its key is among them."""
    fields = model._meta.concrete_fields
    return tuple(f.attname for f in fields), fields.index(model._meta.pk)


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
    db = connections[DEFAULT_DB_ALIAS]
    plan, rows = _prepared(db, objs, ignore_conflicts=False)
    if plan is None:
        return type(objs[0])._base_manager.bulk_create(objs)
    _saved(db, plan, objs, _run(db, plan, rows))
    return list(objs)


def insert_model(obj: M) -> M:
    """Insert one new row as `insert_models` does (`Model.objects.create` without its signals)."""
    return insert_models([obj])[0]


def insert_models_unless_conflicting(objs: Sequence[Model]) -> bool:
    """Insert rows of one model as `insert_models` does and say True; or say False and leave them
    unsaved when unique constraints already hold every one of them (a replay). Some but not all is
    an IntegrityError, which rolls the caller back. The statement is the ORM's
    `bulk_create(ignore_conflicts=True)` one with RETURNING (PostgreSQL: ON CONFLICT DO NOTHING;
    SQLite: INSERT OR IGNORE), so it says what went in and needs no savepoint."""
    if not objs:
        return True
    db = connections[DEFAULT_DB_ALIAS]
    plan, rows = _prepared(db, objs, ignore_conflicts=True)
    if plan is None:
        return _insert_by_orm_unless_conflicting(objs)
    returned = _run(db, plan, rows)
    if not returned:
        return False
    if len(returned) != len(objs):
        raise IntegrityError(f"{len(objs) - len(returned)} of {len(objs)} {objs[0]._meta.label} rows existed already")
    _saved(db, plan, objs, returned)
    return True


def insert_model_where(obj: Model, condition: str, params: Sequence[Any]) -> bool:
    """Insert `obj` as `insert_models_unless_conflicting` does, only where `condition` holds (SQL
    over other rows, e.g. `NOT EXISTS (...)`, with `params`), checked by the same statement: True
    when it went in; False, and `obj` unsaved, when the condition or a unique constraint kept it out.

    Under READ COMMITTED two callers may both find the condition true; a unique constraint has to
    decide between them, as it does here."""
    db = connections[DEFAULT_DB_ALIAS]
    plan, rows = _prepared(db, [obj], ignore_conflicts=True)
    if plan is None:
        with db.cursor() as cursor:
            cursor.execute(f"SELECT 1 WHERE {condition}", params)
            holds = cursor.fetchone() is not None
        return holds and insert_models_unless_conflicting([obj])
    values = ", ".join(["%s"] * len(plan.fields))
    sql = f"{plan.head.removesuffix('VALUES ')}SELECT {values} WHERE {condition}{plan.tail}"
    with db.cursor() as cursor:
        cursor.execute(sql, [*rows[0], *params])
        returned = cursor.fetchall()
    if not returned:
        return False
    _saved(db, plan, [obj], returned)
    return True


@dataclass
class _InsertPlan:
    """The columns a model's INSERT writes and reads back, and its statement per row count."""

    head: str  # INSERT INTO <table> (<columns>) VALUES
    fields: list[Field]
    tail: str  # [ON CONFLICT DO NOTHING] RETURNING <columns>
    returned: list[Field]
    converters: _Converters
    statements: dict[int, str]  # by row count


# per connection and (model, whether the rows have their keys, whether conflicts are ignored)
_plans: WeakKeyDictionary[Any, dict[tuple[type[Model], bool, bool], _InsertPlan | None]] = WeakKeyDictionary()


def _prepared(db: Any, objs: Sequence[Model], *, ignore_conflicts: bool) -> tuple[_InsertPlan | None, list[list]]:
    """The plan and each row's values as the ORM would send them; no plan when the ORM must insert."""
    model = type(objs[0])
    by_model = _plans.setdefault(db, {})
    key = (model, _keyed(objs), ignore_conflicts)
    if key not in by_model:
        by_model[key] = _new_plan(db, *key)
    plan = by_model[key]
    if plan is None:
        return None, []
    rows = []
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="insert_models")
        values = [f.pre_save(obj, True) for f in plan.fields]
        if any(hasattr(value, "resolve_expression") for value in values):
            return None, []
        rows.append([f.get_db_prep_save(value, db) for f, value in zip(plan.fields, values, strict=True)])
    return plan, rows


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


def _new_plan(db: Any, model: type[Model], keyed: bool, ignore_conflicts: bool) -> _InsertPlan | None:
    opts = model._meta
    fields = [f for f in opts.concrete_fields if keyed or f is not opts.auto_field]
    plain = not opts.parents and not any(f.generated or hasattr(f, "get_placeholder") for f in fields)
    if not plain or not db.features.can_return_rows_from_bulk_insert:
        return None
    quote = db.ops.quote_name
    on_conflict = OnConflict.IGNORE if ignore_conflicts else None
    # A key the rows bring themselves (no auto field) is still returned: it says which rows went in.
    returned = list(opts.db_returning_fields) or [opts.pk]
    suffix = db.ops.on_conflict_suffix_sql(fields, on_conflict, None, None)
    return _InsertPlan(
        head=f"{db.ops.insert_statement(on_conflict=on_conflict)} {quote(opts.db_table)} "
        f"({', '.join(quote(f.column) for f in fields)}) VALUES ",
        fields=fields,
        tail=f"{' ' + suffix if suffix else ''} RETURNING {', '.join(quote(f.column) for f in returned)}",
        returned=returned,
        converters=_converters_for(model, returned),
        statements={},
    )


def _run(db: Any, plan: _InsertPlan, rows: list[list]) -> list[tuple]:
    """The returned rows of the inserts, one statement per batch of rows."""
    batch = db.ops.bulk_batch_size(plan.fields, rows) if len(rows) > 1 else 1
    returned = []
    with db.cursor() as cursor:
        for start in range(0, len(rows), batch):
            chunk = rows[start : start + batch]
            cursor.execute(_statement(plan, len(chunk)), [value for row in chunk for value in row])
            returned += cursor.fetchall()
    return returned


def _statement(plan: _InsertPlan, rows: int) -> str:
    if rows not in plan.statements:
        row = f"({', '.join(['%s'] * len(plan.fields))})"
        plan.statements[rows] = plan.head + ", ".join([row] * rows) + plan.tail
    return plan.statements[rows]


def _saved(db: Any, plan: _InsertPlan, objs: Sequence[Model], returned: list[tuple]) -> None:
    """Set what the database returned on the instances, converted as the ORM converts it."""
    for obj, row in zip(objs, returned, strict=True):
        values = list(row)
        for i, functions, column in plan.converters:
            for convert in functions:
                values[i] = convert(values[i], column, db)
        for f, value in zip(plan.returned, values, strict=True):
            setattr(obj, f.attname, value)
        obj._state.adding = False
        obj._state.db = db.alias


def _insert_by_orm_unless_conflicting(rows: Sequence[Model]) -> bool:
    """`insert_models_unless_conflicting` through the ORM's own insert."""
    model = type(rows[0])
    opts = model._meta
    keyed = rows[0].pk is not None
    fields = [f for f in opts.local_concrete_fields if not f.generated and (keyed or f is not opts.auto_field)]
    using = router.db_for_write(model, instance=rows[0])
    returning = opts.db_returning_fields
    # The call Model.save() and bulk_create() make to insert, with the conflict clause kept.
    returned = model._base_manager.using(using)._insert(
        list(rows), fields=fields, returning_fields=returning, using=using, on_conflict=OnConflict.IGNORE
    )
    inserted = [values for values in returned if values is not None]  # one row: [None] when it conflicted
    if not inserted:
        return False
    if len(inserted) != len(rows):
        raise IntegrityError(f"{len(rows) - len(inserted)} of {len(rows)} {opts.label} rows existed already")
    for row, values in zip(rows, inserted, strict=True):
        for value, field in zip(values, returning, strict=True):
            setattr(row, field.attname, value)
        row._state.adding = False
        row._state.db = using
    return True


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
