"""The entry form, driven from the keyboard as a monitor drives it: type, Tab, Ctrl+S."""

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QEventLoop, QSettings, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QCheckBox,
    QDateTimeEdit,
    QDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QWidget,
)
from shiboken6 import Shiboken
from support import valid_raw

from db.core.errors import DatabaseError
from db.model.geo import to_mgrs
from db.model.validation import validate_incident
from db.records.incidents import get_incident, incident_history, record_incident
from db.records.monitors import Monitor
from db.storage.drafts import load_drafts
from db.storage.store import Store
from desktop.form.incident_form import IncidentForm
from desktop.form.memory import SETTING_MEANS, SETTING_SECTOR, SETTING_ZONE
from desktop.form.typed import read_form, spaced_mgrs, values_of_incident

# A point in DMZ sector 4 (Toretsk), inside the DMZ, in zone EAST.
OBSERVER = (48.40, 37.70)


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "form.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def make_form(qtbot, store: Store, monitor: Monitor, settings: QSettings) -> Callable[..., IncidentForm]:  # type: ignore[no-untyped-def]
    def make(register: bool = True, **kwargs: object) -> IncidentForm:
        form = IncidentForm(store, monitor, settings, **kwargs)  # type: ignore[arg-type]
        if register:
            # Closed without the "Discard?" question, which nobody would answer after a failure.
            qtbot.addWidget(form, before_close_func=lambda w: w.done(QDialog.DialogCode.Rejected))
        form.show()
        qtbot.waitExposed(form)
        qtbot.waitUntil(lambda: QApplication.focusWidget() is not None)
        return form

    return make


class MessageBoxes:
    """Answers message boxes as they appear, by the start of a button's text, and records their words.

    A box nobody expected is closed with its escape button (so a test cannot hang on it) and
    fails the test.
    """

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.answers: list[str] = []
        self.unexpected: list[str] = []
        self._timer = QTimer()
        self._timer.setInterval(20)
        self._timer.timeout.connect(self._answer)
        self._timer.start()

    def _answer(self) -> None:
        for widget in QApplication.topLevelWidgets():
            if not (isinstance(widget, QMessageBox) and widget.isVisible()):
                continue
            words = f"{widget.text()}\n{widget.informativeText()}"
            if not self.answers:
                self.unexpected.append(words)
                (widget.escapeButton() or widget.buttons()[-1]).click()
                return
            self.seen.append(words)
            wanted = self.answers.pop(0)
            (button,) = [b for b in widget.buttons() if b.text().replace("&", "").startswith(wanted)]
            button.click()
            return

    def stop(self) -> None:
        self._timer.stop()


@pytest.fixture(autouse=True)
def message_boxes(qapp) -> Iterator[MessageBoxes]:  # type: ignore[no-untyped-def]
    boxes = MessageBoxes()
    yield boxes
    boxes.stop()
    assert boxes.unexpected == [], "a message box nobody expected"


def keys(qtbot, widget: QWidget, text: str) -> None:  # type: ignore[no-untyped-def]
    """Type ``text`` as key presses; QTest's keyClicks only knows Latin-1, monitors type Cyrillic too."""
    for char in text:
        if char == "\n":
            qtbot.keyClick(widget, Qt.Key.Key_Return)
        elif ord(char) < 0x80:
            qtbot.keyClicks(widget, char)
        else:
            QTest.sendKeyEvent(QTest.KeyAction.Click, widget, Qt.Key.Key_unknown, char, Qt.KeyboardModifier.NoModifier)


def focused() -> QWidget:
    """The widget with the keyboard focus; after a message box, once the form is active again."""
    deadline = time.monotonic() + 2
    while QApplication.focusWidget() is None and time.monotonic() < deadline:
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
    widget = QApplication.focusWidget()
    assert widget is not None
    return widget


def enter(qtbot, form: IncidentForm, name: str, text: str = "", key: Qt.Key | None = None) -> None:  # type: ignore[no-untyped-def]
    """Check that the cursor is in field ``name``, type there, then Tab on."""
    assert focused() is form.field_widget(name), f"expected the cursor in {name}, it is in {focused().objectName()}"
    if text:
        keys(qtbot, focused(), text)
    if key is not None:
        qtbot.keyClick(focused(), key)
    qtbot.keyClick(focused(), Qt.Key.Key_Tab)


def type_into(qtbot, form: IncidentForm, name: str, text: str) -> None:  # type: ignore[no-untyped-def]
    """Go to a field (as Alt+letter or a few Tabs would) and replace its content by typing."""
    widget = form.field_widget(name)
    # Arriving by Tab puts a date or time edit on its first section, ready to be typed over.
    widget.clearFocus()
    widget.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(widget.hasFocus)
    if isinstance(widget, QLineEdit | QPlainTextEdit) or (
        isinstance(widget, QAbstractSpinBox) and not isinstance(widget, QDateTimeEdit)
    ):
        widget.selectAll()
    keys(qtbot, widget, text)


