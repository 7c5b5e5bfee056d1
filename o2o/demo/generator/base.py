"""Shared pieces of the demo generator: the run's settings, batched writes, timestamps, codes."""

import random
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from operator import itemgetter
from time import monotonic, process_time
from typing import Any, Protocol, TypeVar

from django.core.management.color import no_style
from django.db import connection, models
from django.db.models import Max

from o2o.demo.generator.data import GIVEN, SURNAMES

T = TypeVar("T")


class Output(Protocol):
    def write(self, text: str, /) -> Any: ...


@dataclass(frozen=True)
class Run:
    """One generation: its seed, the day it counts back from, and where progress goes."""

    seed: int
    today: date
    days: int
    tz: tzinfo
    batch_size: int
    stdout: Output | None = None
    started: tuple[float, float] = field(default_factory=lambda: (monotonic(), process_time()))

    def rng(self, *parts: object) -> random.Random:
        """An independent stream per part (catalog, store SH003, ...), so a change in one size does
        not reshuffle everything else, and stores can be generated one at a time."""
        return random.Random(":".join(str(p) for p in (self.seed, *parts)))

    def at(self, day: date, hour: float = 0.0) -> datetime:
        return datetime.combine(day, time(), tzinfo=self.tz) + timedelta(hours=hour)

    @property
    def start(self) -> datetime:
        """Midnight of the first day of history (members join from here on)."""
        return self.at(self.today - timedelta(days=max(self.days, 1)))

    @property
    def end(self) -> datetime:
        """Midnight today: history ends here, so every timestamp is in the past whenever we run."""
        return self.at(self.today)

    def history_days(self) -> list[date]:
        return [self.today - timedelta(days=k) for k in range(self.days, 0, -1)]

    def say(self, message: str) -> None:
        """Progress, with the time taken so far (and the CPU time: on a busy machine they differ)."""
        if self.stdout is not None:
            wall, cpu = monotonic() - self.started[0], process_time() - self.started[1]
            self.stdout.write(f"{message}  [{wall:.0f} s, CPU {cpu:.0f} s]\n")


def chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def scatter(n: int, *, modulus: int, multiplier: int, offset: int) -> int:
    """A distinct number below `modulus` for each distinct n below it (the multiplier is coprime
    with the modulus), so codes look random yet never collide and need no lookup set."""
    return (n * multiplier + offset) % modulus


def chinese_name(rng: random.Random) -> str:
    given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
    return rng.choice(SURNAMES) + given


@contextmanager
def explicit_timestamps(*model_classes: type[models.Model]) -> Iterator[None]:
    """Let bulk_create keep the historical timestamps we set on auto_now_add fields.

    Otherwise every row is stamped with the moment of generation and needs a second, bulk UPDATE;
    for a million members or orders that UPDATE costs more than the inserts themselves. The flag
    is restored on exit, and the command runs alone in its process.
    """
    fields = [f for m in model_classes for f in m._meta.concrete_fields if getattr(f, "auto_now_add", False)]
    for f in fields:
        f.auto_now_add = False
    try:
        yield
    finally:
        for f in fields:
            f.auto_now_add = True


class Record:
    """A row to insert, lighter than a model instance: one attribute per column (`order_id`).

    Building a model instance costs more than inserting it; the generator makes tens of millions
    of rows and only needs them written. `record(Order)(order=o, ...)` accepts a related row
    for a foreign key, like the model would, and fills the model's defaults.
    """

    model: type[models.Model]
    _defaults: dict[str, Any]
    _callable_defaults: dict[str, models.Field]
    _foreign: dict[str, str]
    _pk: str

    def __init__(self, **values: Any) -> None:
        data = self.__dict__
        data.update(self._defaults)
        for name, model_field in self._callable_defaults.items():
            data[name] = model_field.get_default()
        for name, value in values.items():
            if name in self._foreign:
                data[self._foreign[name]] = None if value is None else value.pk
            else:
                data[name] = value

    @property
    def pk(self) -> Any:
        return self.__dict__[self._pk]

    @pk.setter
    def pk(self, value: Any) -> None:
        self.__dict__[self._pk] = value


def record(model: type[models.Model]) -> type[Record]:
    """The Record class of a model (its rows for Writer)."""
    fields = model._meta.concrete_fields
    plain = {f.attname: f.get_default() for f in fields if not (f.has_default() and callable(f.default))}
    return type(
        f"{model.__name__}Row",
        (Record,),
        {
            "model": model,
            "_defaults": plain,
            "_callable_defaults": {f.attname: f for f in fields if f.has_default() and callable(f.default)},
            "_foreign": {f.name: f.attname for f in fields if f.is_relation and f.name != f.attname},
            "_pk": model._meta.pk.attname,
        },
    )


