"""Schema from a blank database, migration safety, and the connection's settings."""

import sqlite3
from pathlib import Path

import pytest
from sqlite_utils import Database

from db.backup import list_backups
from db.connection import connect
from db.errors import DatabaseError
from db.schema import initial_statements, migrations
from db.store import migrate, open_store

EXPECTED_TABLES = {
    "meta",
    "devices",
    "monitors",
    "zones",
    "sectors",
    "incident_versions",
    "incidents",
    "incident_heads",
    "daily_counts",
    "incidents_fts",
    "imports",
}


def schema_of(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    return conn.execute(
        "SELECT name, sql FROM sqlite_master "
        "WHERE sql IS NOT NULL AND name NOT LIKE '%sqlite_migrations%' ORDER BY name"
    ).fetchall()


def test_migrations_build_the_whole_schema_from_a_blank_database(tmp_path: Path) -> None:
    conn = connect(tmp_path / "blank.db")
    assert migrate(conn, tmp_path / "backups") == ["m001_initial"]
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert EXPECTED_TABLES <= tables
    triggers = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert {"incident_versions_no_update", "incident_versions_no_delete"} <= triggers
    # The migrated schema is exactly the statements of m001 applied to a scratch database.
    scratch = sqlite3.connect(":memory:")
    for statement in initial_statements():
        scratch.execute(statement)
    assert schema_of(conn) == schema_of(scratch)
    assert migrate(conn, tmp_path / "backups") == []  # nothing pending the second time
    assert not list_backups(tmp_path / "backups")  # a blank database needs no backup


def test_every_connection_gets_the_safety_pragmas(tmp_path: Path) -> None:
    conn = connect(tmp_path / "p.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA trusted_schema").fetchone()[0] == 0
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000


def test_pending_migrations_back_the_database_up_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    conn = connect(tmp_path / "old.db")
    migrate(conn, tmp_path / "backups")
    conn.execute("INSERT INTO meta (key, value) VALUES ('marker', 'before m002')")

    @migrations()
    def m002_test_step(db: Database) -> None:
        db.execute("CREATE TABLE test_step (x INTEGER)")

    try:
        assert migrate(conn, tmp_path / "backups") == ["m002_test_step"]
    finally:
        migrations._migrations.pop()
    (backup,) = list_backups(tmp_path / "backups")
    assert backup.label == "before-m002-test-step"
    copy = sqlite3.connect(backup.path)
    assert copy.execute("SELECT value FROM meta WHERE key = 'marker'").fetchone() == ("before m002",)
    assert "test_step" not in {r[0] for r in copy.execute("SELECT name FROM sqlite_master")}
    assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_database_from_a_newer_truceline_is_refused_not_migrated(tmp_path: Path) -> None:
    store = open_store(tmp_path / "data")
    store.conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('truceline', 'm099_future', 'x')"
    )
    store.close()
    with pytest.raises(DatabaseError, match="newer version of Truceline"):
        open_store(tmp_path / "data")


def test_a_file_that_is_not_a_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    directory = tmp_path / "data"
    directory.mkdir()
    target = directory / "truceline.db"
    target.write_bytes(b"these are my notes, not a database\n" * 10)
    with pytest.raises(DatabaseError, match="not a Truceline database"):
        open_store(directory)
    assert target.read_bytes() == b"these are my notes, not a database\n" * 10


def test_a_truncated_database_is_refused(tmp_path: Path) -> None:
    store = open_store(tmp_path / "data")
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    path = tmp_path / "data" / "truceline.db"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(DatabaseError):
        open_store(tmp_path / "data")


def test_reopening_keeps_the_device_identity(tmp_path: Path) -> None:
    first = open_store(tmp_path / "data")
    device = first.device.device_id
    first.close()
    second = open_store(tmp_path / "data")
    assert second.device.device_id == device
    assert (tmp_path / "data" / "device_key.pem").stat().st_mode & 0o077 == 0
    second.close()
