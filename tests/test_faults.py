"""Faults that must not lose data: a full disk, a busy database, read-only and missing places,
a database from a newer Truceline. Each gives a clear message and changes nothing."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import save, small_files, version_count

from db.core.errors import DatabaseError, DiskFullError
from db.core.sql_driver import sqlite3
from db.exchange.importing import import_bundle
from db.storage.connection import connect
from db.storage.integrity import check_database
from db.storage.store import Store, open_store
from db.storage.versions import Writer


def fill_the_disk(store: Store) -> None:
    """SQLite's page limit fails a write exactly as a full disk does (SQLITE_FULL)."""
    pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
    store.conn.execute(f"PRAGMA max_page_count = {pages}")


def test_a_save_on_a_full_disk_says_so_and_writes_nothing(store: Store, writer: Writer) -> None:
    save(store, writer)
    before = version_count(store)
    fill_the_disk(store)
    with pytest.raises(DiskFullError, match="disk is full: nothing was saved"):
        save(store, writer, narrative="x" * 9000)
    assert version_count(store) == before
    assert not store.conn.in_transaction
    store.conn.execute("PRAGMA max_page_count = 1073741823")  # space freed
    save(store, writer, narrative="x" * 9000)
    assert version_count(store) == before + 1
    assert check_database(store.conn, store.calendar).ok


def test_a_save_while_another_program_holds_the_database_says_so(store: Store, writer: Writer) -> None:
    other = connect(store.data_dir / "truceline.db")
    other.execute("BEGIN IMMEDIATE")
    store.conn.execute("PRAGMA busy_timeout = 50")
    try:
        with pytest.raises(DatabaseError, match="busy.*nothing was saved"):
            save(store, writer)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert version_count(store) == 0
    save(store, writer)
    assert version_count(store) == 1


def test_a_read_only_data_directory_is_a_clear_refusal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    open_store(data).close()
    before = (data / "truceline.db").read_bytes()
    monkeypatch.setattr("db.storage.store.writable", lambda directory: False)
    with pytest.raises(DatabaseError, match="data directory is read-only"):
        open_store(data)
    assert (data / "truceline.db").read_bytes() == before


@pytest.mark.skipif(os.geteuid() == 0, reason="permissions do not stop root")
def test_a_really_read_only_directory_is_refused(tmp_path: Path) -> None:  # pragma: no cover - root in CI
    data = tmp_path / "data"
    open_store(data).close()
    data.chmod(0o555)
    try:
        with pytest.raises(DatabaseError, match="read-only"):
            open_store(data)
    finally:
        data.chmod(0o755)


def test_a_missing_data_directory_is_created_and_an_impossible_one_named(tmp_path: Path) -> None:
    deep = tmp_path / "new" / "deeper" / "data"
    open_store(deep).close()
    assert (deep / "truceline.db").exists()
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(DatabaseError, match="cannot create the data directory"):
        open_store(blocker / "data")


def test_a_database_from_a_newer_truceline_is_refused_and_not_migrated(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = open_store(data)
    store.conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('truceline', 'm099_future', 'x')"
    )
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    before = (data / "truceline.db").read_bytes()
    with pytest.raises(DatabaseError, match="newer version of Truceline.*m099_future"):
        open_store(data)
    assert (data / "truceline.db").read_bytes() == before
    assert not (data / "backups").exists() or list((data / "backups").iterdir()) == []


def test_the_command_line_reports_a_newer_database_in_one_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = open_store(data)
    store.conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('truceline', 'm099_future', 'x')"
    )
    store.close()
    env = {**os.environ, "TRUCELINE_DATA_DIR": str(data)}
    result = subprocess.run([sys.executable, "-m", "desktop", "check"], env=env, capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "newer version of Truceline" in result.stderr


def test_a_theatre_file_that_is_not_geojson_is_refused_by_name(tmp_path: Path) -> None:
    from db.core.errors import TheatreError
    from db.model.theatre import load_theatre

    for name, content in {
        "photo.geojson": b"\xff\xd8\xff\xe0 JFIF",
        "notes.geojson": b"zones: east, west",
        "list.geojson": b"[1, 2, 3]",
        "points.geojson": b'{"type": "FeatureCollection", "features": []}',
    }.items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(TheatreError) as caught:
            load_theatre(path)
        assert name in str(caught.value)


def test_two_writers_on_one_database_never_corrupt_it(tmp_path: Path) -> None:
    """The command line writing while the window's connection writes: both land, integrity ok."""
    data = tmp_path / "data"
    from db.records.monitors import add_monitor

    first = open_store(data)
    second = open_store(data)
    try:
        w1 = first.writer(add_monitor(first.conn, "One Monitor", "ONE", "monitor").monitor_id)
        w2 = second.writer(w1.author_id)
        for n in range(20):
            save(first if n % 2 else second, w1 if n % 2 else w2, count=n + 1)
        assert version_count(first) == 20
        assert check_database(first.conn, first.calendar).ok
    finally:
        first.close()
        second.close()
    conn = sqlite3.connect(data / "truceline.db")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def test_a_bundle_import_on_a_full_disk_says_so_and_changes_nothing(tmp_path: Path) -> None:
    from laptops import Laptop

    field, base = Laptop(tmp_path, "field"), Laptop(tmp_path, "base", role="supervisor")
    try:
        for n in range(30):
            field.record(count=n + 1, narrative="x" * 3000)
        bundle = field.export()
        before = base.snapshot()
        fill_the_disk(base.store)
        with pytest.raises(DiskFullError, match="disk is full: nothing was saved"):
            import_bundle(base.store.conn, base.store.calendar, bundle)
        assert base.snapshot() == before
        base.store.conn.execute("PRAGMA max_page_count = 1073741823")
        result = import_bundle(base.store.conn, base.store.calendar, bundle)
        assert result.added == 30 and version_count(base.store) == 30
        assert check_database(base.store.conn, base.store.calendar).ok
    finally:
        field.close()
        base.close()


def test_exports_to_a_full_disk_leave_no_file_and_say_why(tmp_path: Path) -> None:
    """The CSV export and the exchange bundle, from the command line, with writes failing past 64 KB."""
    data, out = tmp_path / "data", tmp_path / "usb"
    out.mkdir()
    env = {**os.environ, "TRUCELINE_DATA_DIR": str(data)}
    subprocess.run([sys.executable, "-m", "desktop", "demo", "--incidents", "400"], env=env, check=True)
    for command in (["export-csv", str(out / "report.csv")], ["bundle", "export", str(out / "laptop.zip")]):
        result = subprocess.run(
            [sys.executable, "-m", "desktop", *command], env=env, capture_output=True, text=True, preexec_fn=small_files
        )
        assert result.returncode != 0, command
        assert result.stderr.startswith("truceline: ") and "Traceback" not in result.stderr, result.stderr
        assert list(out.iterdir()) == [], command
    # Nothing was marked as exported: with space again, the bundle holds everything.
    result = subprocess.run(
        [sys.executable, "-m", "desktop", "bundle", "export", str(out / "laptop.zip")], env=env, capture_output=True
    )
    assert result.returncode == 0 and (out / "laptop.zip").exists()
