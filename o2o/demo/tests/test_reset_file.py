"""`o2o demo --reset` on a SQLite file, run as a user runs it (a separate process on a real file):
an interrupted reset leaves the old database as it was; a finished one replaces it."""

import os
import re
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

O2O = [str(Path(sys.executable).parent / "o2o")]  # the console script of this venv


def _env(path: Path) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": f"sqlite:///{path}", "O2O_ENV": "development", "PYTHONUNBUFFERED": "1"}


def _o2o(path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*O2O, *args], env=_env(path), capture_output=True, text=True, timeout=300, check=True)


def _stores(path: Path) -> list[str]:
    db = sqlite3.connect(path)
    try:
        return [code for (code,) in db.execute("SELECT code FROM stores_location WHERE kind = 'store' ORDER BY code")]
    finally:
        db.close()


def test_an_interrupted_reset_leaves_the_database_file_as_it_was_and_a_finished_one_replaces_it(tmp_path):
    # given a demo with two stores in a SQLite file
    database = tmp_path / "o2o.sqlite3"
    _o2o(database, "migrate", "--verbosity", "0")
    _o2o(database, "demo", "--stores", "2", "--members", "20", "--days", "1", "--skus", "10")
    assert _stores(database) == ["SH001", "SH002"]

    # when a bigger reset is interrupted (Ctrl-C) while it fills the stores
    run = subprocess.Popen(
        [*O2O, "demo", "--reset", "--stores", "40", "--members", "500", "--days", "60", "--skus", "50"],
        env=_env(database),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        # Ctrl-C must reach it even when the suite itself runs in the background, where SIGINT is
        # ignored and a child would inherit that.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
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

    # and a reset that finishes replaces it with a sound database the server opens as usual
    out = _o2o(database, "demo", "--reset", "--stores", "3", "--members", "30", "--days", "2", "--skus", "10").stdout
    assert "Existing data replaced." in out
    assert _stores(database) == ["SH001", "SH002", "SH003"]
    db = sqlite3.connect(database)
    try:
        db.create_function("REGEXP", 2, lambda pattern, value: re.search(pattern, value or "") is not None)
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert db.execute("SELECT COUNT(*) FROM members_member").fetchone() == (30,)
    finally:
        db.close()
    assert _o2o(database, "audit").returncode == 0
    assert not list(database.parent.glob("*.building*"))