def alt(qtbot, letter: str, form: IncidentForm, name: str) -> None:  # type: ignore[no-untyped-def]
    """Alt+letter, and check it went to field ``name``."""
    qtbot.keyClick(focused(), letter, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: focused() is form.field_widget(name))


def press(qtbot, form: IncidentForm, name: str, key: Qt.Key) -> None:  # type: ignore[no-untyped-def]
    widget = form.field_widget(name)
    widget.setFocus()
    qtbot.waitUntil(widget.hasFocus)
    qtbot.keyClick(widget, key)


def fill_valid(qtbot, form: IncidentForm) -> None:  # type: ignore[no-untyped-def]
    """The least a new incident needs: a time (the default, now), a position, category and means."""
    type_into(qtbot, form, "observer_position", f"{OBSERVER[0]}, {OBSERVER[1]}")
    type_into(qtbot, form, "category", "fire")
    type_into(qtbot, form, "means", "heard")
    assert form.problems() == {}


def save_button(form: IncidentForm) -> QWidget:
    return form._save_button


def ctrl_s(qtbot) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClick(focused(), Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)


def record(store: Store, writer, **changes: object) -> str:  # type: ignore[no-untyped-def]
    incident = validate_incident(valid_raw(**changes), theatre=store.theatre)
    return record_incident(store.conn, writer, incident, store.calendar).incident_id


# -- reading the form without widgets ----------------------------------------------------------


@pytest.mark.parametrize("changes", [{}, {"observed_start": "2026-10-25T01:30:00Z", "observed_end": None}])
def test_a_stored_incident_reads_back_unchanged_through_the_form_values(store, changes) -> None:  # type: ignore[no-untyped-def]
    incident = validate_incident(valid_raw(**changes), theatre=store.theatre)
    values = values_of_incident(incident, store.tz)
    values["zone_overridden"] = values["sector_overridden"] = False
    reading = read_form(values, store.tz, store.theatre)
    assert reading.problems == {}
    assert validate_incident(reading.raw, theatre=store.theatre) == incident


@pytest.mark.parametrize(
    ("reference", "spaced"),
    [("37UDQ1234567890", "37U DQ 12345 67890"), ("4QFJ1234", "4Q FJ 12 34"), ("37UDQ", "37U DQ")],
)
def test_mgrs_is_shown_as_people_write_it(reference: str, spaced: str) -> None:
    assert spaced_mgrs(reference) == spaced


# -- a full incident from the keyboard ----------------------------------------------------------


