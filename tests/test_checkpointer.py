"""The WAL is copied into the database by a thread of its own, never inside a save (db/storage/checkpointer.py)."""

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from db.core.sql_driver import sqlite3
from db.storage import checkpointer as checkpointer_module
from db.storage import damage
from db.storage.checkpointer import BACKSTOP_BYTES, Checkpointer
from db.storage.connection import connect, transaction
from db.storage.store import Store, open_store

WAIT_S = 60.0  # a bound for a loaded machine, not a pace: every wait returns as soon as the thread reports


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(tmp_path / "data")
    yield opened
    opened.close()


def in_database_file(path: Path, key: str) -> bool:
    """Whether ``key`` is in the database file itself, ignoring the WAL (a checkpoint put it there).
    Through SQLite, which keeps this process's locks while another of its connections is open."""
    look = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    try:
        return look.execute("SELECT count(*) FROM meta WHERE key = ?", (key,)).fetchone()[0] == 1
    finally:
        look.close()


def write(store: Store, key: str) -> None:
    with transaction(store.conn):
        store.conn.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (key, "x" * 50_000))


def test_a_commit_reaches_the_database_file_without_the_saving_connection_checkpointing(store: Store) -> None:
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    checkpointer = store.checkpoint_in_background()
    page_size = store.conn.execute("PRAGMA page_size").fetchone()[0]
    # The saving connection checkpoints by itself only past the backstop: 64 MiB of WAL.
    assert store.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == BACKSTOP_BYTES // page_size
    write(store, "first")
    assert checkpointer.wait_until_copied(WAIT_S)
    assert in_database_file(store.data.database, "first")
    write(store, "second")  # and again: every commit is noticed, not only the first
    assert checkpointer.wait_until_copied(WAIT_S)
    assert in_database_file(store.data.database, "second")


def test_without_it_a_small_commit_stays_in_the_wal(store: Store) -> None:
    """The control for the test above: the look at the file would see the row for another reason."""
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    write(store, "only in the wal")
    assert not in_database_file(store.data.database, "only in the wal")


def test_a_commit_by_another_connection_is_copied_too(store: Store) -> None:
    checkpointer = store.checkpoint_in_background()
    other = connect(store.data.database)
    try:
        with transaction(other):
            other.execute("INSERT INTO meta (key, value) VALUES ('from a command', 'y')")
    finally:
        other.close()
    assert checkpointer.wait_until_copied(WAIT_S)
    assert in_database_file(store.data.database, "from a command")


def test_closing_the_store_stops_the_thread_first(tmp_path: Path) -> None:
    store = open_store(tmp_path / "data")
    checkpointer = store.checkpoint_in_background()
    assert checkpointer.running
    store.close()
    assert not checkpointer.running
    assert not [t for t in threading.enumerate() if t.name.startswith("checkpoint ")]
    checkpointer.stop()  # a second stop (the window's shutdown after the store's close) is harmless
    assert not checkpointer.wait_until_copied(0.01)


class _Failing:
    """A connection whose checkpoints fail with ``error`` the first ``times`` times."""

    def __init__(self, conn: sqlite3.Connection, error: sqlite3.Error, times: int) -> None:
        self.conn, self.error, self.times = conn, error, times

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        if "wal_checkpoint" in sql and self.times:
            self.times -= 1
            raise self.error
        return self.conn.execute(sql, *args)

    def close(self) -> None:
        self.conn.close()


def failing_connect(monkeypatch: pytest.MonkeyPatch, error: sqlite3.Error, times: int) -> None:
    real = checkpointer_module.connect
    monkeypatch.setattr(checkpointer_module, "connect", lambda path: _Failing(real(path), error, times))


def test_damage_met_by_the_thread_is_reported_and_stops_it(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    failing_connect(monkeypatch, sqlite3.DatabaseError("database disk image is malformed"), times=1)
    heard: list[str] = []
    damage.add_listener(heard.append)
    try:
        checkpointer = Checkpointer(store.data.database)
        assert not checkpointer.wait_until_copied(WAIT_S)  # it stopped instead of going round
    finally:
        damage.remove_listener(heard.append)
    assert heard == ["database disk image is malformed"]
    assert not checkpointer.running


def test_a_busy_checkpoint_is_tried_again_at_the_next_round(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another process checkpointing (or a full disk) defers the copy; the thread carries on."""
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    write(store, "deferred")
    failing_connect(monkeypatch, sqlite3.OperationalError("database is locked"), times=2)
    checkpointer = Checkpointer(store.data.database)
    try:
        assert checkpointer.wait_until_copied(WAIT_S)
        assert checkpointer.wait_until_copied(WAIT_S)  # the two refusals and then a copy
        assert checkpointer.running
        assert in_database_file(store.data.database, "deferred")
    finally:
        checkpointer.stop()
