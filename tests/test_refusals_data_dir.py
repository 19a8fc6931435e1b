"""What is found in the data directory is never replaced or rewritten without a word: a database
that vanished while its key and backups remain, a journal left by another database, a file cut
short. Every command refuses in one sentence, changes no byte, and `truceline restore` keeps the
files as they were found."""

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import laptop_with_backup, save

from db.core.errors import DamagedDatabaseError
from db.core.sql_driver import sqlite3
from db.records.monitors import add_monitor
from db.storage.connection import connect
from db.storage.integrity import check_database
from db.storage.preflight import LostDatabaseError
from db.storage.recovery import start_empty
from db.storage.store import open_store
from desktop.cli.main import main

SUFFIXES = ("", "-wal", "-shm")


def run(data: Path, *args: str) -> int:
    return main(["--data-dir", str(data), *args])


def digest(path: Path) -> str | None:
    """The file's SHA-256 (None when absent); called only while this process holds no connection."""
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


def files_of(data: Path) -> dict[str, str | None]:
    return {name: digest(data / name) for name in ("truceline.db", "truceline.db-wal", "device_key.pem")}


def commands(tmp_path: Path) -> list[tuple[str, ...]]:
    """Every subcommand that opens the database, with the arguments it needs."""
    csv = tmp_path / "in.csv"
    csv.write_text("incident_id\n", encoding="utf-8")
    return [
        ("stats",),
        ("demo", "--incidents", "5"),
        ("backup",),
        ("export-csv", str(tmp_path / "out.csv")),
        ("import-csv", str(csv)),
        ("bundle", "export", str(tmp_path / "out.zip")),
        ("bundle", "import", str(tmp_path / "missing.zip")),
        ("bundle", "log"),
        ("check",),
    ]


def assert_refused_by_all(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], words: str
) -> dict[str, str | None]:
    before = files_of(data)
    backups = sorted(p.name for p in (data / "backups").iterdir())
    for command in commands(tmp_path):
        status = run(data, *command)
        captured = capsys.readouterr()
        assert status == (1 if command == ("check",) else 2), command
        assert captured.err.count("\n") == 1 and words in captured.err, (command, captured.err)
        assert "truceline restore" in captured.err + captured.out, command
        assert "Traceback" not in captured.err
        assert files_of(data) == before, command
        assert sorted(p.name for p in (data / "backups").iterdir()) == backups, command
    assert not (tmp_path / "out.csv").exists() and not (tmp_path / "out.zip").exists()
    return before