def test_a_full_incident_is_entered_from_the_keyboard_and_saved(qtbot, make_form, store: Store, monitor) -> None:  # type: ignore[no-untyped-def]
    form = make_form()
    statuses: list[str] = []
    form.status.connect(statuses.append)
    # The cursor starts in the start time (the date is today's far more often than not); what Tab
    # passes over is reached by its Alt key, the underlined letter of its label.
    assert focused() is form.field_widget("observed_start_time")
    alt(qtbot, "s", form, "observed_start_date")
    enter(qtbot, form, "observed_start_date", "2026-05-02")
    for char in "0015-0040":  # Kyiv, summer: 21:15 UTC the day before; the dash opens the end
        keys(qtbot, focused(), char)
    assert focused() is form.field_widget("observed_end_time")
    qtbot.keyClick(focused(), Qt.Key.Key_Tab)
    alt(qtbot, "c", form, "time_precision")
    keys(qtbot, focused(), "exact")
    alt(qtbot, "p", form, "observer_position")
    keys(qtbot, focused(), "48.40, 37.70")
    alt(qtbot, "v", form, "event_position")
    keys(qtbot, focused(), "48°25'12\"N 37°48'00\"E")  # zone and sector follow from the position
    qtbot.keyClick(focused(), Qt.Key.Key_Tab)  # zone and sector are passed over
    enter(qtbot, form, "place", "Торецьк")
    enter(qtbot, form, "bearing_deg", "ENE")
    enter(qtbot, form, "dist_min_km", "3")
    keys(qtbot, focused(), "5,5")
    alt(qtbot, "i", form, "geo_precision")
    keys(qtbot, focused(), "near")
    alt(qtbot, "a", form, "category")
    enter(qtbot, form, "category", "fire")
    enter(qtbot, form, "obs_type", "expl")
    enter(qtbot, form, "explosion_kind", "impact")  # enabled by "explosion", so Tab stops here
    enter(qtbot, form, "weapon_class", "mortar")
    enter(qtbot, form, "weapon_assessed", key=Qt.Key.Key_Space)
    enter(qtbot, form, "calibre_mm", "120")
    enter(qtbot, form, "count", "~12")  # "~" is "about", as the table shows it
    enter(qtbot, form, "means", "heard and")
    alt(qtbot, "y", form, "source_reliability")
    keys(qtbot, focused(), "b")
    alt(qtbot, "t", form, "info_credibility")
    keys(qtbot, focused(), "2")
    alt(qtbot, "l", form, "civ_killed")
    keys(qtbot, focused(), "0")
    alt(qtbot, "f", form, "verification_state")
    keys(qtbot, focused(), "submitted")
    qtbot.keyClick(focused(), Qt.Key.Key_Tab)
    assert focused() is form.field_widget("narrative")
    keys(qtbot, focused(), "Twelve impacts, 3–5 km ENE.")
    assert form.problems() == {}
    with qtbot.waitSignal(form.saved, timeout=30_000) as blocker:
        ctrl_s(qtbot)
    saved = blocker.args[0]
    assert form.result() == QDialog.DialogCode.Accepted and not form.isVisible()
    assert statuses == [f"Saved {saved.ref}"] and saved.ref.startswith("DMZ-04-")
    got = get_incident(store.conn, saved.incident_id).incident
    assert (got.observed_start, got.observed_end) == ("2026-05-01T21:15:00Z", "2026-05-01T21:40:00Z")
    assert (got.zone_id, got.sector_id, got.dmz_relation) == ("EAST", "DMZ-04", "inside")
    assert (got.observer_lat, got.observer_lon, got.event_lat, got.event_lon) == (48.4, 37.7, 48.42, 37.8)
    assert (got.place, got.bearing_deg, got.dist_min_km, got.dist_max_km) == ("Торецьк", 67.5, 3.0, 5.5)
    assert (got.geo_precision, got.category, got.obs_type, got.explosion_kind) == (
        "near",
        "fire",
        "explosion",
        "impact",
    )
    assert (got.weapon_class, got.weapon_assessed, got.calibre_mm) == ("mortar", True, 120.0)
    assert (got.count, got.count_qualifier, got.means) == (12, "approx", "heard_and_seen")
    assert (got.source_reliability, got.info_credibility) == ("B", 2)
    assert (got.civ_killed, got.civ_injured, got.mil_killed, got.mil_injured) == (0, None, None, None)
    assert (got.verification_state, got.attribution, got.actor1) == ("submitted", "not_assessed", None)
    assert got.narrative == "Twelve impacts, 3–5 km ENE."
    assert incident_history(store.conn, saved.incident_id)[0].version.author_id == monitor.monitor_id
    assert load_drafts(store.data.drafts) == []  # saving deletes the draft


@pytest.mark.parametrize(
    ("key", "modifiers"),
    [
        (Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier),
        (Qt.Key.Key_Enter, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.KeypadModifier),
    ],
)
def test_ctrl_enter_saves_and_plain_enter_does_not(qtbot, make_form, key, modifiers) -> None:  # type: ignore[no-untyped-def]
    form = make_form()
    fill_valid(qtbot, form)
    qtbot.keyClick(focused(), key)  # a stray Enter in a field neither saves nor closes
    assert form.isVisible()
    with qtbot.waitSignal(form.saved, timeout=30_000):
        qtbot.keyClick(focused(), key, modifiers)


def test_tab_order_is_the_visual_order_of_what_usually_changes(qtbot, make_form) -> None:  # type: ignore[no-untyped-def]
    form = make_form()
    assert focused() is form.field_widget("observed_start_time")
    seen = [focused().objectName()]
    for _ in range(40):
        qtbot.keyClick(focused(), Qt.Key.Key_Tab)
        if focused().objectName() in seen:
            break
        seen.append(focused().objectName())
    # Disabled fields (end, explosion, calibre), the disabled Save buttons and the fields that
    # seldom change (RARELY_CHANGED, reached by their Alt keys) are skipped.
    assert seen == [
        "observed_start_time",
        "observer_position",
        "place",
        "bearing_deg",
        "dist_min_km",
        "dist_max_km",
        "category",
        "obs_type",
        "weapon_class",
        "weapon_assessed",
        "count",
        "means",
        "narrative",
        "cancel",
    ]


def test_every_field_tab_passes_over_has_its_own_alt_key(qtbot, make_form) -> None:  # type: ignore[no-untyped-def]
    from desktop.form.help_text import RARELY_CHANGED

    form = make_form()
    letters: dict[str, str] = {}
    for label in form.findChildren(QLabel):
        text = label.text().replace("&&", "")
        if "&" in text and label.buddy() is not None and label.isVisibleTo(form):
            letter = text[text.index("&") + 1].lower()
            assert letter not in letters, f"Alt+{letter} is both {letters[letter]} and {label.buddy().objectName()}"
            letters[letter] = label.buddy().objectName()
    reachable = set(letters.values()) | {"observed_end_known"}  # the End box carries its own letter
    # Each field Tab skips is reached by Alt (the end date follows the end time: Alt+E, then Tab).
    missing = {n for n in RARELY_CHANGED if n not in reachable and n not in ("observed_end_date", "count_qualifier")}
    assert missing <= {"civ_injured", "mil_injured"}  # Tab from "killed" goes on to "injured"