class Writer:
    """Rows waiting to be written, parents first so children can take their keys.

    The demo owns the tables it fills (they are empty when it starts), so the writer hands out
    primary keys itself as rows are added: children point at their parents before anything is
    written, and rows go out without a RETURNING round trip. Rows are written by the driver
    directly (SQLite `executemany`, PostgreSQL `COPY`), not through bulk_create, whose per-field
    preparation costs several times the insert itself; `finish()` moves the sequences past the
    keys handed out.
    """

    def __init__(self, order: list[type[models.Model]], batch_size: int) -> None:
        self.order = order
        self.batch_size = batch_size
        self.rows: dict[type[models.Model], list[models.Model | Record]] = defaultdict(list)
        self.written: dict[type[models.Model], int] = defaultdict(int)
        self.tables = {model: _Table(model) for model in order}

    def add(self, obj: models.Model | Record) -> None:
        model = obj.model if isinstance(obj, Record) else type(obj)
        table = self.tables[model]
        table.last_id += 1
        obj.pk = table.last_id
        self.rows[model].append(obj)

    def pending(self) -> int:
        return sum(len(rows) for rows in self.rows.values())

    def flush(self, *, if_over: int = 0) -> None:
        """Write everything, or nothing while fewer than `if_over` rows wait (bounds memory)."""
        if self.pending() < max(if_over, 1):
            return
        for model in self.order:
            if rows := self.rows.pop(model, None):
                self.tables[model].write(rows)
                self.written[model] += len(rows)

    def finish(self) -> None:
        self.flush()
        reset = connection.ops.sequence_reset_sql(no_style(), [m for m in self.order if self.written[m]])
        with connection.cursor() as cursor:
            for statement in reset:
                cursor.execute(statement)


_AS_IS = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "BooleanField",
    "DecimalField",  # both drivers take Decimal (Django's SQLite backend registers an adapter)
    "ForeignKey",
    "IntegerField",
    "OneToOneField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SmallIntegerField",
    "TextField",
}


class _Table:
    """One model's INSERT (SQLite) or COPY (PostgreSQL) and how each column's value is prepared."""

    def __init__(self, model: type[models.Model]) -> None:
        self.fields = list(model._meta.concrete_fields)
        self.last_id = model.objects.aggregate(top=Max("pk"))["top"] or 0
        qn = connection.ops.quote_name
        columns = ", ".join(qn(f.column) for f in self.fields)
        if connection.vendor == "postgresql":
            self.sql = f"COPY {qn(model._meta.db_table)} ({columns}) FROM STDIN"
        else:
            marks = ", ".join("%s" for _ in self.fields)
            self.sql = f"INSERT INTO {qn(model._meta.db_table)} ({columns}) VALUES ({marks})"
        self.get = itemgetter(*(f.attname for f in self.fields))
        self.prepare = [(i, prep) for i, f in enumerate(self.fields) if (prep := _preparer(f)) is not None]

    def values(self, obj: models.Model | Record) -> tuple | list:
        row = self.get(obj.__dict__)
        if not self.prepare:
            return row
        row = list(row)
        for i, prep in self.prepare:
            row[i] = prep(row[i])
        return row

    def write(self, rows: list[models.Model | Record]) -> None:
        values = [self.values(obj) for obj in rows]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(self.sql) as copy:
                    for row in values:
                        copy.write_row(row)
            else:
                cursor.executemany(self.sql, values)


def _preparer(field: models.Field):
    """None when the driver takes the value as it is; else a function giving what it takes."""
    kind = field.get_internal_type()
    if kind in _AS_IS:
        return None
    if kind == "CharField" and connection.vendor == "postgresql":
        # Choices are str enums: the value, not the member (psycopg could dump an enum's name).
        return lambda v: v if v is None or type(v) is str else str(v)
    if kind == "DateTimeField" and connection.vendor == "sqlite":
        tz = connection.timezone  # what Django's SQLite backend stores: naive, in the connection's zone

        def naive(v: datetime | None) -> str | None:
            return None if v is None else str(v.astimezone(tz).replace(tzinfo=None))

        return naive
    if kind in ("DateTimeField", "CharField"):
        return None
    return lambda v: field.get_db_prep_save(v, connection)
