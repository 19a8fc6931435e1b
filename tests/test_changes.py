"""Every view follows every committed change, without F5: the one change signal of desktop/widgets/changes.py.

Each test drives one source of change the way the user (or another program) does it, then waits
for what every view shows: the table and its count, the detail pane and history, the timeline,
the period summary, the review queue and the conflict list.
"""

import json
from dataclasses import replace
from datetime import date, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from laptops import Laptop
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog, QMessageBox
from support import make_conflict, valid_raw

from db.core.resources import resource_path
from db.core.sql_driver import sqlite3
from db.csv_io.export import export_csv
from db.model.validation import validate_incident
from db.records.incidents import Saved, amend_incident, record_incident, record_incidents
from db.records.monitors import Monitor
from db.records.queries import IncidentFilter
from db.storage import paths
from db.storage.store import Store
from db.storage.versions import Writer
from desktop.files.exchange_dialog import ImportDialog
from desktop.incidents.columns import CONFLICT_MARK
from desktop.widgets.changes import Changes, DataVersionWatch, RecordsChange
from desktop.window.main_window import MainWindow
from desktop.window.settings_dialog import SettingsDialog

FIRST, LAST = date(2026, 5, 1), date(2026, 5, 2)
# Views follow within COALESCE_MS (50 ms) plus a query; the tests allow a loaded machine far more
# (make test-under-load), since they wait for the condition and return as soon as it holds.
FOLLOW_MS = 30_000


@pytest.fixture(autouse=True)
def no_blocking_boxes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(QMessageBox, "information", lambda *args, **kwargs: QMessageBox.StandardButton.Ok)
    monkeypatch.setattr(QMessageBox, "question", lambda *args, **kwargs: QMessageBox.StandardButton.Discard)


@pytest.fixture
def window(qtbot: Any, store: Store, supervisor: Monitor, tmp_path: Path) -> MainWindow:
    win = MainWindow(store, QSettings(str(tmp_path / "t.ini"), QSettings.Format.IniFormat), supervisor)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    with qtbot.waitSignal(win.filter_bar.filterChanged, timeout=30_000):
        win.filter_bar.set_period(FIRST, LAST)
    return win


def record(store: Store, writer: Writer, **changes: Any) -> Saved:
    incident = validate_incident(valid_raw(verification_state="submitted", **changes), theatre=store.theatre)
    return record_incident(store.conn, writer, incident, store.calendar)


def timeline_total(window: MainWindow) -> int:
    current = window.timeline.current_timeline()
    return sum(sum(values) for values in current.series.values()) if current is not None else -1


def show_trends(qtbot: Any, window: MainWindow) -> None:
    window.tabs.setCurrentWidget(window.trends)
    qtbot.waitUntil(lambda: window.timeline.isVisible() and window.summary.isVisible())


def test_a_save_reaches_table_detail_trends_summary_and_queue(
    qtbot: Any, window: MainWindow, store: Store, writer: Writer
) -> None:
    first = record(store, writer, count=12)
    window.changes.records("save", [first.incident_id])
    qtbot.waitUntil(lambda: window.count_label.text() == "1 incident", timeout=FOLLOW_MS)
    window.table.selectRow(0)
    qtbot.waitUntil(lambda: first.ref in window.detail.browser.toPlainText())
    window.tabs.setCurrentWidget(window.review)  # hidden until now: read when shown
    qtbot.waitUntil(lambda: window.review.model.row_of(first.incident_id) is not None, timeout=FOLLOW_MS)
    assert window.review.counts_label.text().startswith("Submitted 1 ")
    window.tabs.setCurrentWidget(window.splitter)

    # An amendment through the form's signal: the detail's history follows, and the selection stays.
    amended = amend_incident(
        store.conn,
        writer,
        first.incident_id,
        validate_incident(valid_raw(count=20, verification_state="submitted"), theatre=store.theatre),
        "recounted",
        store.calendar,
    )
    window._on_saved(amended)
    qtbot.waitUntil(lambda: "History (2 versions)" in window.detail.browser.toPlainText(), timeout=FOLLOW_MS)
    assert window.table.selectionModel().selectedRows()[0].row() == 0

    show_trends(qtbot, window)
    qtbot.waitUntil(lambda: timeline_total(window) == 20, timeout=FOLLOW_MS)
    qtbot.waitUntil(lambda: "20 ceasefire violations" in window.summary.text(), timeout=FOLLOW_MS)
    second = record(store, writer, count=5)
    window._on_saved(second)
    qtbot.waitUntil(lambda: timeline_total(window) == 25, timeout=FOLLOW_MS)
    qtbot.waitUntil(lambda: "25 ceasefire violations" in window.summary.text(), timeout=FOLLOW_MS)
    assert window.count_label.text() == "2 incidents"