def test_tab_in_the_narrative_moves_on_and_inserts_nothing(qtbot, make_form) -> None:  # type: ignore[no-untyped-def]
    form = make_form()
    type_into(qtbot, form, "narrative", "first line\nsecond")
    narrative = form.field_widget("narrative")
    qtbot.keyClick(narrative, Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)
    if focused() is narrative:
        qtbot.keyClick(narrative, Qt.Key.Key_Tab)
    assert form.values()["narrative"] == "first line\nsecond"
    assert focused() is not narrative


def test_combos_find_an_item_by_any_word_typed(qtbot, make_form) -> None:  # type: ignore[no-untyped-def]
    form = make_form()
    type_into(qtbot, form, "sector_id", "kher")  # "DMZ-10 · DMZ sector 10 (Kherson)"
    assert form.values()["sector_id"] == "DMZ-10"
    type_into(qtbot, form, "weapon_class", "rpg")
    assert form.values()["weapon_class"] == "rpg_recoilless"
    type_into(qtbot, form, "weapon_class", "zzz")  # nothing matches: nothing changes
    assert form.values()["weapon_class"] == "rpg_recoilless"


def test_times_are_entered_in_the_display_zone(qtbot, make_form, store) -> None:  # type: ignore[no-untyped-def]
    form = make_form(display_tz=ZoneInfo("UTC"))
    assert "UTC" in form.field_widget("observed_start_date").parent().title()
    fill_valid(qtbot, form)
    type_into(qtbot, form, "observed_start_date", "2026-05-01")
    type_into(qtbot, form, "observed_start_time", "21:15")
    with qtbot.waitSignal(form.saved, timeout=30_000) as blocker:
        ctrl_s(qtbot)
    assert get_incident(store.conn, blocker.args[0].incident_id).incident.observed_start == "2026-05-01T21:15:00Z"


def test_every_field_explains_itself(make_form) -> None:  # type: ignore[no-untyped-def]
    form = make_form()
    for widget in form._fields.tab_chain:
        assert len(widget.toolTip()) > 20, widget.objectName()


# -- inline validation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("steps", "field", "reason"),
    [
        ([("count", "0")], "count", "between 1 and"),
        ([("bearing_deg", "400")], "bearing_deg", "between 0 and 360"),
        ([("dist_min_km", "8"), ("dist_max_km", "5")], "dist_max_km", "smaller than the minimum"),
        ([("observer_position", "95, 37")], "observer_position", "latitude 95 is out of range"),
        ([("observer_position", "37U ZZ 12345 67890")], "observer_position", "not a valid MGRS reference"),
        ([("event_position", "48.4")], "event_position", "both latitude and longitude"),
        ([("calibre_mm", "abc")], "calibre_mm", "not a number"),
        ([("civ_injured", "-1")], "civ_injured", "between 0 and"),
    ],
)
def test_each_problem_marks_its_field_and_disables_save(qtbot, make_form, steps, field, reason) -> None:  # type: ignore[no-untyped-def]
    form = make_form()
    fill_valid(qtbot, form)
    press(qtbot, form, "weapon_assessed", Qt.Key.Key_Space)  # so that the calibre can be typed
    assert save_button(form).isEnabled()
    for name, text in steps:
        type_into(qtbot, form, name, text)
    assert reason in form.problems()[field]
    widget = form.field_widget(field)
    assert widget.property("invalid") is True and reason in widget.toolTip()
    assert not save_button(form).isEnabled()
    assert reason in form._problem_label.text()
    ctrl_s(qtbot)  # refused: the cursor goes to the field at fault
    assert form.isVisible() and focused() is widget
    type_into(qtbot, form, field, "")  # clearing it (unknown) or fixing it makes the form valid again
    qtbot.keyClick(widget, Qt.Key.Key_Backspace)
    if field == "count":
        qtbot.keyClicks(widget, "3")
    assert field not in form.problems()
    assert not widget.property("invalid")


def test_an_end_before_the_start_is_marked_on_both_end_fields(qtbot, make_form) -> None:  # type: ignore[no-untyped-def]
    form = make_form()
    fill_valid(qtbot, form)
    type_into(qtbot, form, "observed_start_date", "2026-05-02")
    type_into(qtbot, form, "observed_start_time", "10:00")
    press(qtbot, form, "observed_end_known", Qt.Key.Key_Space)
    type_into(qtbot, form, "observed_end_date", "2026-05-02")
    type_into(qtbot, form, "observed_end_time", "09:30")
    assert form.problems() == {"observed_end": "is before the start of the observation"}
    assert form.field_widget("observed_end_date").property("invalid") is True
    assert form.field_widget("observed_end_time").property("invalid") is True
    assert not save_button(form).isEnabled()


