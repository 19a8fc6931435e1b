"""Rolling backups: verified copies taken only when the data changed, thinned like backup tools do."""

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support import save, small_files

from db.core.errors import DatabaseError
from db.core.sql_driver import sqlite3
from db.storage.backup import (
    BackupInfo,
    backups_to_thin,
    data_fingerprint,
    list_backups,
    make_backup,
    rolling_backup,
    thin_backups,
)
from db.storage.store import Store
from db.storage.versions import Writer


def incident_count(path: Path) -> int:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return int(conn.execute("SELECT count(*) FROM incidents").fetchone()[0])
    finally:
        conn.close()


def test_a_backup_is_a_verified_self_contained_copy(store: Store, writer: Writer) -> None:
    save(store, writer)
    info = make_backup(store.conn, store.data_dir / "backups", "manual")
    assert info.path.exists() and info.label == "manual" and info.size > 0
    assert incident_count(info.path) == 1
    # No WAL beside it: the one file is the whole backup.
    assert not Path(str(info.path) + "-wal").exists()
    assert [p.name for p in (store.data_dir / "backups").iterdir()] == [info.path.name]


def test_rolling_backup_only_when_the_data_changed(store: Store, writer: Writer) -> None:
    backups = store.data_dir / "backups"
    save(store, writer)
    first = rolling_backup(store.conn, backups)
    assert first is not None
    assert rolling_backup(store.conn, backups) is None  # nothing changed since
    assert len(list_backups(backups)) == 1
    save(store, writer, count=3)
    second = rolling_backup(store.conn, backups)
    assert second is not None and second.taken_at > first.taken_at
    assert incident_count(second.path) == 2
    assert data_fingerprint(store.conn) != ""


def test_a_changed_monitor_profile_also_counts_as_a_change(store: Store, writer: Writer) -> None:
    from db.records.monitors import add_monitor

    backups = store.data_dir / "backups"
    save(store, writer)
    assert rolling_backup(store.conn, backups) is not None
    add_monitor(store.conn, "Second Monitor", "SEC", "monitor")
    assert rolling_backup(store.conn, backups) is not None


def fake(taken: datetime, label: str = "auto") -> BackupInfo:
    return BackupInfo(Path(f"truceline-{taken:%Y%m%dT%H%M%SZ}-{label}.db"), taken, label, 1)


def test_thinning_keeps_the_last_few_then_daily_weekly_monthly() -> None:
    newest = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    # One automatic backup every 10 minutes for 2 days, then one every 6 hours for 400 days.
    backups = [fake(newest - timedelta(minutes=10 * i)) for i in range(288)]
    backups += [fake(newest - timedelta(days=2, hours=6 * i)) for i in range(1600)]
    kept = {b.path for b in backups} - {b.path for b in backups_to_thin(backups)}
    kept_times = sorted((b.taken_at for b in backups if b.path in kept), reverse=True)
    # The newest six are all kept.
    assert kept_times[:6] == [newest - timedelta(minutes=10 * i) for i in range(6)]
    days = {t.date() for t in kept_times}
    assert {newest.date() - timedelta(days=d) for d in range(7)} <= days
    months = {(t.year, t.month) for t in kept_times}
    assert len(months) == 12
    # Far fewer than the 1,888 taken, and the oldest kept is about a year old.
    assert len(kept) < 6 + 7 + 5 + 12
    assert newest - kept_times[-1] > timedelta(days=300)


def test_thinning_never_removes_manual_or_pre_migration_backups(tmp_path: Path) -> None:
    newest = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    for i in range(30):
        for label in ("auto", "manual", "before-m002-reporting-day"):
            path = tmp_path / f"truceline-{newest - timedelta(minutes=i):%Y%m%dT%H%M%SZ}-{label}.db"
            path.write_bytes(b"x")
    removed = thin_backups(tmp_path)
    remaining = list_backups(tmp_path)
    assert len(removed) == 30 - 6
    assert all("-auto.db" in p.name for p in removed)
    assert sum(b.label == "manual" for b in remaining) == 30
    assert sum(b.label.startswith("before-") for b in remaining) == 30


def test_backup_to_a_full_disk_fails_clearly_and_leaves_no_file(tmp_path: Path) -> None:
    """A file-size limit makes every write past it fail, as a full disk would."""
    data = tmp_path / "data"
    env = {**os.environ, "TRUCELINE_DATA_DIR": str(data)}
    subprocess.run([sys.executable, "-m", "desktop", "demo", "--incidents", "300"], env=env, check=True)
    database = data / "truceline.db"
    before = database.read_bytes()

    result = subprocess.run(
        [sys.executable, "-m", "desktop", "backup"], env=env, capture_output=True, text=True, preexec_fn=small_files
    )
    assert result.returncode == 2
    assert "no backup was made" in result.stderr or "could not be written" in result.stderr
    assert "Traceback" not in result.stderr
    assert [p.name for p in (data / "backups").iterdir()] == []
    assert database.read_bytes() == before


def test_a_backup_folder_that_cannot_be_created_is_a_clear_error(store: Store, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(DatabaseError, match="cannot create the backup folder"):
        make_backup(store.conn, blocker / "backups")