@pytest.mark.parametrize("how", ["deleted", "emptied"])
def test_a_lost_database_is_refused_by_every_command_and_the_key_kept(
    how: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    laptop_with_backup(data)
    key = (data / "device_key.pem").read_bytes()
    for suffix in SUFFIXES:
        Path(f"{data / 'truceline.db'}{suffix}").unlink(missing_ok=True)
    if how == "emptied":
        (data / "truceline.db").write_bytes(b"")
    capsys.readouterr()
    assert_refused_by_all(data, tmp_path, capsys, "missing or empty")
    assert (data / "truceline.db").exists() == (how == "emptied")
    assert (data / "device_key.pem").read_bytes() == key

    # The offered way out: the backup comes back, the old key is set aside, not overwritten.
    assert run(data, "restore") == 0
    assert "Restored the verified backup" in capsys.readouterr().out
    (retired,) = (data / "damaged").glob("*/retired-device_key.pem")
    assert retired.read_bytes() == key
    assert run(data, "check") == 0
    out = capsys.readouterr().out
    assert "versions: 2 " in out and "result: ok" in out
    assert (data / "device_key.pem").read_bytes() != key  # a new identity, beside the kept one


def test_drafts_alone_are_enough_to_refuse_a_lost_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    (data / "drafts").mkdir(parents=True)
    (data / "drafts" / "0192.json").write_text("{}", encoding="utf-8")
    assert run(data, "stats") == 2
    assert "1 draft" in capsys.readouterr().err
    assert not (data / "truceline.db").exists()
    with pytest.raises(LostDatabaseError):
        open_store(data)


def test_an_explicit_first_start_in_an_empty_directory_creates_the_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    assert run(data, "stats") == 0
    assert (data / "truceline.db").stat().st_size > 0 and (data / "device_key.pem").exists()
    assert run(data, "check") == 0


def test_starting_empty_after_damage_is_not_taken_for_a_lost_database(tmp_path: Path) -> None:
    data = tmp_path / "data"
    laptop_with_backup(data)
    kept = start_empty(data)
    assert kept is not None and (kept / "truceline.db").exists()
    store = open_store(data)  # the backups are still there, yet this start was chosen
    try:
        assert store.conn.execute("SELECT count(*) FROM incident_versions").fetchone()[0] == 0
    finally:
        store.close()


def test_a_key_the_database_does_not_name_is_set_aside_not_overwritten(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "device_key.pem").write_bytes(b"an older laptop identity\n")
    fresh = connect(data / "truceline.db")  # a database with no device yet, beside an old key
    fresh.close()
    store = open_store(data)
    store.close()
    (retired,) = (data / "damaged").glob("*/retired-device_key.pem")
    assert retired.read_bytes() == b"an older laptop identity\n"
    assert (data / "device_key.pem").read_bytes() != b"an older laptop identity\n"


MAKE_WAL = """
import shutil, sqlite3, sys, os
source, target = sys.argv[1], sys.argv[2]
conn = sqlite3.connect(source, isolation_level=None)
conn.execute("PRAGMA wal_autocheckpoint = 0")
conn.execute("VACUUM")  # every page of the other database into its WAL
shutil.copy(source + "-wal", target + "-wal")
os._exit(0)  # no checkpoint, no clean-up: as a killed program leaves it
"""


def other_database_wal(tmp_path: Path, target: Path) -> None:
    """Leave the WAL of another Truceline database (another device, 3 versions) beside ``target``."""
    other = tmp_path / "other"
    store = open_store(other)
    writer = store.writer(add_monitor(store.conn, "Someone Else", "ELSE", "monitor").monitor_id)
    for n in (1, 2, 3):
        save(store, writer, count=n)
    store.close()
    subprocess.run([sys.executable, "-c", MAKE_WAL, str(other / "truceline.db"), str(target)], check=True)


def test_a_journal_left_by_another_database_is_never_replayed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    laptop_with_backup(data)
    other_database_wal(tmp_path, data / "truceline.db")
    capsys.readouterr()
    found = assert_refused_by_all(data, tmp_path, capsys, "does not belong to this database")

    assert run(data, "restore") == 0
    (kept,) = (data / "damaged").glob("2*")
    assert digest(kept / "truceline.db") == found["truceline.db"]  # as found, not replayed
    assert digest(kept / "truceline.db-wal") == found["truceline.db-wal"]
    capsys.readouterr()
    assert run(data, "check") == 0


def test_the_journal_of_a_killed_writer_is_its_own_and_is_kept(tmp_path: Path) -> None:
    """A WAL left by this database's own writer (killed before any checkpoint) passes the look."""
    data = tmp_path / "data"
    _, ids = laptop_with_backup(data)
    script = (
        "import os, sys\n"
        "sys.path.insert(0, sys.argv[2])\n"
        "from db.storage.store import open_store\n"
        "from db.records.monitors import add_monitor\n"
        "from support import save\n"
        "store = open_store(__import__('pathlib').Path(sys.argv[1]))\n"
        "store.conn.execute('PRAGMA wal_autocheckpoint = 0')\n"
        "writer = store.writer(add_monitor(store.conn, 'Late Writer', 'LATE', 'monitor').monitor_id)\n"
        "print(save(store, writer, count=9).incident_id, flush=True)\n"
        "os._exit(0)\n"
    )
    tests = str(Path(__file__).parent)
    result = subprocess.run(
        [sys.executable, "-c", script, str(data), tests], check=True, capture_output=True, text=True
    )
    assert (data / "truceline.db-wal").stat().st_size > 32
    store = open_store(data)
    try:
        held = {r[0] for r in store.conn.execute("SELECT incident_id FROM incidents")}
        assert held == {*ids, result.stdout.strip()}
        assert check_database(store.conn, store.calendar).ok
    finally:
        store.close()


def test_check_flags_versions_of_a_device_unknown_to_devices(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from laptops import Laptop

    base, field = Laptop(tmp_path, "base"), Laptop(tmp_path, "field")
    for n in (1, 2, 3):
        field.record(count=n)
    base.receive(field.export())
    stranger = field.store.device.device_id
    base.close()
    field.close()
    conn = sqlite3.connect(tmp_path / "base" / "truceline.db")  # what a replayed foreign journal leaves behind
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("DELETE FROM chain_heads WHERE device_id = ?", (stranger,))
    conn.execute("DELETE FROM devices WHERE device_id = ?", (stranger,))
    conn.commit()
    conn.close()
    assert run(tmp_path / "base", "check") == 1
    assert f"problem: device {stranger}: 3 versions of a device unknown to this database" in capsys.readouterr().out


def test_a_file_cut_short_by_one_byte_is_never_written_to(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    laptop_with_backup(data)
    database = data / "truceline.db"
    os.truncate(database, database.stat().st_size - 1)
    ro = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    assert ro.execute("PRAGMA quick_check").fetchone()[0] == "ok"  # SQLite's quick look misses it
    ro.close()
    capsys.readouterr()
    assert_refused_by_all(data, tmp_path, capsys, "cut short")
    with pytest.raises(DamagedDatabaseError, match="not a whole number of 4,096-byte pages"):
        open_store(data, check=False)  # the window's start refuses it too (and offers the restore)
