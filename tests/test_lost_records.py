"""A lost WAL and damage found in use: `truceline check` says which records are missing and where
they are, and a database on which damage was found is not used again until someone looks."""

import shutil
from pathlib import Path

import pytest
from support import save

from db.core.errors import DamagedDatabaseError
from db.core.sql_driver import sqlite3
from db.records.monitors import add_monitor, set_local_profile
from db.storage.backup import make_backup
from db.storage.damage import damage_noted, is_damage, record_damage
from db.storage.lost_records import find_lost_records
from db.storage.recovery import restore_backup
from db.storage.store import open_store
from desktop.cli import main as cli
from desktop.cli.main import main


def lose_the_wal(data_dir: Path, copy: Path, *, saves_after_backup: int = 0) -> str:
    """Three saves that are still in the WAL, a backup that read them, then only the main file
    survives (as when another process deleted the WAL): returns the backup's name."""
    store = open_store(data_dir)
    person = add_monitor(store.conn, "Olena Koval", "OK1", "monitor")
    set_local_profile(store.conn, person)
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    writer = store.writer(person.monitor_id)
    for n in (1, 2, 3):
        save(store, writer, count=n)
    backup = make_backup(store.conn, data_dir / "backups", "auto")
    copy.mkdir()
    shutil.copyfile(data_dir / "truceline.db", copy / "truceline.db")  # the WAL is not copied: lost
    shutil.copy(data_dir / "device_key.pem", copy / "device_key.pem")
    shutil.copytree(data_dir / "backups", copy / "backups")
    store.close()
    if saves_after_backup:
        again = open_store(copy)
        for n in range(saves_after_backup):
            save(again, again.writer(person.monitor_id), count=10 + n)
        again.close()
    return backup.path.name


def test_check_names_the_versions_a_lost_wal_took_and_the_backup_holding_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    backup = lose_the_wal(tmp_path / "laptop", tmp_path / "after")
    assert main(["--data-dir", str(tmp_path / "after"), "check"]) == 1
    out = capsys.readouterr().out
    assert "integrity: ok" in out  # SQLite itself sees nothing wrong
    assert "sequence 1–3" in out and backup in out and "missing from the database" in out
    assert f"truceline restore {backup}" in out


def test_saves_after_the_loss_that_reuse_the_numbers_are_called_a_fork(tmp_path: Path) -> None:
    lose_the_wal(tmp_path / "laptop", tmp_path / "after", saves_after_backup=2)
    store = open_store(tmp_path / "after")
    try:
        [finding] = find_lost_records(store.conn, tmp_path / "after" / "backups")
    finally:
        store.close()
    assert finding.seqs == (1, 2, 3) and finding.forked
    assert "used again" in str(finding)


def test_an_intact_database_matches_its_backups(store_with_backup: Path) -> None:
    store = open_store(store_with_backup)
    try:
        assert find_lost_records(store.conn, store_with_backup / "backups") == []
    finally:
        store.close()


@pytest.fixture
def store_with_backup(data_dir: Path) -> Path:
    store = open_store(data_dir)
    person = add_monitor(store.conn, "Olena Koval", "OK1", "monitor")
    save(store, store.writer(person.monitor_id))
    make_backup(store.conn, data_dir / "backups", "auto")
    save(store, store.writer(person.monitor_id), count=7)  # newer than the backup: not a loss
    store.close()
    return data_dir


def test_damage_is_recognised_by_sqlite_code_and_not_confused_with_a_full_disk() -> None:
    corrupt = sqlite3.DatabaseError("database disk image is malformed")
    assert is_damage(corrupt)
    try:
        raise DamagedDatabaseError("x") from sqlite3.OperationalError("disk I/O error")
    except DamagedDatabaseError as wrapped:
        assert is_damage(wrapped)
    assert not is_damage(sqlite3.OperationalError("database or disk is full"))
    assert not is_damage(sqlite3.OperationalError("database is locked"))


def test_a_damage_note_stops_every_command_until_check_or_restore(
    store_with_backup: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record_damage(store_with_backup, "database disk image is malformed")
    with pytest.raises(DamagedDatabaseError, match="damage was found while Truceline was using"):
        open_store(store_with_backup)
    assert main(["--data-dir", str(store_with_backup), "demo", "--incidents", "5"]) == 2
    assert "truceline check" in capsys.readouterr().err
    # The full check finds the file sound (a transient disk error): the note goes, work resumes.
    assert main(["--data-dir", str(store_with_backup), "check"]) == 0
    assert "no longer found" in capsys.readouterr().out
    assert damage_noted(store_with_backup) is None
    open_store(store_with_backup).close()
    record_damage(store_with_backup, "disk I/O error")
    restore_backup(store_with_backup)
    assert damage_noted(store_with_backup) is None


def test_a_command_that_meets_damage_leaves_a_note(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    open_store(data_dir).close()

    def broken(*_args: object) -> int:
        raise sqlite3.DatabaseError("database disk image is malformed")

    monkeypatch.setitem(cli.COMMANDS, "stats", broken)
    assert main(["--data-dir", str(data_dir), "stats"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "reported damage" in err
    assert damage_noted(data_dir) is not None
