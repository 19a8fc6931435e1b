"""``truceline check --rebuild``: damage to what the versions derive is mended from the versions, after a
backup; damage to the versions or the file is refused, and so is a rebuild beside the open window."""

from pathlib import Path

import pytest
from support import save

from db.storage.backup import list_backups
from db.storage.store import open_store
from desktop.cli.main import main as cli_main
from desktop.window.instance_lock import InstanceLock


def check(data_dir: Path, *options: str) -> int:
    return cli_main(["--data-dir", str(data_dir), "check", *options])


def table(data_dir: Path) -> list[tuple[object, ...]]:
    store = open_store(data_dir)
    try:
        return (
            store.conn.execute("SELECT incident_id, count, zone_id FROM incidents ORDER BY incident_id").fetchall()
            + store.conn.execute("SELECT count(*), max(version_id) FROM incident_versions").fetchall()
        )
    finally:
        store.close()


def damage(data_dir: Path, *statements: str) -> None:
    """Edit the file behind Truceline's back, as a tool or a bug could."""
    store = open_store(data_dir)
    try:
        for statement in statements:
            store.conn.execute(statement)
    finally:
        store.close()


@pytest.fixture
def filled(data_dir: Path) -> Path:
    from db.records.monitors import add_monitor

    store = open_store(data_dir)
    try:
        writer = store.writer(add_monitor(store.conn, "Amelia Hart", "HART", "monitor").monitor_id)
        for n in range(3):
            save(store, writer, count=n + 1)
    finally:
        store.close()
    return data_dir


def test_a_damaged_incident_table_is_derived_again_from_the_versions(
    filled: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = table(filled)
    damage(
        filled,
        "UPDATE incidents SET count = 99 WHERE rowid = (SELECT min(rowid) FROM incidents)",
        "DELETE FROM incident_count",
    )
    assert check(filled) == 1
    said = capsys.readouterr().out
    assert "count differ from its versions" in said and "count kept for the table is missing" in said

    assert check(filled, "--rebuild") == 0
    said = capsys.readouterr().out
    assert "rebuilt 3 incidents from their versions" in said
    assert "result after the rebuild: ok" in said
    (backup,) = [b for b in list_backups(filled / "backups") if b.label == "before-rebuild"]
    assert f"backups/{backup.path.name}" in said  # the file as it was is kept, named
    assert table(filled) == before  # the versions' values again, not a record lost or added
    assert check(filled) == 0


def test_nothing_to_rebuild_changes_nothing(filled: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert check(filled, "--rebuild") == 0
    assert "rebuild: not needed, nothing is damaged" in capsys.readouterr().out
    assert not list_backups(filled / "backups")


def test_damaged_versions_are_not_rebuilt_over(filled: Path, capsys: pytest.CaptureFixture[str]) -> None:
    damage(
        filled,
        "DROP TRIGGER incident_versions_no_update",  # what an attacker with the file could do
        "UPDATE incident_versions SET reason = 'edited' WHERE rowid = (SELECT max(rowid) FROM incident_versions)",
    )
    before = table(filled)
    assert check(filled, "--rebuild") == 1
    said = capsys.readouterr().out
    assert "rebuild: not done, nothing was changed: the damage is in the file or the versions themselves" in said
    assert "truceline restore" in said
    assert table(filled) == before and not list_backups(filled / "backups")


def test_a_rebuild_waits_for_the_window_to_close(filled: Path, capsys: pytest.CaptureFixture[str]) -> None:
    damage(filled, "DELETE FROM incident_count")
    before = table(filled)
    with InstanceLock(filled):  # the window holds it while it is open
        assert check(filled, "--rebuild") == 2
    captured = capsys.readouterr()
    assert "Truceline is already open with the data in" in captured.err and "close it first" in captured.err
    assert table(filled) == before and not list_backups(filled / "backups")
    assert check(filled, "--rebuild") == 0  # once it is closed