def test_a_new_form_asks_for_what_has_no_default(make_form) -> None:  # type: ignore[no-untyped-def]
    form = make_form()
    assert form.problems() == {"zone_id": "is required", "category": "is required", "means": "is required"}
    assert not save_button(form).isEnabled()


def test_a_future_time_is_refused(qtbot, make_form) -> None:  # type: ignore[no-untyped-def]
    form = make_form()
    fill_valid(qtbot, form)
    type_into(qtbot, form, "observed_start_date", "2099-01-01")
    assert form.problems() == {"observed_start": "is in the future"}


# -- daylight saving time -----------------------------------------------------------------------


def test_a_time_the_clocks_skipped_is_refused_with_the_jump(qtbot, make_form) -> None:  # type: ignore[no-untyped-def]
    form = make_form()
    fill_valid(qtbot, form)
    type_into(qtbot, form, "observed_start_date", "2026-03-29")
    type_into(qtbot, form, "observed_start_time", "03:30")
    message = "03:30 on 2026-03-29 does not exist in Europe/Kyiv: clocks jump from 03:00 to 04:00"
    assert form.problems() == {"observed_start": message}
    assert not save_button(form).isEnabled()
    assert message in form._problem_label.text()
    assert form.field_widget("observed_start_time").property("invalid") is True
    type_into(qtbot, form, "observed_start_time", "04:30")
    assert form.problems() == {}


@pytest.mark.parametrize(("answer", "utc"), [("First", "2026-10-25T00:30:00Z"), ("Second", "2026-10-25T01:30:00Z")])
def test_a_time_that_happened_twice_asks_which(qtbot, make_form, store, message_boxes, answer, utc) -> None:  # type: ignore[no-untyped-def]
    form = make_form()
    fill_valid(qtbot, form)
    type_into(qtbot, form, "observed_start_date", "2026-10-25")
    type_into(qtbot, form, "observed_start_time", "03:30")
    assert form.problems() == {} and save_button(form).isEnabled()  # asked on saving, not while typing
    message_boxes.answers.append(answer)
    with qtbot.waitSignal(form.saved, timeout=30_000) as blocker:
        ctrl_s(qtbot)
    assert len(message_boxes.seen) == 1
    assert "03:30 on 2026-10-25 happened twice" in message_boxes.seen[0]
    assert "UTC+3, 00:30 UTC" in message_boxes.seen[0] and "UTC+2, 01:30 UTC" in message_boxes.seen[0]
    assert get_incident(store.conn, blocker.args[0].incident_id).incident.observed_start == utc


def test_backing_out_of_the_question_saves_nothing(qtbot, make_form, store, message_boxes) -> None:  # type: ignore[no-untyped-def]
    form = make_form()
    fill_valid(qtbot, form)
    type_into(qtbot, form, "observed_start_date", "2026-10-25")
    type_into(qtbot, form, "observed_start_time", "03:30")
    message_boxes.answers.append("Back")
    saved: list[object] = []
    form.saved.connect(saved.append)
    ctrl_s(qtbot)
    qtbot.waitUntil(lambda: len(message_boxes.seen) == 1)
    assert form.isVisible() and saved == []
    assert store.conn.execute("SELECT count(*) FROM incidents").fetchone()[0] == 0


# -- where: positions, zones and sectors --------------------------------------------------------


def test_an_mgrs_position_fills_zone_and_sector(qtbot, make_form, store) -> None:  # type: ignore[no-untyped-def]
    form = make_form()
    assert store.theatre.assign(*OBSERVER).sector_id == "DMZ-04"
    reference = to_mgrs(*OBSERVER)
    type_into(qtbot, form, "observer_position", f"{reference[:3]} {reference[3:5]} {reference[5:10]} {reference[10:]}")
    values = form.values()
    assert (values["zone_id"], values["sector_id"]) == ("EAST", "DMZ-04")
    assert form.field_widget("dmz_relation").text().startswith("Inside the DMZ")
    hint = form._fields.hint("observer_position")
    assert f"{reference[:3]} {reference[3:5]} {reference[5:10]} {reference[10:]}" in hint and "48°24'" in hint
    assert form.placement_warning == ""


def test_an_event_position_decides_over_the_observer(qtbot, make_form, store) -> None:  # type: ignore[no-untyped-def]
    form = make_form()
    type_into(qtbot, form, "observer_position", "48.40, 37.70")
    # Far west of the DMZ: zone without a sector.
    west = next(
        (lat, lon)
        for lat, lon in ((48.4, 36.5), (48.4, 36.0), (49.5, 33.0))
        if store.theatre.assign(lat, lon).sector_id is None
    )
    placement = store.theatre.assign(*west)
    type_into(qtbot, form, "event_position", f"{west[0]}, {west[1]}")
    values = form.values()
    assert (values["zone_id"], values["sector_id"]) == (placement.zone_id, None)


