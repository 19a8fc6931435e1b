"""Keyboard traps that silently record the wrong thing, each closed: the monitor gets what they typed."""

from pathlib import Path

import pytest
import test_incident_form as form_tests
from PySide6.QtCore import QDate, QSettings, Qt, QTime
from PySide6.QtWidgets import QApplication, QDateEdit, QTimeEdit
from test_incident_form import fill_valid, focused, keys, type_into

from db.records.incidents import get_incident
from desktop.window.main_window import MainWindow
from desktop.window.profile_dialog import ProfileDialog

# The entry form's fixtures (tests/test_incident_form.py), used here too.
make_form = form_tests.make_form
message_boxes = form_tests.message_boxes
settings = form_tests.settings


@pytest.mark.parametrize("arrive", ["alt", "backtab"])
def test_arriving_in_the_date_by_keyboard_then_typing_a_whole_date_gives_that_date(qtbot, make_form, arrive) -> None:  # type: ignore[no-untyped-def]
    form = make_form()
    date = form.field_widget("observed_start_date")
    assert isinstance(date, QDateEdit)
    if arrive == "alt":
        qtbot.keyClick(focused(), "s", Qt.KeyboardModifier.AltModifier)  # "Start", the date's label
    else:
        date.setFocus(Qt.FocusReason.BacktabFocusReason)  # as Shift+Tab arrives (Qt would select the day)
    qtbot.waitUntil(date.hasFocus)
    keys(qtbot, date, "2026-11-28")
    assert date.date() == QDate(2026, 11, 28)


def test_ticking_end_starts_it_at_the_start_not_now(qtbot, make_form) -> None:  # type: ignore[no-untyped-def]
    form = make_form()
    type_into(qtbot, form, "observed_start_date", "2026-11-28")
    type_into(qtbot, form, "observed_start_time", "21:14")
    end_known = form.field_widget("observed_end_known")
    end_known.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.keyClick(end_known, Qt.Key.Key_Space)
    end_date, end_time = form.field_widget("observed_end_date"), form.field_widget("observed_end_time")
    assert isinstance(end_date, QDateEdit) and isinstance(end_time, QTimeEdit)
    assert (end_date.date(), end_time.time()) == (QDate(2026, 11, 28), QTime(21, 14))
    type_into(qtbot, form, "observed_end_time", "21:40")
    assert form.values()["observed_end_time"] == "21:40" and form.values()["observed_end_date"] == "2026-11-28"


def test_a_position_outside_the_theatre_is_saved_only_when_confirmed(  # type: ignore[no-untyped-def]
    qtbot, make_form, store, message_boxes
) -> None:
    form = make_form()
    fill_valid(qtbot, form)
    zone_before = form.values()["zone_id"]
    type_into(qtbot, form, "observer_position", "37.70, 48.40")  # latitude and longitude swapped
    assert form.values()["zone_id"] == zone_before  # left over from the previous position
    message_boxes.answers.append("Back")
    assert form.save() is False
    assert "outside every zone" in message_boxes.seen[-1] and "km from the contact line" in message_boxes.seen[-1]
    assert store.conn.execute("SELECT count(*) FROM incidents").fetchone() == (0,)
    assert focused() is form.field_widget("observer_position")
    message_boxes.answers.append("Save anyway")
    with qtbot.waitSignal(form.saved, timeout=30_000) as blocker:
        assert form.save() is True
    assert get_incident(store.conn, blocker.args[0].incident_id).incident.observer_lat == 37.70


def test_focus_returns_to_the_table_after_the_form_closes(qtbot, store, monitor, writer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from support import valid_raw

    from db.model.validation import validate_incident
    from db.records.incidents import record_incident

    for count in (1, 2):
        incident = validate_incident(valid_raw(count=count), theatre=store.theatre)
        record_incident(store.conn, writer, incident, store.calendar)
    win = MainWindow(store, QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat), monitor)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    win.table.setFocus()
    win.table.selectRow(1)
    qtbot.waitUntil(win.table.hasFocus)
    form = win._open_form()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None and QApplication.focusWidget().window() is form)
    form.reject()  # nothing typed: closes without asking
    # The widget the window gives the keyboard to when it is active again (offscreen, nothing
    # activates it by itself).
    qtbot.waitUntil(lambda: win.focusWidget() is win.table)
    win.activateWindow()
    qtbot.waitUntil(win.table.hasFocus)
    assert win.table.selectionModel().selectedRows()[0].row() == 1


def test_the_profile_complaint_goes_once_the_field_is_filled_and_callsigns_are_capitals(qtbot, store) -> None:  # type: ignore[no-untyped-def]
    dialog = ProfileDialog(store)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.accept()
    assert dialog.error.isVisible() and "Name is required" in dialog.error.text()
    qtbot.keyClicks(dialog.name, "Oksana Bondar")
    assert not dialog.error.isVisible()
    qtbot.keyClicks(dialog.callsign, "bond")
    assert dialog.callsign.text() == "BOND"


def test_the_keyboard_starts_in_the_table_not_the_period_filter(qtbot, store, monitor, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    win = MainWindow(store, QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat), monitor)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    assert win.focusWidget() is win.table
