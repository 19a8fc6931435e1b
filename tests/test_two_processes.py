"""Two programs on one data directory: every command runs beside an open store (as beside the
window), sees what the other committed, and leaves its WAL alone; a restore is refused while
anyone else uses the data."""

import subprocess
import sys
from pathlib import Path

import pytest
from laptops import Laptop
from support import save

from db.core.errors import DatabaseError
from db.records.monitors import add_monitor, set_local_profile
from db.storage.backup import make_backup
from db.storage.connection import connect
from db.storage.integrity import check_database
from db.storage.recovery import restore_backup
from db.storage.store import open_store
from db.storage.usage_lock import using_data_dir


def truceline(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "desktop", "--data-dir", str(data_dir), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)


def test_every_command_runs_beside_an_open_store_and_no_save_is_lost(data_dir: Path, tmp_path: Path) -> None:
    other = Laptop(tmp_path / "others", "east")
    other.record(count=4)
    bundle = other.export()
    other.close()
    store = open_store(data_dir)
    person = add_monitor(store.conn, "Olena Koval", "OK1", "monitor")
    set_local_profile(store.conn, person)
    writer = store.writer(person.monitor_id)
    saved = [save(store, writer, count=1).incident_id]
    make_backup(store.conn, data_dir / "backups")
    connect(data_dir / "truceline.db").close()  # as the window's worker threads do
    csv = tmp_path / "out.csv"
    try:
        for args in (
            ("stats",),
            ("export-csv", str(csv)),
            ("check",),
            ("bundle", "log"),
            ("bundle", "export", str(tmp_path / "mine.zip")),
            ("demo", "--incidents", "40", "--seed", "3"),
            ("bundle", "import", str(bundle)),
            ("backup",),
        ):
            result = truceline(data_dir, *args)
            assert result.returncode == 0, (args, result.stderr)
            saved.append(save(store, writer, count=2).incident_id)  # the open store goes on saving
        result = truceline(data_dir, "import-csv", str(csv))  # everything in it is already held
        assert result.returncode == 0, result.stderr
        refused = truceline(data_dir, "restore")
        assert refused.returncode == 2 and refused.stderr.count("\n") == 1
        assert "another Truceline" in refused.stderr and "using this data" in refused.stderr
        # The store sees what the commands committed: 1 + 8 saves here, 40 demo incidents, 1 imported.
        assert store.conn.execute("SELECT count(*) FROM incidents").fetchone()[0] == 9 + 40 + 1
        assert check_database(store.conn, store.calendar).ok
        assert (data_dir / "truceline.db-wal").exists()
    finally:
        store.close()
    again = open_store(data_dir)
    try:
        present = {r[0] for r in again.conn.execute("SELECT incident_id FROM incidents")}
        assert set(saved) <= present
        assert again.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        again.close()
    assert truceline(data_dir, "check").returncode == 0


def test_a_restore_under_way_refuses_other_commands_in_one_sentence(data_dir: Path) -> None:
    open_store(data_dir).close()
    with using_data_dir(data_dir, alone=True):
        result = truceline(data_dir, "stats")
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "a restore is replacing the database" in result.stderr


def test_an_open_store_shares_the_data_with_commands_but_not_with_a_restore(data_dir: Path) -> None:
    window = open_store(data_dir)
    try:
        with using_data_dir(data_dir):
            pass  # a command beside the window
        with pytest.raises(DatabaseError, match="another Truceline"):
            restore_backup(data_dir)
    finally:
        window.close()
    with using_data_dir(data_dir, alone=True):
        pass
