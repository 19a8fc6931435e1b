"""Backups and recovery as a user meets them in the window: the last-backup label, the rolling
backup, the restore offered after a failed start-up check, and one window per data directory."""

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox
from support import laptop_with_backup, save

import desktop.window.app as app_module
from db.core.errors import DatabaseError
from db.records.monitors import Monitor
from db.storage.backup import list_backups, make_backup
from db.storage.store import Store, open_store
from db.storage.versions import Writer
from desktop.window.instance_lock import InstanceLock
from desktop.window.main_window import MainWindow
from desktop.window.recovery_dialog import RecoveryDialog


def truncate(path: Path) -> bytes:
    """Cut the file to a third, as a killed copy might: damage found while opening, even unchecked."""
    data = path.read_bytes()[: path.stat().st_size // 3]
    path.write_bytes(data)
    return data


@pytest.fixture
def window(qtbot, store: Store, monitor: Monitor, tmp_path: Path) -> MainWindow:  # type: ignore[no-untyped-def]
    win = MainWindow(store, QSettings(str(tmp_path / "t.ini"), QSettings.Format.IniFormat), monitor)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def test_the_status_bar_says_when_the_last_verified_backup_was_made(
    qtbot, window: MainWindow, store: Store, writer: Writer
) -> None:  # type: ignore[no-untyped-def]
    assert window.backups.label.text() == "No backup yet"
    save(store, writer)
    with qtbot.waitSignal(window.backups.manualDone, timeout=30_000):
        window.backup_now()
    assert window.statusBar().currentMessage().startswith("Backup verified")
    assert window.backups.label.text().startswith("Last backup today ")
    assert len(list_backups(store.data_dir / "backups")) == 1


def test_the_rolling_backup_runs_off_the_gui_thread_only_when_data_changed(
    qtbot, window: MainWindow, store: Store, writer: Writer
) -> None:  # type: ignore[no-untyped-def]
    save(store, writer)
    with qtbot.waitSignal(window.backups.backedUp, timeout=20_000) as first:
        worker = window.backups.backup_if_changed()
        assert worker is not None
    assert first.args[0] is not None and first.args[0].label == "auto"
    assert window.backups.label.text().startswith("Last backup")
    worker.wait()
    with qtbot.waitSignal(window.backups.backedUp, timeout=20_000) as second:
        assert window.backups.backup_if_changed() is not None
    assert second.args[0] is None  # nothing changed: no new file
    assert len(list_backups(store.data_dir / "backups")) == 1


def test_closing_takes_a_backup_when_something_changed(qtbot, window: MainWindow, store: Store, writer: Writer) -> None:  # type: ignore[no-untyped-def]
    save(store, writer)
    window.close()
    assert window.backups.backup_at_exit(None) == ""
    (backup,) = list_backups(store.data_dir / "backups")
    assert backup.label == "exit"


def test_a_failed_start_up_check_offers_the_restore(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    seen: list[str] = []

    def answer() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        seen.append(box.text())
        (restore,) = [b for b in box.buttons() if b.text() == "Restore from backup…"]
        restore.click()

    QTimer.singleShot(50, answer)
    window.report_startup_check("truceline.db: the database failed its start-up check: page 7 is never used")
    assert "page 7 is never used" in seen[0] and "never deleted" in seen[0]
    assert window.recovery_requested
    qtbot.waitUntil(lambda: not window.isVisible())


def test_the_recovery_dialog_offers_what_exists(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "data"
    store = open_store(data)
    backup = make_backup(store.conn, data / "backups")
    store.close()
    with_backup = RecoveryDialog("the database is damaged: malformed", data, backup)
    qtbot.addWidget(with_backup)
    assert with_backup.restore_button is not None and with_backup.restore_button.isDefault()
    with_backup.restore_button.click()
    assert with_backup.choice == RecoveryDialog.RESTORE
    without = RecoveryDialog("the database is damaged: <b>malformed</b>", data, None)
    qtbot.addWidget(without)
    assert without.restore_button is None
    texts = " ".join(label.text() for label in without.findChildren(QLabel))
    assert "&lt;b&gt;malformed&lt;/b&gt;" in texts  # the error is shown as text, never as markup
    without.empty_button.click()
    assert without.choice == RecoveryDialog.START_EMPTY


def test_starting_on_a_damaged_database_restores_the_backup_when_asked(
    qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "data"
    laptop_with_backup(data)
    truncate(data / "truceline.db")
    monkeypatch.setattr("db.storage.paths._override", data)
    shown: list[str] = []

    def choose_restore(dialog: RecoveryDialog) -> int:
        dialog.choice = RecoveryDialog.RESTORE
        return 1

    monkeypatch.setattr(RecoveryDialog, "exec", choose_restore)
    monkeypatch.setattr(QMessageBox, "information", lambda _parent, _title, text: shown.append(text))
    store = app_module.open_or_recover()
    assert store is not None
    try:
        assert store.conn.execute("SELECT count(*) FROM incidents").fetchone()[0] == 2
    finally:
        store.close()
    assert "Restored the verified backup" in shown[0]
    assert len(list((data / "damaged").iterdir())) == 1


def test_quitting_the_recovery_changes_nothing(qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "data"
    laptop_with_backup(data)
    damaged = truncate(data / "truceline.db")
    monkeypatch.setattr("db.storage.paths._override", data)
    monkeypatch.setattr(RecoveryDialog, "exec", lambda dialog: 0)
    assert app_module.open_or_recover() is None
    assert (data / "truceline.db").read_bytes() == damaged
    assert not (data / "damaged").exists()


def test_a_second_window_on_the_same_data_is_refused(tmp_path: Path) -> None:
    first = InstanceLock(tmp_path)
    first.acquire()
    try:
        with pytest.raises(DatabaseError, match="already open with the data in"):
            InstanceLock(tmp_path).acquire()
    finally:
        first.release()
    with InstanceLock(tmp_path):  # free again once the first window closed
        pass


def test_a_failed_backup_now_is_explained_and_leaves_no_file(
    qtbot, window: MainWindow, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    def full(*_args: object, **_kwargs: object) -> None:
        raise DatabaseError("backups: the disk is full: no backup was made (the database is unchanged)")

    shown: list[str] = []
    monkeypatch.setattr("desktop.window.backup_schedule.make_backup", full)
    monkeypatch.setattr(QMessageBox, "warning", lambda _parent, _title, text: shown.append(text))
    with qtbot.waitSignal(window.backups.manualFailed, timeout=20_000):
        window.backup_now()
    assert shown
    assert "No backup was made" in shown[0] and "disk is full" in shown[0]
    assert list_backups(store.data_dir / "backups") == []
    assert window.backups.label.text() == "No backup yet"
