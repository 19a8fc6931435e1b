"""The start-up integrity check runs in the background and reports a damaged database."""

from pathlib import Path

from support import valid_raw

from db.model.validation import validate_incident
from db.records.incidents import record_incidents
from db.storage.store import open_store
from desktop.window.startup_check import StartupCheck


def _filled(directory: Path) -> Path:
    store = open_store(directory)
    from db.records.monitors import add_monitor

    writer = store.writer(add_monitor(store.conn, "A B", "AB", "monitor").monitor_id)
    incidents = [validate_incident(valid_raw(count=n + 1), theatre=store.theatre) for n in range(300)]
    record_incidents(store.conn, writer, incidents, store.calendar)
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return directory / "truceline.db"


def run_check(qtbot, path: Path) -> str:  # type: ignore[no-untyped-def]
    check = StartupCheck(path)
    with qtbot.waitSignal(check.finishedCheck, timeout=20000) as blocker:
        check.start()
    check.wait()
    return str(blocker.args[0])


def test_a_sound_database_passes(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert run_check(qtbot, _filled(tmp_path / "ok")) == ""


def test_a_damaged_database_is_reported_and_left_alone(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = _filled(tmp_path / "bad")
    data = bytearray(path.read_bytes())
    page = 4096
    for offset in range(page * 5, min(len(data), page * 40), page):
        data[offset : offset + 64] = b"\xff" * 64  # smash page headers in the middle of the file
    path.write_bytes(bytes(data))
    damaged = path.read_bytes()
    problem = run_check(qtbot, path)
    assert problem and "truceline.db" in problem
    assert path.read_bytes() == damaged  # the check never writes