def test_f5_refreshes_the_summary_too(qtbot: Any, window: MainWindow, store: Store, writer: Writer) -> None:
    show_trends(qtbot, window)
    qtbot.waitUntil(lambda: "ceasefire violations" in window.summary.text())
    record(store, writer, count=7)  # written behind the window's back, not announced
    window.refresh_action.trigger()
    qtbot.waitUntil(lambda: "7 ceasefire violations" in window.summary.text(), timeout=FOLLOW_MS)
    qtbot.waitUntil(lambda: timeline_total(window) == 7, timeout=FOLLOW_MS)
    assert window.count_label.text() == "1 incident"


def test_a_hidden_view_refreshes_when_it_is_shown(qtbot: Any, window: MainWindow, store: Store, writer: Writer) -> None:
    show_trends(qtbot, window)
    qtbot.waitUntil(lambda: timeline_total(window) == 0)
    window.tabs.setCurrentWidget(window.splitter)
    saved = record(store, writer, count=3)
    window._on_saved(saved)
    qtbot.waitUntil(lambda: window.count_label.text() == "1 incident", timeout=FOLLOW_MS)
    assert timeline_total(window) == 0  # hidden: no query for a plot nobody sees
    show_trends(qtbot, window)
    qtbot.waitUntil(lambda: timeline_total(window) == 3, timeout=FOLLOW_MS)


def test_a_review_decision_reaches_the_table_and_the_detail(
    qtbot: Any, window: MainWindow, store: Store, writer: Writer
) -> None:
    saved = record(store, writer)
    window.refresh()
    window.table.selectRow(0)
    qtbot.waitUntil(lambda: "Submitted" in window.detail.browser.toPlainText())
    window.tabs.setCurrentWidget(window.review)
    qtbot.waitUntil(lambda: window.review.model.row_of(saved.incident_id) == 0, timeout=FOLLOW_MS)
    window.review.table.selectRow(0)
    window.review.reason.setText("seen on the camera")
    with qtbot.waitSignal(window.changes.recordsChanged, timeout=FOLLOW_MS) as signal:
        assert window.review.apply() is True
    change: RecordsChange = signal.args[0]
    assert change.source == "review decision" and change.incident_ids == {saved.incident_id}
    window.tabs.setCurrentWidget(window.splitter)
    qtbot.waitUntil(lambda: "verified" in window.model.index(0, 9).data().lower(), timeout=FOLLOW_MS)
    qtbot.waitUntil(lambda: "seen on the camera" in window.detail.browser.toPlainText(), timeout=FOLLOW_MS)
    assert window.review.counts_label.text().startswith("Submitted 0 ")


def test_a_bundle_import_reaches_the_table_and_the_queue(
    qtbot: Any, window: MainWindow, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hart = Laptop(tmp_path, "hart")
    try:
        shared = hart.record(count=3, verification_state="submitted")
        bundle = hart.export()
    finally:
        hart.close()
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *args, **kwargs: ([str(bundle)], ""))
    window.exchange.import_action.trigger()
    dialog = window.findChild(ImportDialog)
    assert dialog is not None
    qtbot.waitUntil(lambda: window.count_label.text() == "1 incident", timeout=20_000)
    dialog.wait()
    window.tabs.setCurrentWidget(window.review)
    qtbot.waitUntil(lambda: window.review.model.row_of(shared.incident_id) is not None, timeout=FOLLOW_MS)


