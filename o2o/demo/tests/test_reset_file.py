"""`o2o demo --reset` on a SQLite file, run as a user runs it (a separate process on a real file):
an interrupted reset leaves the old database as it was; a finished one replaces it."""

import os
import re
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

O2O = [str(Path(sys.executable).parent / "o2o")]  # the console script of this venv


def _env(path: Path) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": f"sqlite:///{path}", "O2O_ENV": "development", "PYTHONUNBUFFERED": "1"}


def _o2o(path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*O2O, *args], env=_env(path), capture_output=True, text=True, timeout=300, check=True)


def _stores(path: Path) -> list[str]:
    with sqlite3.connect(path) as db:
        return [code for (code,) in db.execute("SELECT code FROM stores_location WHERE kind = 'store' ORDER BY code")]


@pytest.fixture
def database(tmp_path) -> Path:
    path = tmp_path / "o2o.sqlite3"
    _o2o(path, "migrate", "--verbosity", "0")
    _o2o(path, "demo", "--stores", "2", "--members", "20", "--days", "1", "--skus", "10")
    return path


def test_an_interrupted_reset_leaves_the_database_file_as_it_was(database):
    # given a demo with two stores
    assert _stores(database) == ["SH001", "SH002"]

    # when a bigger reset is interrupted (Ctrl-C) while it fills the stores
    run = subprocess.Popen(
        [*O2O, "demo", "--reset", "--stores", "40", "--members", "500", "--days", "60", "--skus", "50"],
        env=_env(database),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    for line in run.stdout:
        if line.startswith("stores: "):
            run.send_signal(signal.SIGINT)
            break
    run.communicate(timeout=120)

    # then the old database is untouched and nothing of the new one is left behind
    assert run.returncode != 0
    assert _stores(database) == ["SH001", "SH002"]
    assert not list(database.parent.glob("*.building*"))


def test_a_finished_reset_replaces_the_database_file(database):
    out = _o2o(database, "demo", "--reset", "--stores", "3", "--members", "30", "--days", "2", "--skus", "10").stdout

    assert "Existing data replaced." in out
    assert _stores(database) == ["SH001", "SH002", "SH003"]
    with sqlite3.connect(database) as db:
        db.create_function("REGEXP", 2, lambda pattern, value: re.search(pattern, value or "") is not None)
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert db.execute("SELECT COUNT(*) FROM members_member").fetchone() == (30,)
    assert _o2o(database, "audit").returncode == 0
    assert not list(database.parent.glob("*.building*"))
