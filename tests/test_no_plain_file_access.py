"""No plain file I/O on a live database: the guard in conftest sees it, and the storage paths that
used to do it (recognising a foreign file) now go through SQLite only."""

import subprocess
import sys
from pathlib import Path

import live_file_guard
import pytest

from db.core.errors import DamagedDatabaseError
from db.storage.backup import make_backup
from db.storage.connection import connect
from db.storage.integrity import check_database
from db.storage.store import open_store


def test_the_guard_sees_an_open_made_by_application_code(tmp_path: Path) -> None:
    live = tmp_path / "truceline.db"
    live.write_bytes(b"")
    code = compile(f"open({str(live)!r}, 'rb').close()", str(live_file_guard.ROOT / "db" / "example.py"), "exec")
    exec(code, {})
    assert live_file_guard.violations and "example.py" in live_file_guard.violations[0]
    live_file_guard.violations.clear()


def test_opening_checking_and_backing_up_never_open_the_files(data_dir: Path) -> None:
    store = open_store(data_dir)
    second = connect(data_dir / "truceline.db")
    second.close()
    assert check_database(store.conn, store.calendar).ok
    make_backup(store.conn, data_dir / "backups")
    store.close()
    open_store(data_dir).close()
    assert not live_file_guard.violations


def test_a_foreign_file_is_recognised_by_sqlite_and_left_as_it_was(tmp_path: Path) -> None:
    directory = tmp_path / "data"
    directory.mkdir()
    notes = directory / "truceline.db"
    notes.write_bytes(b"my notes, not a database\n" * 40)
    with pytest.raises(DamagedDatabaseError, match="not a Truceline database"):
        open_store(directory)
    assert notes.read_bytes() == b"my notes, not a database\n" * 40
    assert sorted(p.name for p in directory.iterdir() if p.name.startswith("truceline.db")) == ["truceline.db"]


def test_no_source_file_reads_the_database_header_itself() -> None:
    """The old check read b"SQLite format 3" with open(); SQLite tells us instead."""
    sources = [*Path(live_file_guard.ROOT, "db").rglob("*.py"), *Path(live_file_guard.ROOT, "desktop").rglob("*.py")]
    offenders = [str(p) for p in sources if "SQLite format 3" in p.read_text(encoding="utf-8")]
    assert offenders == []


def test_a_command_beside_an_open_store_keeps_its_wal(data_dir: Path) -> None:
    """The reproduction of the lost saves: a store, a second connection opened and closed, a CLI
    command in another process; the WAL must still be there for the store's next commit."""
    store = open_store(data_dir)
    try:
        second = connect(data_dir / "truceline.db")
        second.close()
        command = [sys.executable, "-m", "desktop", "--data-dir", str(data_dir), "stats"]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        assert result.returncode == 0, result.stderr
        assert (data_dir / "truceline.db-wal").exists()
    finally:
        store.close()
