"""Damage met while the window is open stops it: nothing more is written, no blank rows, one
sentence saying what happened and where the records are, and the next start offers the restore."""

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from support import save
from test_window import open_form, type_into

from db.core.errors import DamagedDatabaseError
from db.core.sql_driver import sqlite3
from db.storage.backup import make_backup
from db.storage.damage import damage_noted
from db.storage.store import Store, open_store
from db.storage.versions import Writer
from desktop.window.main_window import MainWindow


@pytest.fixture
def window(qtbot, store: Store, monitor, writer: Writer, tmp_path: Path) -> MainWindow:  # type: ignore[no-untyped-def]
    for n in range(300):
        save(store, writer, count=1 + n % 40, narrative=f"incident {n} " + "words " * 40)
    make_backup(store.conn, store.data_dir / "backups", "auto")
    win = MainWindow(store, QSettings(str(tmp_path / "t.ini"), QSettings.Format.IniFormat), monitor)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def corrupt_behind_the_window(store: Store) -> None:
    """A failing disk: the second half of the file becomes garbage. Another connection's write then
    makes the window's connection drop its page cache and read the file again."""
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    path = store.data_dir / "truceline.db"
    data = bytearray(path.read_bytes())
    half = len(data) // 2
    data[half:] = b"\xde\xad\xbe\xef" * ((len(data) - half) // 4)
    path.write_bytes(bytes(data))
    other = sqlite3.connect(path)
    try:
        other.execute("PRAGMA journal_mode = WAL")
        other.execute("CREATE TABLE IF NOT EXISTS nudge (x)")
        other.commit()
    except sqlite3.DatabaseError:
        pass
    finally:
        other.close()


def test_damage_found_while_reading_stops_the_window_and_is_noted(qtbot, window: MainWindow, store: Store) -> None:  # type: ignore[no-untyped-def]
    corrupt_behind_the_window(store)
    with qtbot.waitSignal(window.damage.damaged, timeout=30_000):
        window.refresh_action.trigger()  # F5: the slot meets the damage, as a user's key press would
    assert window.damage.stopped
    assert not window.tabs.isVisible() and not window.filter_bar.isVisible()  # no blank rows, no stale numbers
    panel = window.stopped_panel
    assert panel.isVisible() and "stopped writing" in panel.message.text()
    assert "truceline-" in panel.message.text()  # names the backup holding the records
    assert not window.new_action.isEnabled() and not window.import_csv_action.isEnabled()
    assert window.quit_action.isEnabled()
    assert not window.checkpointer.running  # nothing more reaches the file from its thread either
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        store.conn.execute("INSERT INTO meta (key, value) VALUES ('x', 'y')")
    assert damage_noted(store.data_dir) is not None
    window.close()
    with pytest.raises(DamagedDatabaseError, match="damage was found"):
        open_store(store.data_dir)


def test_a_save_that_meets_damage_keeps_the_draft_and_stops_the_window(  # type: ignore[no-untyped-def]
    qtbot, window: MainWindow, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    form = open_form(qtbot, window)
    for name, text in (
        ("observer_position", "48.40, 37.70"),
        ("category", "fire"),
        ("means", "heard"),
        ("narrative", "typed under stress"),
    ):
        type_into(qtbot, form, name, text)
    assert form.problems() == {}

    def failing_disk(*_args: object, **_kwargs: object) -> object:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr("desktop.form.incident_form.record_incident", failing_disk)
    monkeypatch.setattr("desktop.form.incident_form.save_failed", lambda _form, error: None)
    monkeypatch.setattr(type(form), "_ask", lambda _self, _box: None)
    with qtbot.waitSignal(window.damage.damaged, timeout=30_000):
        form.save()
    assert list((store.data_dir / "drafts").iterdir()), "the typed form must survive as a draft"
    assert window.stopped_panel.isVisible()
