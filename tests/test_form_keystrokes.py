"""The trial's report from the keyboard in at most 50 keystrokes beyond the narrative.

The trial (issue 14): a monitor at an observation post near Toretsk, where they reported from
before (so the laptop remembers the position, the place, zone, sector and means), writes up one
moment of the evening as the OSCE SMM did: "12 explosions (impacts, assessed 120 mm mortar) 3 to 5
km east-north-east, and bursts of heavy-machine-gun fire, heard and seen, between HH:MM and
HH:MM". That is two incidents of one moment. Every key press is counted, from Ctrl+N in the main
window to the last Ctrl+S, except the characters of the two narratives.
"""

import datetime
from pathlib import Path
from typing import Any

import test_incident_form as form_tests
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QWidget
from test_incident_form import keys as type_text

from db.records.incidents import get_incident
from desktop.form.incident_form import IncidentForm
from desktop.form.memory import SETTING_MEANS, SETTING_PLACE, SETTING_POSITION, SETTING_SECTOR, SETTING_ZONE
from desktop.window.main_window import MainWindow

message_boxes = form_tests.message_boxes  # every message box is one nobody expected
BUDGET = 50
NARRATIVES = (
    "12 explosions (impacts) 3-5 km ENE of the OP, assessed 120 mm mortar.",
    "Bursts of heavy-machine-gun fire in the same direction, at the same time.",
)


class Keyboard:
    """Presses keys on whatever has the focus, and counts them."""

    def __init__(self, qtbot: Any) -> None:
        self.qtbot = qtbot
        self.count = 0

    def focused(self) -> QWidget:
        self.qtbot.waitUntil(lambda: QApplication.focusWidget() is not None)
        widget = QApplication.focusWidget()
        assert widget is not None
        return widget

    def type(self, text: str) -> None:
        for char in text:  # each to wherever the cursor is by then, as a keyboard does
            type_text(self.qtbot, self.focused(), char)
        self.count += len(text)

    def press(self, key: Qt.Key, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
        self.qtbot.keyClick(self.focused(), key, modifiers)
        self.count += 1

    def tab(self, then: str) -> None:
        """Tab, and check the cursor arrived where the monitor expects."""
        self.press(Qt.Key.Key_Tab)
        assert self.focused().objectName() == then, f"Tab went to {self.focused().objectName()}, not {then}"

    def narrative(self, text: str) -> None:
        type_text(self.qtbot, self.focused(), text)  # not counted: the words are the report itself


def test_the_trial_report_takes_at_most_50_keystrokes_beyond_the_narrative(  # type: ignore[no-untyped-def]
    qtbot, store, monitor, tmp_path: Path
) -> None:
    settings = QSettings(str(tmp_path / "trial.ini"), QSettings.Format.IniFormat)
    # Remembered from the monitor's earlier report at this observation post.
    for key, value in (
        (SETTING_POSITION, "48.4012, 37.7021"),
        (SETTING_PLACE, "Toretsk"),
        (SETTING_ZONE, "EAST"),
        (SETTING_SECTOR, "DMZ-04"),
        (SETTING_MEANS, "heard_and_seen"),
    ):
        settings.setValue(key, value)
    window = MainWindow(store, settings, monitor)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    window.table.setFocus()
    saved: list[Any] = []
    # The moment: earlier this evening, always in the past and on today's date whatever the test's hour.
    now = datetime.datetime.now(store.tz)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    start = max(midnight, now - datetime.timedelta(minutes=50))
    end = max(start, now - datetime.timedelta(minutes=24))

    board = Keyboard(qtbot)
    board.press(Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), IncidentForm))
    form = QApplication.activeModalWidget()
    assert isinstance(form, IncidentForm)
    form.saved.connect(saved.append)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is form.field_widget("observed_start_time"))
    board.type(f"{start:%H%M}-{end:%H%M}")  # the dash switches the end on
    board.tab("observer_position")  # remembered
    board.tab("place")  # remembered
    board.tab("bearing_deg")
    board.type("ENE")
    board.tab("dist_min_km")
    board.type("3")
    board.tab("dist_max_km")
    board.type("5")
    board.tab("category")
    board.type("f")  # Fire (ceasefire violation)
    board.tab("obs_type")
    board.type("e")  # Explosion
    board.tab("explosion_kind")
    board.type("i")  # Impact
    board.tab("weapon_class")
    board.type("m")  # Mortar
    board.tab("weapon_assessed")
    board.press(Qt.Key.Key_Space)
    board.tab("calibre_mm")
    board.type("120")
    board.tab("count")
    board.type("12")
    board.tab("means")  # remembered
    board.tab("narrative")
    board.narrative(NARRATIVES[0])
    assert form.problems() == {}
    with qtbot.waitSignal(form.saved, timeout=30_000):
        board.press(Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)

    # Save and new from this: the same moment, place and means; the cursor on what was observed.
    assert form.isVisible() and board.focused().objectName() == "obs_type"
    board.type("b")  # Burst
    board.tab("weapon_class")
    board.type("h")  # Heavy machine gun
    board.tab("weapon_assessed")
    board.tab("count")
    board.type(">3")  # at least 3
    board.tab("means")
    board.tab("narrative")
    board.narrative(NARRATIVES[1])
    assert form.problems() == {}
    with qtbot.waitSignal(form.saved, timeout=30_000):
        board.press(Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not form.isVisible())

    first, second = (get_incident(store.conn, s.incident_id).incident for s in saved)
    to_utc = "%Y-%m-%dT%H:%M:00Z"
    assert first.observed_start == start.astimezone(datetime.UTC).strftime(to_utc)
    assert first.observed_end == end.astimezone(datetime.UTC).strftime(to_utc)
    assert (first.observer_lat, first.observer_lon, first.place) == (48.4012, 37.7021, "Toretsk")
    assert (first.zone_id, first.sector_id, first.means) == ("EAST", "DMZ-04", "heard_and_seen")
    assert (first.bearing_deg, first.dist_min_km, first.dist_max_km) == (67.5, 3.0, 5.0)
    assert (first.category, first.obs_type, first.explosion_kind) == ("fire", "explosion", "impact")
    assert (first.weapon_class, first.weapon_assessed, first.calibre_mm, first.count) == ("mortar", True, 120.0, 12)
    assert first.narrative == NARRATIVES[0]
    assert (second.observed_start, second.observed_end) == (first.observed_start, first.observed_end)
    assert (second.observer_lat, second.place, second.bearing_deg, second.means) == (
        48.4012,
        "Toretsk",
        67.5,
        "heard_and_seen",
    )
    assert (second.obs_type, second.weapon_class, second.weapon_assessed, second.calibre_mm) == (
        "burst",
        "heavy_machine_gun",
        False,
        None,
    )
    assert (second.count, second.count_qualifier, second.narrative) == (3, "at_least", NARRATIVES[1])
    print(f"\ntrial report: {board.count} keystrokes beyond the narrative (budget {BUDGET})")
    assert board.count <= BUDGET