def test_a_zone_override_shows_the_mismatch_and_is_kept(qtbot, make_form, store) -> None:  # type: ignore[no-untyped-def]
    form = make_form()
    fill_valid(qtbot, form)
    type_into(qtbot, form, "zone_id", "west")
    assert form.values()["zone_id"] == "WEST"
    assert form.placement_warning == "⚠ position: EAST"
    type_into(qtbot, form, "observer_position", "48.41, 37.71")  # moving keeps the override
    assert form.values()["zone_id"] == "WEST" and form.placement_warning
    with qtbot.waitSignal(form.saved, timeout=30_000) as blocker:
        ctrl_s(qtbot)
    assert get_incident(store.conn, blocker.args[0].incident_id).incident.zone_id == "WEST"


def test_choosing_the_computed_zone_again_clears_the_warning(qtbot, make_form) -> None:  # type: ignore[no-untyped-def]
    form = make_form()
    fill_valid(qtbot, form)
    type_into(qtbot, form, "sector_id", "DMZ-05")
    assert form.placement_warning == "⚠ position: DMZ-04"
    type_into(qtbot, form, "sector_id", "DMZ-04")
    assert form.placement_warning == ""
    type_into(qtbot, form, "observer_position", "48.41, 37.71")
    assert form.values()["sector_id"] == "DMZ-04"


# -- what: fields that apply only sometimes -----------------------------------------------------


def test_explosion_kind_applies_only_to_explosions(qtbot, make_form) -> None:  # type: ignore[no-untyped-def]
    form = make_form()
    fill_valid(qtbot, form)
    kind = form.field_widget("explosion_kind")
    assert not kind.isEnabled()
    type_into(qtbot, form, "obs_type", "explosion")
    assert kind.isEnabled() and form.problems() == {"explosion_kind": "is required for an explosion"}
    type_into(qtbot, form, "explosion_kind", "air")
    assert form.problems() == {}
    type_into(qtbot, form, "obs_type", "burst")
    assert not kind.isEnabled() and form.problems() == {}  # greyed out: not part of the incident


def test_calibre_applies_only_when_the_weapon_was_assessed(qtbot, make_form) -> None:  # type: ignore[no-untyped-def]
    form = make_form()
    fill_valid(qtbot, form)
    calibre = form.field_widget("calibre_mm")
    assert not calibre.isEnabled()
    press(qtbot, form, "weapon_assessed", Qt.Key.Key_Space)
    assert calibre.isEnabled()
    type_into(qtbot, form, "calibre_mm", "122")
    press(qtbot, form, "weapon_assessed", Qt.Key.Key_Space)
    assert not calibre.isEnabled() and form.problems() == {}


# -- amending -----------------------------------------------------------------------------------


def test_an_amendment_needs_a_reason_and_keeps_the_version_chain(qtbot, make_form, store, writer) -> None:  # type: ignore[no-untyped-def]
    incident_id = record(store, writer)
    before = get_incident(store.conn, incident_id)
    form = make_form(incident_id=incident_id)
    assert f"Editing {before.ref} (version 1)" in form._title.text()
    assert form.values()["place"] == "Торецьк" and form.values()["count"] == 12
    assert form.values()["observed_start_time"] == "00:15"  # 21:15 UTC shown in Kyiv time
    assert form.problems() == {"reason": "is required when changing an incident"}
    type_into(qtbot, form, "count", "14")
    ctrl_s(qtbot)  # refused without a reason
    assert form.isVisible() and focused() is form.field_widget("reason")
    assert len(incident_history(store.conn, incident_id)) == 1
    qtbot.keyClicks(focused(), "recounted with the team")
    with qtbot.waitSignal(form.saved, timeout=30_000) as blocker:
        ctrl_s(qtbot)
    assert blocker.args[0].ref == before.ref
    history = incident_history(store.conn, incident_id)
    assert [h.version.reason for h in history] == [None, "recounted with the team"]
    assert history[1].version.parent_ids == (before.head_version_id,)
    assert history[1].changed == ("count",)  # nothing else was touched by loading and saving


def test_an_amendment_based_on_an_old_version_makes_a_conflict_not_an_overwrite(  # type: ignore[no-untyped-def]
    qtbot, make_form, store, writer
) -> None:
    incident_id = record(store, writer)
    form = make_form(incident_id=incident_id)
    # Meanwhile another version is saved (by a merge, say).
    from db.records.incidents import amend_incident

    changed = validate_incident(valid_raw(count=20), theatre=store.theatre)
    amend_incident(store.conn, writer, incident_id, changed, "merged from another laptop", store.calendar)
    type_into(qtbot, form, "reason", "my correction")
    type_into(qtbot, form, "place", "Toretsk")
    with qtbot.waitSignal(form.saved, timeout=30_000):
        ctrl_s(qtbot)
    assert get_incident(store.conn, incident_id).heads == 2