def test_a_csv_import_reaches_the_table_and_the_queue(
    qtbot: Any, window: MainWindow, store: Store, tmp_path: Path
) -> None:
    hart = Laptop(tmp_path, "hart")
    try:
        hart.record(count=4, verification_state="submitted")
        out = tmp_path / "hart.csv"
        export_csv(hart.store.conn, IncidentFilter(), out, tz=hart.store.tz)
    finally:
        hart.close()
    dialog = window.import_csv()
    dialog.path.setText(str(out))
    dialog.import_button.setEnabled(True)
    dialog.import_button.click()
    qtbot.waitUntil(lambda: window.count_label.text() == "1 incident", timeout=30_000)
    window.tabs.setCurrentWidget(window.review)
    qtbot.waitUntil(lambda: window.review.counts_label.text().startswith("Submitted 1 "), timeout=FOLLOW_MS)
    if dialog.task is not None:
        dialog.task.wait()


def test_another_program_commits_and_the_window_follows(
    qtbot: Any, window: MainWindow, store: Store, writer: Writer, data_dir: Path
) -> None:
    other = sqlite3.connect(data_dir / paths.DATABASE_NAME)
    try:
        incident = validate_incident(valid_raw(verification_state="submitted"), theatre=store.theatre)
        record_incident(other, writer, incident, store.calendar)
    finally:
        other.close()
    with qtbot.waitSignal(window.changes.recordsChanged, timeout=FOLLOW_MS) as signal:
        pass
    assert signal.args[0].source == "another program" and signal.args[0].incident_ids is None
    qtbot.waitUntil(lambda: window.count_label.text() == "1 incident", timeout=FOLLOW_MS)
    window.tabs.setCurrentWidget(window.review)
    qtbot.waitUntil(lambda: window.review.counts_label.text().startswith("Submitted 1 "), timeout=FOLLOW_MS)


def test_the_window_does_not_hear_its_own_commits_as_another_program(qtbot: Any, store: Store, writer: Writer) -> None:
    changes = Changes()
    watch = DataVersionWatch(store.conn, changes)
    record(store, writer)
    assert watch.poll() is False
    # A worker's import commits on its own connection; the window announces it, so the poll does not.
    worker = sqlite3.connect(store.data_dir / paths.DATABASE_NAME)
    try:
        incident = validate_incident(valid_raw(), theatre=store.theatre)
        record_incident(worker, writer, incident, store.calendar)
    finally:
        worker.close()
    changes.records("CSV import")
    assert watch.poll() is False
    changes.close()
    assert not watch.active


