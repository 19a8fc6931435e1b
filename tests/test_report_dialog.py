"""File → Report…: Ctrl+R opens it, Preview shows the report, Save writes it, Cancel stops it."""

import threading
from datetime import date
from pathlib import Path

import pytest
from answers import answer
from PySide6.QtCore import QSettings, Qt
from report_data import record_notable
from support import record_events

from db.records.queries import IncidentFilter
from db.storage.store import Store
from db.storage.versions import Writer
from desktop.report import dialog as report_dialog
from desktop.report.dialog import ReportDialog
from desktop.report.produce import DEFAULT_MARKING, MARKING_KEY, marking_of
from desktop.window.main_window import MainWindow
from desktop.window.settings_dialog import SettingsDialog


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "t.ini"), QSettings.Format.IniFormat)


def preview(qtbot, dialog: ReportDialog) -> None:  # type: ignore[no-untyped-def]
    qtbot.mouseClick(dialog.preview_button, Qt.MouseButton.LeftButton)
    assert dialog.task is not None
    # The task may end before a signal could be waited for: wait for what the person sees.
    qtbot.waitUntil(lambda: dialog.save_button.isEnabled(), timeout=60000)


def test_ctrl_r_opens_the_report_for_the_filter_bar(qtbot, store: Store, monitor, settings) -> None:  # type: ignore[no-untyped-def]
    window = MainWindow(store, settings, monitor)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert window.report_action.shortcut().toString() == "Ctrl+R"
    assert window.report_action in window.menuBar().actions()[0].menu().actions()
    window.report_action.trigger()
    dialog = window.findChild(ReportDialog)
    assert dialog is not None and dialog.isVisible()
    dialog.reject()


def test_preview_then_save(qtbot, tmp_path: Path, store: Store, writer: Writer, settings) -> None:  # type: ignore[no-untyped-def]
    record_events(store, writer)
    refs = record_notable(store, writer)
    dialog = ReportDialog(store, settings, IncidentFilter())
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.save_button.isEnabled()
    dialog.set_period(date(2026, 5, 10), date(2026, 5, 16))
    preview(qtbot, dialog)
    shown = dialog.preview.toPlainText()
    assert "Weekly report" in shown and DEFAULT_MARKING in shown
    assert refs["threat"] in shown and "near Бахмут" in shown
    assert dialog.progress.value() == dialog.progress.maximum()
    with qtbot.waitSignal(dialog.saved) as saved:
        assert dialog.save_to(tmp_path / "weekly")
    assert saved.args == [tmp_path / "weekly.pdf"]
    assert (tmp_path / "weekly.pdf").read_bytes().startswith(b"%PDF")
    assert dialog.save_to(tmp_path / "weekly.html")
    assert "Weekly report" in (tmp_path / "weekly.html").read_text(encoding="utf-8")
    assert dialog.save_to(tmp_path / "weekly.docx")
    assert (tmp_path / "weekly.docx").read_bytes().startswith(b"PK")  # a zip, as every DOCX
    assert dialog.message.text() == f"Saved {tmp_path / 'weekly.docx'} (DOCX)."
    # A changed choice needs a new preview before anything is saved.
    dialog.set_period(date(2026, 5, 16), date(2026, 5, 16))
    assert not dialog.save_button.isEnabled()
    assert not dialog.save_to(tmp_path / "stale.pdf") and not (tmp_path / "stale.pdf").exists()
    assert "Press Preview first" in dialog.message.text()


