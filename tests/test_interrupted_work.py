"""Interrupted work and busy neighbours: what a killed backup or export left is removed (never
counted as a backup), a demo stopped by a full disk says exactly what it saved, and `check` exits
1 only for damage."""

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest
from support import laptop_with_backup

from db.core.atomic_file import mark_in_use
from db.core.errors import DiskFullError
from db.core.sql_driver import sqlite3
from db.records import demo
from db.storage.backup import list_backups
from db.storage.connection import bulk_writes
from db.storage.damage import damage_noted
from db.storage.leftovers import remove_leftovers
from db.storage.store import Store, open_store
from desktop.cli import main as cli
from desktop.cli.main import main


def run(data: Path, *args: str) -> int:
    return main(["--data-dir", str(data), *args])


def incidents_in(data: Path) -> int:
    store = open_store(data)
    try:
        return int(store.conn.execute("SELECT count(*) FROM incidents").fetchone()[0])
    finally:
        store.close()


# --- demo on a disk that fills part-way --------------------------------------------------------


def test_demo_on_a_disk_that_fills_part_way_says_how_many_were_saved(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    assert run(data, "demo", "--incidents", "10") == 0
    capsys.readouterr()
    monkeypatch.setattr(demo, "BATCH", 100)
    opened = cli.open_store

    def nearly_full(*args: object, **kwargs: object) -> Store:
        """The disk has room for a few batches: SQLite's page limit fails a write as ENOSPC does."""
        store = opened()
        pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
        store.conn.execute(f"PRAGMA max_page_count = {pages + 300}")
        return store

    monkeypatch.setattr(cli, "open_store", nearly_full)
    assert run(data, "demo", "--incidents", "2000", "--seed", "4") == 2
    err = capsys.readouterr().err
    saved = incidents_in(data) - 10
    assert 0 < saved < 2000 and saved % 100 == 0
    expected = (
        f"truceline: the disk is full: {saved:,} of the 2,000 demo incidents were saved, the rest were not. "
        "Free some space, then run demo again for more\n"
    )
    assert err == expected
    assert run(data, "check") == 0


DEMO_ON_A_SMALL_DISK = """
import resource, signal, sys
from db.records import demo
from desktop.cli.main import main
demo.BATCH = 200
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails as on a full disk
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[2]), int(sys.argv[2])))
sys.exit(main(["--data-dir", sys.argv[1], "demo", "--incidents", "4000", "--seed", "9"]))
"""


def test_demo_stopped_by_a_real_write_limit_ends_with_one_line_and_the_exact_count(tmp_path: Path) -> None:
    """The operating system refuses the writes (files may not grow past 3 MB), the clean-up's
    checkpoint included: one line, no traceback, and the count that is really in the database."""
    data = tmp_path / "data"
    open_store(data).close()
    result = subprocess.run(
        [sys.executable, "-c", DEMO_ON_A_SMALL_DISK, str(data), str(3 * 1024 * 1024)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1, result.stderr
    # A refused write is an I/O error: the data directory is noted as possibly damaged until the full
    # check finds the file sound (db/storage/damage.py); it does, and clears the note.
    assert damage_noted(data) is not None
    assert main(["--data-dir", str(data), "check"]) == 0
    assert damage_noted(data) is None
    saved = incidents_in(data)
    assert 0 < saved < 4000
    assert f"{saved:,} of the 4,000 demo incidents were saved, the rest were not" in result.stderr
    assert "nothing was saved" not in result.stderr


class _FullDiskAtCleanUp:
    """A connection whose last checkpoint fails, as it does on the disk that filled during the work."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def execute(self, sql: str) -> sqlite3.Cursor:
        if "wal_checkpoint" in sql:
            raise sqlite3.OperationalError("database or disk is full")
        return self.conn.execute(sql)


def test_the_clean_up_checkpoint_never_hides_the_error_that_stopped_the_work(store: Store) -> None:
    flaky = cast(sqlite3.Connection, _FullDiskAtCleanUp(store.conn))
    with pytest.raises(DiskFullError, match="the disk is full"):
        with bulk_writes(flaky):
            raise DiskFullError("the disk is full: 1,500 of the 2,000 demo incidents were saved")
    with bulk_writes(flaky):  # committed work is safe in the WAL: a failed copy is no error
        pass
    assert store.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000


# --- leftovers of interrupted work -------------------------------------------------------------


@pytest.fixture
def leftovers(data_dir: Path) -> Iterator[list[Path]]:
    laptop_with_backup(data_dir)
    backups = data_dir / "backups"
    names = [
        backups / "truceline-20260501T101010Z-manual.db.partial",
        backups / "truceline-20260501T101010Z-manual.db.partial-journal",
        backups / "truceline-20260502T101010Z-auto.db.partial",
        data_dir / "drafts" / ".0192abcd.json.x1y2z3.part",
        data_dir / ".device_key.pem.q9w8e7.part",
    ]
    (data_dir / "drafts").mkdir(exist_ok=True)
    for path in names:
        path.write_bytes(b"\0" * 4096)
    yield names


def test_leftovers_of_interrupted_work_go_at_the_next_start_and_never_count_as_backups(
    data_dir: Path, leftovers: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert len(list_backups(data_dir / "backups")) == 1  # partial files are never backups
    assert run(data_dir, "stats") == 0
    assert [p for p in leftovers if p.exists()] == []
    assert len(list_backups(data_dir / "backups")) == 1
    capsys.readouterr()
    assert run(data_dir, "check") == 0
    assert "latest verified backup: truceline-" in capsys.readouterr().out


def test_a_temporary_file_still_being_written_is_left_alone(data_dir: Path, leftovers: list[Path]) -> None:
    busy = leftovers[2]
    fd = os.open(busy, os.O_RDWR)
    try:
        mark_in_use(fd)  # as a backup running in another window or command does
        remove_leftovers(data_dir)
        assert busy.exists()
        assert [p for p in leftovers if p.exists()] == [busy]
    finally:
        os.close(fd)
    remove_leftovers(data_dir)
    assert not busy.exists()


KILLED_BACKUP = """
import sys, time
from pathlib import Path
from db.storage.backup import make_backup
from db.storage.store import open_store
store = open_store(Path(sys.argv[1]))
def stall(done, total):
    print("copying", flush=True)
    time.sleep(600)  # killed here, half-way
make_backup(store.conn, Path(sys.argv[1]) / "backups", "manual", progress=stall)
"""


def test_a_killed_backup_is_kept_while_running_and_removed_by_the_next_backup(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    laptop_with_backup(data_dir)
    backups = data_dir / "backups"
    with subprocess.Popen(
        [sys.executable, "-c", KILLED_BACKUP, str(data_dir)], stdout=subprocess.PIPE, text=True
    ) as writer:
        try:
            assert writer.stdout is not None and writer.stdout.readline() == "copying\n"
            (partial,) = backups.glob("*.partial")
            assert run(data_dir, "stats") == 0  # a start beside a running backup
            assert partial.exists()
        finally:
            writer.send_signal(signal.SIGKILL)
            writer.wait()
    assert partial.exists()  # what the killed backup left
    capsys.readouterr()
    assert run(data_dir, "backup") == 0
    assert list(backups.glob("*.partial*")) == []
    assert len(list_backups(backups)) == 2


@pytest.mark.parametrize("command", [("export-csv",), ("bundle", "export")])
def test_an_export_removes_what_a_killed_export_of_the_same_file_left(
    command: tuple[str, ...], tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    laptop_with_backup(data_dir)
    out = tmp_path / "usb" / ("report.csv" if command == ("export-csv",) else "hart.zip")
    out.parent.mkdir()
    left = out.parent / f".{out.name}.k1ll3d.part"
    other = out.parent / ".somebody-else.csv.k1ll3d.part"
    left.write_bytes(b"half an export")
    other.write_bytes(b"not ours to judge")
    assert run(data_dir, *command, str(out)) == 0
    assert out.exists() and not left.exists()
    assert other.exists()  # only the leftovers of the file being written


# --- check: 1 only for damage ------------------------------------------------------------------


def test_check_on_a_database_another_program_is_writing_is_busy_not_damaged(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    laptop_with_backup(data_dir)
    monkeypatch.setattr("db.storage.connection.BUSY_TIMEOUT_MS", 100)
    holder = sqlite3.connect(data_dir / "truceline.db", isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        holder.execute("INSERT INTO meta (key, value) VALUES ('held', 'by another program')")
        assert run(data_dir, "check") == 2
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    captured = capsys.readouterr()
    assert "busy" in captured.err and "try again" in captured.err and captured.err.count("\n") == 1
    assert "problem" not in captured.out
    assert run(data_dir, "check") == 0


def test_check_reports_an_open_sequence_gap_from_out_of_order_bundles_but_it_is_no_damage(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from laptops import Laptop

    field, base = Laptop(tmp_path, "field"), Laptop(tmp_path, "base", role="supervisor")
    field.record(count=1)
    field.export()  # still on its way
    field.record(count=2)
    base.receive(field.export())  # arrives first
    field.close()
    base.close()
    assert run(tmp_path / "base", "check") == 0
    out = capsys.readouterr().out
    assert "note: device" in out and "versions 1 missing (not received yet: an open sequence gap)" in out
    assert "result: ok" in out