def theatre_file(tmp_path: Path, time_zone: str, cutoff: str) -> Path:
    data = json.loads(resource_path("theatre/default.geojson").read_text(encoding="utf-8"))
    data["settings"]["time_zone"] = time_zone
    data["settings"]["reporting_cutoff"] = cutoff
    data["name"] = "Exercise theatre"
    path = tmp_path / "exercise.geojson"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_a_theatre_change_rereads_time_zone_cutoff_and_names_everywhere(
    qtbot: Any, window: MainWindow, store: Store, writer: Writer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record(store, writer)
    show_trends(qtbot, window)
    qtbot.waitUntil(lambda: timeline_total(window) == 12)
    path = theatre_file(tmp_path, "Asia/Tbilisi", "18:00")
    monkeypatch.setattr(SettingsDialog, "exec", lambda dialog: int(not dialog.apply_theatre_file(path)))
    window.open_settings()
    tbilisi = ZoneInfo("Asia/Tbilisi")
    assert store.calendar.cutoff == time(18, 0)
    qtbot.waitUntil(lambda: window.timeline._tz == tbilisi, timeout=FOLLOW_MS)
    assert window.timeline.plot.axis._tz == tbilisi
    assert window.timeline.reporting_check.text() == "Reporting days (cut-off 18:00)"
    assert window.summary.reporting_check.text() == "Reporting days (cut-off 18:00)"
    assert window.filter_bar._tz == tbilisi
    assert window.model.display_tz() == tbilisi
    qtbot.waitUntil(lambda: timeline_total(window) == 12, timeout=FOLLOW_MS)
    assert "Exercise theatre" in window.statusBar().currentMessage()


def test_nothing_runs_after_the_store_closed(qtbot: Any, store: Store, supervisor: Monitor, tmp_path: Path) -> None:
    """Restoring a backup or switching data directories closes the store under an open window."""
    win = MainWindow(store, QSettings(str(tmp_path / "t.ini"), QSettings.Format.IniFormat), supervisor)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    store.close()
    assert win.changes.closed and not win.data_version.active
    assert not win.checkpointer.running and not win.backups._timer.isActive()
    win.changes.records("late")  # ignored: nothing queries the closed connection
    assert not win._table_follower.pending and not win.timeline.follower.pending


def test_a_conflict_resolution_reaches_the_table_and_the_conflict_list(
    qtbot: Any, window: MainWindow, store: Store, writer: Writer
) -> None:
    saved = record(store, writer)
    make_conflict(store, writer, saved)
    window.refresh()
    window.tabs.setCurrentWidget(window.review)
    qtbot.waitUntil(lambda: window.review.conflict_ids() == [saved.incident_id], timeout=FOLLOW_MS)
    assert window.model.index(0, 0).data().startswith(CONFLICT_MARK)
    dialog = window.review.open_conflict(saved.incident_id)
    assert dialog is not None
    dialog.choose("count", 1)
    dialog.reason.setText("counted again")
    with qtbot.waitSignal(window.changes.recordsChanged, timeout=FOLLOW_MS) as signal:
        assert dialog.save() is True
    assert signal.args[0].source == "conflict resolution"
    qtbot.waitUntil(lambda: not window.model.index(0, 0).data().startswith(CONFLICT_MARK), timeout=FOLLOW_MS)
    assert window.review.conflict_ids() == []
    assert window.review.counts_label.text().endswith("Conflicts 0")


def test_a_new_display_time_zone_reaches_the_table_and_the_queue(
    qtbot: Any, window: MainWindow, store: Store, writer: Writer, monkeypatch: pytest.MonkeyPatch
) -> None:
    record(store, writer)  # observed 2026-05-01T21:15:00Z: 00:15 on 2 May in Kyiv
    window.refresh()
    qtbot.waitUntil(lambda: window.model.index(0, 1).data() == "2026-05-02 00:15", timeout=FOLLOW_MS)

    def choose_utc(dialog: SettingsDialog) -> int:
        dialog.time_zone.setCurrentText("UTC")
        dialog.accept()
        return 1

    monkeypatch.setattr(SettingsDialog, "exec", choose_utc)
    window.open_settings()
    qtbot.waitUntil(lambda: window.model.index(0, 1).data() == "2026-05-01 21:15", timeout=FOLLOW_MS)
    assert window.review.model.display_tz == ZoneInfo("UTC")


def test_closing_the_window_stops_every_timer_before_the_store_closes(
    qtbot: Any, window: MainWindow, store: Store
) -> None:
    window.close()
    assert window.changes.closed and not window.data_version.active
    assert not window.checkpointer.running and not window.backups._timer.isActive()
    store.close()  # the window's shutdown ran already; running it again is harmless
    assert store.closed


def test_the_table_keeps_selection_and_scroll_position_when_it_follows(
    qtbot: Any, window: MainWindow, store: Store, writer: Writer
) -> None:
    template = validate_incident(valid_raw(verification_state="submitted"), theatre=store.theatre)
    starts = [f"2026-05-01T{h:02d}:{m:02d}:00Z" for h in range(12) for m in (0, 20, 40)]
    record_incidents(store.conn, writer, [replace(template, observed_start=s) for s in starts], store.calendar)
    window.refresh()
    qtbot.waitUntil(lambda: window.count_label.text() == f"{len(starts)} incidents", timeout=FOLLOW_MS)
    bar = window.table.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0)
    window.table.selectRow(2)
    selected = window._selected_id
    bar.setValue(bar.maximum())  # the user scrolled away from the selected row, and stays there
    scrolled = bar.value()
    other = record(store, writer, observed_start="2026-04-30T23:00:00Z")  # 02:00 on 1 May in Kyiv: sorts last
    window.changes.records("save", [other.incident_id])
    qtbot.waitUntil(lambda: window.count_label.text() == f"{len(starts) + 1} incidents", timeout=FOLLOW_MS)
    assert window._selected_id == selected
    assert window.table.selectionModel().selectedRows()[0].row() == 2
    assert bar.value() == scrolled