def test_a_report_replaces_a_file_only_when_the_user_says_so(  # type: ignore[no-untyped-def]
    qtbot, tmp_path: Path, store: Store, writer: Writer, settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    record_events(store, writer)
    dialog = ReportDialog(store, settings, IncidentFilter())
    qtbot.addWidget(dialog)
    dialog.set_period(date(2026, 5, 10), date(2026, 5, 16))
    preview(qtbot, dialog)
    target = tmp_path / "weekly.pdf"
    target.write_text("yesterday's report")
    seen: list[str] = []
    answer(monkeypatch, "Keep", seen)
    assert not dialog.save_to(tmp_path / "weekly")  # the suffix added first, then asked about that file
    assert seen == [f"weekly.pdf already exists in {tmp_path}."]
    assert dialog.message.text() == "Not saved: choose another file name."
    assert target.read_text() == "yesterday's report"
    answer(monkeypatch, "Replace", seen)
    with qtbot.waitSignal(dialog.saved):
        assert dialog.save_to(target)
    assert target.read_bytes().startswith(b"%PDF") and len(seen) == 2


def test_a_failed_save_says_why_and_leaves_nothing(qtbot, tmp_path: Path, store: Store, settings) -> None:  # type: ignore[no-untyped-def]
    dialog = ReportDialog(store, settings, IncidentFilter())
    qtbot.addWidget(dialog)
    preview(qtbot, dialog)
    target = tmp_path / "missing folder" / "r.pdf"
    assert not dialog.save_to(target)
    assert "was not saved" in dialog.message.text() and "No such file or directory" in dialog.message.text()
    assert not target.parent.exists()


def test_the_filter_bar_selection_is_the_scope(qtbot, store: Store, settings) -> None:  # type: ignore[no-untyped-def]
    dialog = ReportDialog(store, settings, IncidentFilter(sector_ids=("DMZ-04",)), (date(2026, 5, 1), date(2026, 5, 3)))
    qtbot.addWidget(dialog)
    assert dialog.use_filter.isChecked() and "DMZ-04" in dialog.use_filter.text()
    request = dialog.request()
    assert request.flt.sector_ids == ("DMZ-04",) and request.reporting_days
    dialog.use_filter.setChecked(False)
    assert dialog.request().flt == IncidentFilter()


def test_a_reversed_period_is_refused_with_a_message(qtbot, store: Store, settings) -> None:  # type: ignore[no-untyped-def]
    dialog = ReportDialog(store, settings, IncidentFilter())
    qtbot.addWidget(dialog)
    dialog.set_period(date(2026, 5, 16), date(2026, 5, 10))
    dialog.start()
    assert dialog.task is None
    assert "first day is after the last day" in dialog.message.text()


def test_cancel_stops_the_assembly(qtbot, store: Store, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    started, release = threading.Event(), threading.Event()
    real = report_dialog.build_report

    def slow(*args, **kwargs):  # type: ignore[no-untyped-def]
        started.set()
        release.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(report_dialog, "build_report", slow)
    dialog = ReportDialog(store, settings, IncidentFilter())
    qtbot.addWidget(dialog)
    dialog.start()
    assert started.wait(10)
    assert dialog.cancel_button.text() == "Cancel"
    dialog.cancel()
    assert dialog.message.text() == "Cancelling…"
    assert dialog.task is not None
    with qtbot.waitSignal(dialog.task.failed) as failed:
        release.set()
    assert failed.args == ["the report was cancelled; nothing was written"]
    qtbot.waitUntil(lambda: dialog.message.text().startswith("The report was cancelled"))
    assert not dialog.save_button.isEnabled() and dialog.cancel_button.text() == "Close"


def test_the_marking_is_chosen_in_settings(qtbot, store: Store, monitor, settings) -> None:  # type: ignore[no-untyped-def]
    assert marking_of(settings) == DEFAULT_MARKING
    dialog = SettingsDialog(store, settings, monitor)
    qtbot.addWidget(dialog)
    dialog.marking.setCurrentText("RESTRICTED — HQ ONLY ")
    dialog.accept()
    assert settings.value(MARKING_KEY) == "RESTRICTED — HQ ONLY"
    report = ReportDialog(store, settings, IncidentFilter())
    qtbot.addWidget(report)
    assert report.marking.text() == "RESTRICTED — HQ ONLY"
