"""A damaged database: refused as it is, kept aside, and replaced by the latest verified backup."""

from pathlib import Path

import pytest
from support import damage, laptop_with_backup

from db.core.errors import DamagedDatabaseError, DatabaseError
from db.core.sql_driver import sqlite3
from db.storage.backup import make_backup
from db.storage.integrity import check_database
from db.storage.recovery import restore_backup, start_empty, verified_backups
from db.storage.store import open_store
from desktop.cli.main import main


def test_a_damaged_database_is_refused_and_left_exactly_as_it_was(tmp_path: Path) -> None:
    data = tmp_path / "data"
    laptop_with_backup(data)
    damaged = damage(data / "truceline.db")
    with pytest.raises(DamagedDatabaseError):
        open_store(data)
    assert (data / "truceline.db").read_bytes() == damaged


def test_restore_keeps_the_damaged_file_and_brings_back_the_backup(tmp_path: Path) -> None:
    data = tmp_path / "data"
    old_device, ids = laptop_with_backup(data)
    damaged = damage(data / "truceline.db")

    recovery = restore_backup(data)

    kept = recovery.kept_aside
    assert kept is not None and kept.parent == data / "damaged"
    assert (kept / "truceline.db").read_bytes() == damaged
    assert (kept / "retired-device_key.pem").exists()
    store = open_store(data)
    try:
        present = {r[0] for r in store.conn.execute("SELECT incident_id FROM incidents")}
        assert present == set(ids[:2])
        # A new identity: sequence numbers of the lost versions are never reused.
        assert store.device.device_id != old_device
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        store.close()
    advice = "\n".join(recovery.advice())
    assert "this laptop (before the restore): versions 1–2 are here" in advice
    assert "new device identity" in advice
    assert str(kept) in advice


def test_restore_skips_a_backup_that_fails_its_check(tmp_path: Path) -> None:
    data = tmp_path / "data"
    laptop_with_backup(data)
    store = open_store(data)
    newer = make_backup(store.conn, data / "backups", "auto")
    store.close()
    damage(newer.path)
    assert [b.path for b in verified_backups(data)] != [] and newer.path not in [b.path for b in verified_backups(data)]
    recovery = restore_backup(data)
    assert recovery.backup.path != newer.path


def test_without_a_backup_nothing_is_moved(tmp_path: Path) -> None:
    data = tmp_path / "data"
    open_store(data).close()
    before = (data / "truceline.db").read_bytes()
    with pytest.raises(DatabaseError, match="no verified backup"):
        restore_backup(data)
    assert (data / "truceline.db").read_bytes() == before
    assert not (data / "damaged").exists()


def test_start_empty_keeps_the_old_file_and_key(tmp_path: Path) -> None:
    data = tmp_path / "data"
    laptop_with_backup(data)
    kept = start_empty(data)
    assert kept is not None and (kept / "truceline.db").exists() and (kept / "retired-device_key.pem").exists()
    store = open_store(data)
    try:
        assert store.conn.execute("SELECT count(*) FROM incidents").fetchone()[0] == 0
    finally:
        store.close()


def test_garbage_and_truncated_files_and_other_programs_databases_are_refused(tmp_path: Path) -> None:
    cases = {
        "garbage": b"PK\x03\x04 this is a zip, not a database" * 100,
        "truncated header": b"SQLite format 3\x00" + b"\x00" * 50,
    }
    for name, content in cases.items():
        data = tmp_path / name
        data.mkdir()
        (data / "truceline.db").write_bytes(content)
        with pytest.raises(DamagedDatabaseError):
            open_store(data)
        assert (data / "truceline.db").read_bytes() == content, name
    other = tmp_path / "other"
    other.mkdir()
    conn = sqlite3.connect(other / "truceline.db")
    conn.execute("CREATE TABLE contacts (name TEXT)")
    conn.commit()
    conn.close()
    before = (other / "truceline.db").read_bytes()
    with pytest.raises(DamagedDatabaseError, match="not a Truceline database"):
        open_store(other)
    assert (other / "truceline.db").read_bytes() == before


def test_check_reports_damage_and_restore_recovers_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    laptop_with_backup(data)
    damage(data / "truceline.db")
    assert main(["--data-dir", str(data), "check"]) == 1
    captured = capsys.readouterr()
    assert "damaged" in captured.err
    assert "latest verified backup: truceline-" in captured.out
    assert "truceline restore" in captured.out
    assert main(["--data-dir", str(data), "restore"]) == 0
    out = capsys.readouterr().out
    assert "Restored the verified backup" in out and "damaged" in out
    assert main(["--data-dir", str(data), "check"]) == 0
    assert "result: ok" in capsys.readouterr().out


def test_restore_names_a_file_that_is_not_a_backup(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    laptop_with_backup(data)
    before = (data / "truceline.db").read_bytes()
    assert main(["--data-dir", str(data), "restore", str(tmp_path / "holiday.jpg")]) == 2
    assert "not a Truceline backup" in capsys.readouterr().err
    assert (data / "truceline.db").read_bytes() == before


def test_restore_is_refused_while_the_window_is_open(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from desktop.window.instance_lock import InstanceLock

    data = tmp_path / "data"
    laptop_with_backup(data)
    before = (data / "truceline.db").read_bytes()
    with InstanceLock(data):
        assert main(["--data-dir", str(data), "restore"]) == 2
    assert "already open" in capsys.readouterr().err
    assert (data / "truceline.db").read_bytes() == before


def test_after_a_restore_the_lost_records_come_back_from_a_bundle_and_new_ones_merge_cleanly(tmp_path: Path) -> None:
    """The advice works: what this laptop sent before the damage returns through the supervisor's
    bundle, and records made after the restore (under the new identity) never collide with them."""
    from laptops import Laptop

    field, base = Laptop(tmp_path, "field"), Laptop(tmp_path, "base", role="supervisor")
    kept = field.record(count=1).incident_id
    make_backup(field.store.conn, field.store.data_dir / "backups", "auto")
    sent = [field.record(count=n).incident_id for n in (2, 3)]  # after the backup, and sent on
    base.receive(field.export())
    data = field.store.data_dir
    field.close()
    damage(data / "truceline.db")

    recovery = restore_backup(data)
    assert "versions 1–1 are here" in "\n".join(recovery.advice())
    field = Laptop.reopen(tmp_path, "field")
    try:
        held = {r[0] for r in field.store.conn.execute("SELECT incident_id FROM incidents")}
        assert held == {kept}
        field.receive(base.export(everything=True))  # what the supervisor holds
        held = {r[0] for r in field.store.conn.execute("SELECT incident_id FROM incidents")}
        assert held == {kept, *sent}
        newer = field.record(count=4).incident_id  # under the new device identity
        (result,) = base.receive(field.export())
        assert result.added >= 1
        assert newer in {r[0] for r in base.store.conn.execute("SELECT incident_id FROM incidents")}
        assert field.state() != "" and check_database(base.store.conn, base.store.calendar).ok
    finally:
        field.close()
        base.close()
