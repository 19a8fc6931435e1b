"""The main window end to end: open, enter an incident from the keyboard, see it, amend it."""

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox
from support import valid_raw

from db.core.identity import APP_NAME, VERSION
from db.model.validation import validate_incident
from db.records.incidents import incident_history, record_incident
from db.storage.drafts import Draft, load_drafts, save_draft
from db.storage.store import Store
from desktop.form.incident_form import IncidentForm
from desktop.window.main_window import MainWindow


@pytest.fixture
def settings(tmp_path) -> QSettings:  # type: ignore[no-untyped-def]
    return QSettings(str(tmp_path / "t.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot, store: Store, monitor, settings) -> MainWindow:  # type: ignore[no-untyped-def]
    win = MainWindow(store, settings, monitor)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def type_into(qtbot, form: IncidentForm, name: str, text: str) -> None:  # type: ignore[no-untyped-def]
    """Go to a field as Tab would and type over it (the form's own tests walk every Tab stop)."""
    widget = form.field_widget(name)
    widget.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(widget.hasFocus)
    if hasattr(widget, "selectAll"):
        widget.selectAll()
    qtbot.keyClicks(widget, text)


def open_form(qtbot, window: MainWindow) -> IncidentForm:  # type: ignore[no-untyped-def]
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), IncidentForm))
    form = QApplication.activeModalWidget()
    assert isinstance(form, IncidentForm)
    return form


def test_window_title_menus_and_status(window: MainWindow, monitor) -> None:  # type: ignore[no-untyped-def]
    assert window.windowTitle() == f"{APP_NAME} {VERSION} – plain – not encrypted"  # tests use plain directories
    menus = [a.text() for a in window.menuBar().actions()]
    assert menus == ["&File", "&View", "&Help"]
    assert window.count_label.text() == "0 incidents"
    assert "Amelia Hart" in window.profile_label.text()
    assert window.new_action.shortcut().toString() == "Ctrl+N"
    assert window.find_action.shortcut().toString() == "Ctrl+F"
    assert window.quit_action.shortcut().toString() == "Ctrl+Q"


def test_ctrl_n_saves_an_incident_that_appears_in_table_and_history(qtbot, window: MainWindow, store) -> None:  # type: ignore[no-untyped-def]
    form = open_form(qtbot, window)
    for name, text in (
        ("observer_position", "48.40, 37.70"),
        ("category", "fire"),
        ("means", "heard"),
        ("narrative", "Bursts heard to the east."),
    ):
        type_into(qtbot, form, name, text)
    assert form.problems() == {}
    with qtbot.waitSignal(form.saved, timeout=30_000):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.count_label.text() == "1 incident")
    assert window.statusBar().currentMessage().startswith("Saved ")
    ref = window.statusBar().currentMessage().removeprefix("Saved ")
    assert window.model.index(0, 0).data() == ref
    qtbot.waitUntil(lambda: ref in window.detail.browser.toPlainText())
    assert "History (1 version)" in window.detail.browser.toPlainText()


def test_selection_survives_a_refresh_and_edit_makes_a_version(qtbot, window: MainWindow, store, writer) -> None:  # type: ignore[no-untyped-def]
    ids = [
        record_incident(
            store.conn, writer, validate_incident(valid_raw(count=n), theatre=store.theatre), store.calendar
        ).incident_id
        for n in (1, 2, 3)
    ]
    window.refresh()
    window.table.selectRow(1)
    selected = window._selected_id
    assert selected in ids
    window.refresh()
    assert window._selected_id == selected
    assert window.table.selectionModel().selectedRows()[0].row() == 1
    qtbot.keyClick(window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), IncidentForm))
    form = QApplication.activeModalWidget()
    assert isinstance(form, IncidentForm)
    type_into(qtbot, form, "count", "9")
    type_into(qtbot, form, "reason", "recounted")
    assert form.problems() == {}
    with qtbot.waitSignal(form.saved, timeout=30_000):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    history = incident_history(store.conn, selected)
    assert [h.version.reason for h in history] == [None, "recounted"]
    qtbot.waitUntil(lambda: "History (2 versions)" in window.detail.browser.toPlainText())


def test_ctrl_f_focuses_the_search(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.filter_bar.search.hasFocus())


def test_a_draft_left_by_a_crash_is_offered_at_start(qtbot, store, monitor, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    drafts = store.data_dir / "drafts"
    save_draft(drafts, Draft("d1", None, None, {"narrative": "typed before the power cut"}, "2026-05-01T10:00:00Z"))
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    win = MainWindow(store, settings, monitor)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), IncidentForm))
    form = QApplication.activeModalWidget()
    assert isinstance(form, IncidentForm)
    assert form.field_widget("narrative").toPlainText() == "typed before the power cut"  # type: ignore[attr-defined]
    form.done(QDialog.DialogCode.Rejected)  # close without the discard question; the draft stays


def test_a_declined_draft_is_discarded(qtbot, store, monitor, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    drafts = store.data_dir / "drafts"
    save_draft(drafts, Draft("d2", None, None, {"narrative": "old"}, "2026-05-01T10:00:00Z"))
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Discard)
    win = MainWindow(store, settings, monitor)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: load_drafts(drafts) == [])


def test_window_remembers_its_layout(qtbot, store, monitor, settings) -> None:  # type: ignore[no-untyped-def]
    win = MainWindow(store, settings, monitor)
    qtbot.addWidget(win)
    win.show()
    win.resize(940, 640)
    qtbot.waitUntil(lambda: win.height() == 640)
    win.splitter.setSizes([600, 300])
    win.close()
    assert settings.value("main_window/geometry") is not None
    assert settings.value("main_window/incidents_splitter") is not None
    again = MainWindow(store, settings, monitor)
    qtbot.addWidget(again)
    # The offscreen screen is narrower than the window's minimum width, so only the height is comparable.
    assert again.height() == 640
