"""Shared pieces of the demo generator: the run's settings, batched writes, timestamps, codes."""

import random
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, Protocol, TypeVar

from django.db import models

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
        if self.stdout is not None:
            self.stdout.write(message + "\n")


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


class Writer:
    """Rows waiting for bulk INSERTs, written parents first so children can take their keys."""

    def __init__(self, order: list[type[models.Model]], batch_size: int) -> None:
        self.order = order
        self.batch_size = batch_size
        self.rows: dict[type[models.Model], list[models.Model]] = defaultdict(list)
        self.written: dict[type[models.Model], int] = defaultdict(int)

    def add(self, obj: models.Model) -> None:
        self.rows[type(obj)].append(obj)

    def pending(self) -> int:
        return sum(len(rows) for rows in self.rows.values())

    def flush(self, *, if_over: int = 0) -> None:
        """Write everything, or nothing while fewer than `if_over` rows wait (bounds memory)."""
        if self.pending() < max(if_over, 1):
            return
        for model in self.order:
            if rows := self.rows.pop(model, None):
                model.objects.bulk_create(rows, batch_size=self.batch_size)
                self.written[model] += len(rows)
