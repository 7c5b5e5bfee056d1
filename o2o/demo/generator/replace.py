"""Replacing the database's contents so that an interruption leaves the old data, never half.

On a SQLite file the demo is built in a new file next to the database, which replaces it in one
rename at the end (an interrupted run leaves the old file as it was and a `.building` file that
the next run removes). Elsewhere (PostgreSQL, SQLite in memory) emptying and filling are one
transaction.
"""

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.core.management import call_command
from django.db import connection, transaction

from o2o.demo.generator import reset_demo

BUILDING_SUFFIX = ".building"


def sqlite_file() -> Path | None:
    """The database file, when the database is a SQLite file."""
    if connection.vendor != "sqlite" or connection.is_in_memory_db():
        return None
    return Path(connection.settings_dict["NAME"])


@contextmanager
def replacing_contents() -> Iterator[None]:
    """Run the body against an empty database whose contents replace the current ones at the end."""
    path = sqlite_file()
    if path is None:
        with transaction.atomic():
            reset_demo()
            yield
        return
    with _built_beside(path):
        yield


def _companions(path: Path) -> list[Path]:
    return [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal")]


def _remove(path: Path) -> None:
    for p in (path, *_companions(path)):
        p.unlink(missing_ok=True)


@contextmanager
def _built_beside(path: Path) -> Iterator[None]:
    building = path.with_name(path.name + BUILDING_SUFFIX)
    _remove(building)  # left behind by a run that was killed
    settings_dict = connection.settings_dict
    connection.close()
    settings_dict["NAME"] = str(building)
    try:
        with connection.cursor() as cursor:
            # Nobody reads this file until it is complete, and a crash throws it away: no journal,
            # no waiting for the disk.
            cursor.execute("PRAGMA journal_mode = OFF")
            cursor.execute("PRAGMA synchronous = OFF")
        call_command("migrate", verbosity=0, interactive=False)
        with connection.cursor() as cursor:
            # Nor checking each row's foreign keys (a fifth of the insert time; after migrate,
            # which turns them back on): the generator is tested to write consistent keys.
            cursor.execute("PRAGMA foreign_keys = OFF")
        yield
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode = WAL")  # as the server opens it (settings.py)
        connection.close()
        _retire(path)
        os.replace(building, path)
    finally:
        connection.close()
        settings_dict["NAME"] = str(path)
        _remove(building)


def _retire(path: Path) -> None:
    """Fold the old database's write-ahead log into it and drop the log and its index: a stale
    log next to the new file would be replayed into it."""
    if path.exists():
        old = sqlite3.connect(path)
        try:
            old.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            old.close()
    for companion in _companions(path):
        companion.unlink(missing_ok=True)