# -- leaving, drafts and defaults ---------------------------------------------------------------


def test_esc_without_changes_closes_at_once(qtbot, make_form, message_boxes) -> None:  # type: ignore[no-untyped-def]
    form = make_form()
    qtbot.keyClick(focused(), Qt.Key.Key_Escape)
    assert not form.isVisible() and form.result() == QDialog.DialogCode.Rejected
    assert message_boxes.seen == message_boxes.unexpected == []


def test_esc_with_changes_asks_before_discarding(qtbot, make_form, store, message_boxes) -> None:  # type: ignore[no-untyped-def]
    form = make_form()
    type_into(qtbot, form, "place", "Торецьк")
    qtbot.waitUntil(lambda: load_drafts(store.data.drafts) != [], timeout=30_000)
    message_boxes.answers.extend(["Keep editing", "Discard"])
    qtbot.keyClick(focused(), Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: len(message_boxes.seen) == 1)
    assert "Discard this incident?" in message_boxes.seen[0]
    assert form.isVisible() and form.values()["place"] == "Торецьк"
    qtbot.keyClick(focused(), Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not form.isVisible())
    assert form.result() == QDialog.DialogCode.Rejected
    assert load_drafts(store.data.drafts) == []  # discarding deletes the draft


def test_a_draft_survives_the_form_and_restores_every_value(qtbot, make_form, store) -> None:  # type: ignore[no-untyped-def]
    form = make_form(register=False)
    fill_valid(qtbot, form)
    type_into(qtbot, form, "observed_start_date", "2026-05-02")
    type_into(qtbot, form, "observed_start_time", "00:15")
    type_into(qtbot, form, "place", "Торецьк")
    type_into(qtbot, form, "bearing_deg", "40")  # typed, but not yet valid...
    type_into(qtbot, form, "zone_id", "north")  # ...and an override
    type_into(qtbot, form, "narrative", "Перший рядок\nsecond line")
    typed = form.values()
    drafts_dir = store.data.drafts
    qtbot.waitUntil(lambda: [d.fields for d in load_drafts(drafts_dir)] == [typed], timeout=30_000)
    form.deleteLater()  # as if the laptop died: nothing is asked, nothing is cleaned up
    qtbot.waitUntil(lambda: not Shiboken.isValid(form))
    (draft,) = load_drafts(drafts_dir)
    again = make_form(draft=draft)
    assert again.values() == typed
    assert again.placement_warning  # the override is still an override
    assert again.is_changed() and again.draft_id == draft.draft_id
    with qtbot.waitSignal(again.saved, timeout=30_000):
        ctrl_s(qtbot)
    assert load_drafts(drafts_dir) == []


def test_a_draft_of_an_amendment_keeps_its_incident_and_base(qtbot, make_form, store, writer) -> None:  # type: ignore[no-untyped-def]
    incident_id = record(store, writer)
    form = make_form(register=False, incident_id=incident_id)
    type_into(qtbot, form, "reason", "fixing the place")
    drafts_dir = store.data.drafts
    qtbot.waitUntil(lambda: load_drafts(drafts_dir) != [], timeout=30_000)
    form.deleteLater()
    qtbot.waitUntil(lambda: not Shiboken.isValid(form))
    (draft,) = load_drafts(drafts_dir)
    assert draft.incident_id == incident_id
    assert draft.base_version_id == get_incident(store.conn, incident_id).head_version_id
    again = make_form(draft=draft)
    assert "Editing" in again._title.text() and again.values()["reason"] == "fixing the place"


def test_the_last_zone_sector_and_means_are_the_next_defaults(qtbot, make_form, settings) -> None:  # type: ignore[no-untyped-def]
    form = make_form()
    fill_valid(qtbot, form)
    type_into(qtbot, form, "means", "seen")
    with qtbot.waitSignal(form.saved, timeout=30_000):
        ctrl_s(qtbot)
    assert (settings.value(SETTING_ZONE), settings.value(SETTING_SECTOR), settings.value(SETTING_MEANS)) == (
        "EAST",
        "DMZ-04",
        "seen",
    )
    following = make_form()
    values = following.values()
    assert (values["zone_id"], values["sector_id"], values["means"]) == ("EAST", "DMZ-04", "seen")
    assert following.problems() == {"category": "is required"}
    assert not following.is_changed()  # defaults are not changes: Esc closes without asking


