"""Pick on map: the incident form's observer or event position set by a click on the map."""

import pytest
from PySide6.QtCore import QPointF, QSettings, Qt
from PySide6.QtWidgets import QApplication, QDialog, QDialogButtonBox
from pytestqt.qtbot import QtBot

from desktop.form.incident_form import IncidentForm
from desktop.map.pick_dialog import MapPickDialog


@pytest.fixture
def form(qtbot: QtBot, store, monitor, tmp_path) -> IncidentForm:  # type: ignore[no-untyped-def]
    made = IncidentForm(store, monitor, QSettings(str(tmp_path / "f.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(made, before_close_func=lambda w: w.done(QDialog.DialogCode.Rejected))
    made.show()
    qtbot.waitExposed(made)
    return made


def _click(qtbot: QtBot, dialog: MapPickDialog, lat: float, lon: float) -> None:
    """A real mouse click on the map where (lat, lon) is drawn."""
    box = dialog.canvas.getPlotItem().getViewBox()
    box.setRange(xRange=(lon - 0.5, lon + 0.5), yRange=(lat - 0.3, lat + 0.3), padding=0)
    QApplication.processEvents()
    scene = box.mapViewToScene(QPointF(lon, lat))
    pos = dialog.canvas.mapFromScene(scene)
    qtbot.mouseClick(dialog.canvas.viewport(), Qt.MouseButton.LeftButton, pos=pos)


def test_a_click_writes_the_clicked_coordinates_and_the_form_shows_zone_and_sector(qtbot: QtBot, form) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClick(form, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier)
    dialog = form.findChild(MapPickDialog)
    assert dialog is not None and dialog.field == "observer_position"
    qtbot.waitExposed(dialog)
    _click(qtbot, dialog, 48.40, 37.70)
    lat, lon = dialog.position or (0.0, 0.0)
    # Within a pixel of the point clicked (the view is 1° wide over some 640 pixels).
    assert lat == pytest.approx(48.40, abs=0.004) and lon == pytest.approx(37.70, abs=0.004)
    assert "zone East" in dialog.placement.text() and "DMZ sector 4" in dialog.placement.text()
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert form.field_widget("observer_position").text() == f"{lat:.6f}, {lon:.6f}"
    qtbot.waitUntil(lambda: form.values().get("zone_id") == "EAST")
    assert form.values().get("sector_id") == "DMZ-04"


def test_the_event_position_is_picked_from_its_field_and_cancel_changes_nothing(qtbot: QtBot, form) -> None:  # type: ignore[no-untyped-def]
    event = form.field_widget("event_position")
    event.setFocus()
    qtbot.waitUntil(event.hasFocus)
    dialog = form.pick_on_map()
    assert dialog.field == "event_position"
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled()  # nothing picked yet
    dialog.canvas.setFocus()
    qtbot.keyClick(dialog.canvas, Qt.Key.Key_Return)  # the keyboard picks the centre of the view
    assert ok.isEnabled() and dialog.position is not None
    dialog.reject()
    assert event.text() == ""
