"""Files land where the user last put one, are never replaced unasked, and long work shows that it runs."""

import time
from pathlib import Path

import pytest
from answers import answer
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QProgressDialog
from support import save

from db.records.queries import IncidentFilter
from desktop.files.csv_export_dialog import CsvExportDialog
from desktop.widgets.last_folder import last_folder, remember_folder


def test_the_export_offers_a_new_name_in_the_last_folder_used(qtbot, store, writer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    save(store, writer)
    stick = tmp_path / "usb"
    stick.mkdir()
    assert last_folder() == Path.home()
    dialog = CsvExportDialog(store, IncidentFilter(), None)
    qtbot.addWidget(dialog)
    assert Path(dialog.path.text()).parent == Path.home() and "truceline-export-" in dialog.path.text()
    dialog.path.setText(str(stick / "first.csv"))
    with qtbot.waitSignal(dialog.exported, timeout=30_000):
        dialog.export_button.click()
    qtbot.waitUntil(lambda: dialog.task is not None and dialog.task.isFinished())
    again = CsvExportDialog(store, IncidentFilter(), None)
    qtbot.addWidget(again)
    assert Path(again.path.text()).parent == stick  # where the last file went
    assert Path(again.path.text()) != stick / "first.csv"


def test_an_existing_file_is_replaced_only_when_the_user_says_so(  # type: ignore[no-untyped-def]
    qtbot, store, writer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    save(store, writer)
    target = tmp_path / "report.csv"
    target.write_text("yesterday's report")
    seen: list[str] = []
    answer(monkeypatch, "Keep", seen)
    dialog = CsvExportDialog(store, IncidentFilter(), None)
    qtbot.addWidget(dialog)
    dialog.path.setText(str(target))
    dialog.export_button.click()
    assert seen == ["report.csv already exists in " + str(tmp_path) + "."]
    assert dialog.task is None and "Not exported" in dialog.message.text()
    assert target.read_text() == "yesterday's report"
    answer(monkeypatch, "Replace", seen)
    with qtbot.waitSignal(dialog.exported, timeout=30_000):
        dialog.export_button.click()
    qtbot.waitUntil(lambda: dialog.task is not None and dialog.task.isFinished())
    assert target.read_text(encoding="utf-8-sig").startswith("incident_id")


def test_remember_folder_ignores_a_folder_that_is_gone(tmp_path: Path) -> None:
    gone = tmp_path / "stick"
    gone.mkdir()
    remember_folder(gone / "a.zip")
    assert last_folder() == gone
    gone.rmdir()
    assert last_folder() == Path.home()


def test_a_long_closing_backup_shows_a_window(qtbot, store, writer, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from desktop.window import backup_schedule
    from desktop.window.backup_schedule import BackupSchedule, BackupWorker

    save(store, writer)
    original = BackupWorker.run
    shown: list[str] = []

    def slow(worker: BackupWorker) -> None:
        # As long as a large database's backup: longer than the moment before the notice.
        time.sleep(backup_schedule.EXIT_NOTICE_MS / 1000 + 0.6)
        original(worker)

    monkeypatch.setattr(BackupWorker, "run", slow)
    schedule = BackupSchedule(store.data_dir, store.tz)

    def look() -> None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QProgressDialog) and widget.isVisible():
                shown.append(widget.labelText())

    probe = QTimer()
    probe.setInterval(50)
    probe.timeout.connect(look)
    probe.start()
    assert schedule.backup_at_exit(None) == ""
    probe.stop()
    assert shown and "backup before closing" in shown[0]


def test_the_bundle_export_bar_is_a_real_bar_from_the_start(qtbot, store, writer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from desktop.files.exchange_dialog import ExportDialog

    save(store, writer)
    dialog = ExportDialog(store, tmp_path / "b.zip", None)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.start()
    # Reading the versions reports too (tests/test_exchange_window.py follows it rising): no busy bar.
    assert (dialog.progress.maximum(), dialog.progress.value()) == (1000, 0)
    qtbot.waitUntil(lambda: dialog.close_button.isEnabled(), timeout=30_000)
    assert dialog.progress.value() == dialog.progress.maximum()