def test_a_failed_save_keeps_the_form_and_everything_typed(  # type: ignore[no-untyped-def]
    qtbot, make_form, store, message_boxes, monkeypatch
) -> None:
    form = make_form()
    fill_valid(qtbot, form)
    type_into(qtbot, form, "narrative", "important words")

    def locked(*args: object, **kwargs: object) -> None:
        raise DatabaseError("database is locked")

    monkeypatch.setattr("desktop.form.incident_form.record_incident", locked)
    message_boxes.answers.append("OK")
    saved: list[object] = []
    form.saved.connect(saved.append)
    assert form.save() is False
    assert len(message_boxes.seen) == 1 and "database is locked" in message_boxes.seen[0]
    assert form.isVisible() and saved == [] and form.values()["narrative"] == "important words"
    assert load_drafts(store.data.drafts) != []  # written before trying to save
    monkeypatch.undo()
    with qtbot.waitSignal(form.saved, timeout=30_000):
        ctrl_s(qtbot)


def test_the_form_fits_a_small_laptop_screen_without_scrolling(qtbot, make_form, store, writer, tmp_path) -> None:  # type: ignore[no-untyped-def]
    for form in (make_form(), make_form(incident_id=record(store, writer))):
        form.resize(1366, 720)  # 1366×768 less a title bar and a panel
        qtbot.waitUntil(lambda form=form: form.width() == 1366)
        scroll = form._scroll
        # Scroll bars follow a resize on the next layout pass.
        qtbot.waitUntil(
            lambda scroll=scroll: (
                not scroll.verticalScrollBar().isVisible() and not scroll.horizontalScrollBar().isVisible()
            ),
            timeout=30_000,
        )
        assert form.sizeHint().width() <= 1366 and form.sizeHint().height() <= 720
        assert form.grab().save(str(tmp_path / "form.png"))
        for checkbox in form.findChildren(QCheckBox):
            assert checkbox.width() >= checkbox.sizeHint().width()  # no label cut off


def test_a_save_on_a_full_disk_says_so_and_keeps_everything_typed(  # type: ignore[no-untyped-def]
    qtbot, make_form, store, message_boxes
) -> None:
    form = make_form()
    fill_valid(qtbot, form)
    form.field_widget("narrative").setPlainText("x" * 9000)  # needs new pages: the full disk is hit
    pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
    store.conn.execute(f"PRAGMA max_page_count = {pages}")
    message_boxes.answers.append("OK")
    assert form.save() is False
    assert "disk is full" in message_boxes.seen[0] and "nothing was saved" in message_boxes.seen[0]
    assert store.conn.execute("SELECT count(*) FROM incident_versions").fetchone()[0] == 0
    assert form.isVisible() and form.values()["narrative"] == "x" * 9000
    store.conn.execute("PRAGMA max_page_count = 1073741823")
    with qtbot.waitSignal(form.saved, timeout=30_000):
        ctrl_s(qtbot)


def test_a_wheel_over_a_date_or_time_the_cursor_is_not_in_leaves_it_alone(qtbot) -> None:  # type: ignore[no-untyped-def]
    """Scrolling down a long form must not change the date or time the pointer passes over."""
    from PySide6.QtCore import QDate, QPoint, QPointF, QTime
    from PySide6.QtGui import QWheelEvent

    from desktop.form.editors import DateEdit, TimeEdit

    for edit, value in ((DateEdit(), lambda e: e.date()), (TimeEdit(), lambda e: e.time())):
        qtbot.addWidget(edit)
        edit.setDate(QDate(2026, 5, 1)) if isinstance(edit, DateEdit) else edit.setTime(QTime(21, 15))
        edit.show()
        qtbot.waitExposed(edit)
        before = value(edit)
        centre = QPointF(edit.rect().center())
        wheel = QWheelEvent(
            centre,
            edit.mapToGlobal(centre),
            QPoint(0, 0),
            QPoint(0, 120),
            Qt.MouseButton.NoButton,
            Qt.KeyboardModifier.NoModifier,
            Qt.ScrollPhase.NoScrollPhase,
            False,
        )
        edit.clearFocus()
        QApplication.sendEvent(edit, wheel)
        assert value(edit) == before
        edit.setFocus()
        qtbot.waitUntil(edit.hasFocus)
        QApplication.sendEvent(edit, wheel)
        assert value(edit) != before


@pytest.mark.parametrize(
    ("day", "clock", "hint"),
    [
        ("2026-11-30", "21:14", "= 19:14 UTC"),
        ("2026-12-01", "01:30", "= 23:30 UTC −1 d"),  # UTC is still on the day before
        ("2026-10-25", "03:30", "⚠ happens twice"),  # asked on saving
        ("2026-03-29", "03:30", "⚠ clocks skip it"),
    ],
)
def test_the_utc_hint_beside_a_time_is_short_enough_for_150_percent(day: str, clock: str, hint: str) -> None:
    from zoneinfo import ZoneInfo

    from desktop.form.typed import read_time, utc_hint

    assert utc_hint(read_time(day, clock, ZoneInfo("Europe/Kyiv"), None)) == hint
