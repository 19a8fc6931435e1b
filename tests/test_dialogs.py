"""First-start profile, settings (display zone, theatre file) and the detail pane."""

import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox
from support import valid_raw

from db.core.resources import resource_path
from db.model.theatre import parse_theatre
from db.model.validation import validate_incident
from db.records.incidents import amend_incident, get_incident, incident_history, record_incident
from db.records.monitors import local_profile
from db.storage.integrity import check_projection
from db.storage.store import switch_theatre
from desktop.incidents.detail_pane import DetailPane, render_incident
from desktop.window.profile_dialog import ProfileDialog
from desktop.window.settings_dialog import DISPLAY_TZ_KEY, SettingsDialog, display_tz


@pytest.fixture
def silent_boxes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Message boxes are recorded instead of blocking the test."""
    shown: list[str] = []
    for name in ("warning", "information", "critical"):
        monkeypatch.setattr(QMessageBox, name, lambda *args, _n=name: shown.append(f"{_n}: {args[2]}"))
    return shown


def test_first_start_asks_for_a_profile_and_refuses_blanks(qtbot, store) -> None:  # type: ignore[no-untyped-def]
    dialog = ProfileDialog(store)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.name.hasFocus() or dialog.focusWidget() is dialog.name
    dialog.accept()
    assert dialog.error.isVisible() and "Name is required" in dialog.error.text()
    assert local_profile(store.conn) is None
    qtbot.keyClicks(dialog.name, "Oksana Bondar")
    qtbot.keyClicks(dialog.callsign, "BOND")
    dialog.role.setCurrentIndex(dialog.role.findData("supervisor"))
    dialog.laptop.setText("Team 3 laptop")
    dialog.accept()
    profile = local_profile(store.conn)
    assert profile is not None
    assert (profile.name, profile.callsign, profile.role) == ("Oksana Bondar", "BOND", "supervisor")
    label = store.conn.execute("SELECT label FROM devices WHERE device_id = ?", (store.device.device_id,)).fetchone()
    assert label == ("Team 3 laptop",)


def test_editing_the_profile_keeps_the_monitor_id(qtbot, store, monitor) -> None:  # type: ignore[no-untyped-def]
    dialog = ProfileDialog(store, current=monitor)
    qtbot.addWidget(dialog)
    dialog.callsign.setText("HART-2")
    dialog.accept()
    assert dialog.monitor is not None and dialog.monitor.monitor_id == monitor.monitor_id
    assert local_profile(store.conn).callsign == "HART-2"  # type: ignore[union-attr]


def test_display_time_zone_is_remembered(qtbot, store, monitor, tmp_path: Path, silent_boxes) -> None:  # type: ignore[no-untyped-def]
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    assert display_tz(settings, store) == ZoneInfo("Europe/Kyiv")
    dialog = SettingsDialog(store, settings, monitor)
    qtbot.addWidget(dialog)
    dialog.time_zone.setCurrentText("Mars/Olympus")
    dialog.accept()
    assert silent_boxes and "not a time zone" in silent_boxes[0]
    dialog.time_zone.setCurrentText("Europe/Paris")
    dialog.accept()
    assert settings.value(DISPLAY_TZ_KEY) == "Europe/Paris"
    assert display_tz(settings, store) == ZoneInfo("Europe/Paris")


def test_a_bad_theatre_file_changes_nothing(qtbot, store, monitor, tmp_path: Path, silent_boxes) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.geojson"
    bad.write_text('{"type": "FeatureCollection", "features": [}')
    dialog = SettingsDialog(store, QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat), monitor)
    qtbot.addWidget(dialog)
    before = store.theatre
    assert dialog.apply_theatre_file(bad) is False
    assert "nothing changed" in silent_boxes[0] and "bad.geojson" in silent_boxes[0]
    assert store.theatre is before and not dialog.theatre_changed


def test_a_theatre_with_another_time_zone_recomputes_days(store, writer) -> None:  # type: ignore[no-untyped-def]
    saved = record_incident(store.conn, writer, validate_incident(valid_raw(), theatre=store.theatre), store.calendar)
    assert get_incident(store.conn, saved.incident_id).obs_day == "2026-05-02"  # 00:15 in Kyiv
    data = json.loads(resource_path("theatre", "default.geojson").read_text())
    data["settings"]["time_zone"] = "UTC"
    change = switch_theatre(store, parse_theatre(json.dumps(data), "utc.geojson"), "utc.geojson")
    assert change.rebuilt == 1 and change.unknown_zone == 0
    assert get_incident(store.conn, saved.incident_id).obs_day == "2026-05-01"  # 21:15 UTC
    assert check_projection(store.conn, store.calendar) == []


def test_detail_pane_shows_history_and_escapes_hostile_text(qtbot, store, writer) -> None:  # type: ignore[no-untyped-def]
    hostile = '<img src=x onerror=alert(1)> =HYPERLINK("http://x") <b>bold</b>'
    saved = record_incident(
        store.conn, writer, validate_incident(valid_raw(narrative=hostile), theatre=store.theatre), store.calendar
    )
    changed = validate_incident(valid_raw(narrative=hostile, count=14), theatre=store.theatre)
    amend_incident(store.conn, writer, saved.incident_id, changed, "recounted <b>twice</b>", store.calendar)
    record = get_incident(store.conn, saved.incident_id)
    html = render_incident(record, incident_history(store.conn, saved.incident_id), store.tz)
    assert "<img" not in html and "&lt;img" in html and "<b>twice" not in html
    pane = DetailPane()
    qtbot.addWidget(pane)
    pane.show_incident(record, incident_history(store.conn, saved.incident_id), store.tz)
    text = pane.browser.toPlainText()
    assert record.ref in text and "History (2 versions)" in text
    assert "Count: 12 → 14" in text and "recounted <b>twice</b>" in text and "Amelia Hart (HART)" in text


def test_the_filter_bar_follows_a_new_theatre(qtbot, store) -> None:  # type: ignore[no-untyped-def]
    from desktop.incidents.filter_bar import FilterBar

    bar = FilterBar(store)
    qtbot.addWidget(bar)
    bar.sector.setCurrentIndex(bar.sector.findData("DMZ-04"))
    data = json.loads(resource_path("theatre", "default.geojson").read_text())
    data["features"] = [f for f in data["features"] if f["properties"]["id"] != "DMZ-10"]
    switch_theatre(store, parse_theatre(json.dumps(data), "nine.geojson"), "nine.geojson")
    bar.reload_theatre()
    assert bar.sector.count() == 1 + 9 and bar.sector.findData("DMZ-10") == -1
    assert bar.current_filter().sector_ids == ("DMZ-04",)
