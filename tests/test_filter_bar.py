"""The filter bar: each control's part of the IncidentFilter, debouncing, periods in the mission time zone."""

from datetime import date

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QLabel

from db.records.queries import IncidentFilter, day_bounds
from desktop.incidents.filter_bar import DEBOUNCE_MS, FilterBar

TODAY = date(2026, 3, 31)  # two days after Kyiv's spring clock change, so periods cross it


@pytest.fixture
def bar(qtbot, store):  # type: ignore[no-untyped-def]
    widget = FilterBar(store, today=lambda: TODAY)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_nothing_chosen_is_the_empty_filter(bar) -> None:  # type: ignore[no-untyped-def]
    assert bar.current_filter() == IncidentFilter()
    for combo, first in (
        (bar.zone, "All zones"),
        (bar.sector, "All sectors"),
        (bar.category, "All categories"),
        (bar.weapon, "All weapons"),
        (bar.state, "All states"),
    ):
        assert combo.itemText(0) == first and combo.currentData() is None


@pytest.mark.parametrize(
    ("control", "label", "field", "value"),
    [
        ("zone", "South (SOUTH)", "zone_ids", "SOUTH"),
        ("sector", "DMZ sector 4 (Toretsk)", "sector_ids", "DMZ-04"),
        ("category", "UAV activity", "categories", "uav_activity"),
        ("weapon", "Tube artillery", "weapon_classes", "tube_artillery"),
        ("state", "Under review", "states", "under_review"),
    ],
)
def test_each_choice_emits_its_filter_at_once(qtbot, bar, control, label, field, value) -> None:  # type: ignore[no-untyped-def]
    combo = getattr(bar, control)
    with qtbot.waitSignal(bar.filterChanged, timeout=100) as blocker:
        combo.setCurrentIndex(combo.findText(label))
    expected = IncidentFilter(**{field: (value,)})
    assert blocker.args == [expected] and bar.current_filter() == expected
    with qtbot.waitSignal(bar.filterChanged, timeout=100) as blocker:
        combo.setCurrentIndex(0)
    assert blocker.args == [IncidentFilter()]


def test_choices_combine(bar) -> None:  # type: ignore[no-untyped-def]
    bar.zone.setCurrentIndex(bar.zone.findData("EAST"))
    bar.category.setCurrentIndex(bar.category.findData("fire"))
    bar.state.setCurrentIndex(bar.state.findData("verified"))
    assert bar.current_filter() == IncidentFilter(zone_ids=("EAST",), categories=("fire",), states=("verified",))


def test_typing_emits_once_after_a_pause(qtbot, bar) -> None:  # type: ignore[no-untyped-def]
    emitted: list[IncidentFilter] = []
    bar.filterChanged.connect(emitted.append)
    with qtbot.waitSignal(bar.filterChanged, timeout=DEBOUNCE_MS * 4):
        qtbot.keyClicks(bar.search, "shahed overhead")
    assert emitted == [IncidentFilter(text="shahed overhead")]
    qtbot.waitUntil(lambda: not bar._debounce.isActive())  # no second emission is pending
    assert len(emitted) == 1


def test_enter_searches_without_waiting(qtbot, bar) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClicks(bar.search, "mortar")
    with qtbot.waitSignal(bar.filterChanged, timeout=DEBOUNCE_MS // 2) as blocker:
        qtbot.keyClick(bar.search, Qt.Key.Key_Return)
    assert blocker.args == [IncidentFilter(text="mortar")]
    with qtbot.assertNotEmitted(bar.filterChanged, wait=DEBOUNCE_MS + 50):
        pass  # the pending debounce was cancelled: the same filter is not sent twice


@pytest.mark.parametrize(
    ("preset", "first", "last"),
    [
        ("Today", date(2026, 3, 31), date(2026, 3, 31)),
        ("Last 7 days to yesterday", date(2026, 3, 24), date(2026, 3, 30)),
        ("Last 30 days to yesterday", date(2026, 3, 1), date(2026, 3, 30)),
        ("This month", date(2026, 3, 1), date(2026, 3, 31)),
    ],
)
def test_period_presets_are_local_days(qtbot, bar, store, preset, first, last) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(bar.filterChanged, timeout=100) as blocker:
        bar.period.setCurrentIndex(bar.period.findText(preset))
    start, end = day_bounds(first, last, store.tz)
    assert blocker.args[0] == IncidentFilter(start_utc=start, end_utc=end)
    assert bar.period_days() == (first, last)
    assert not bar.date_from.isVisible()  # only Custom shows the dates


def test_today_follows_the_mission_time_zone(bar) -> None:  # type: ignore[no-untyped-def]
    bar.period.setCurrentIndex(bar.period.findData("today"))
    # Kyiv moved to UTC+3 on 29 March 2026: the local day starts at 21:00 UTC the evening before.
    assert bar.current_filter() == IncidentFilter(start_utc="2026-03-30T21:00:00Z", end_utc="2026-03-31T21:00:00Z")


def test_custom_shows_the_dates_and_uses_them(qtbot, bar, store) -> None:  # type: ignore[no-untyped-def]
    assert not bar.date_from.isVisible() and not bar.date_to.isVisible()
    bar.period.setCurrentIndex(bar.period.findData("7d"))
    bar.period.setCurrentIndex(bar.period.findData("custom"))
    assert bar.date_from.isVisible() and bar.date_to.isVisible()
    # Custom starts from the preset it replaces.
    assert (bar.date_from.date(), bar.date_to.date()) == (QDate(2026, 3, 24), QDate(2026, 3, 30))
    with qtbot.waitSignal(bar.filterChanged, timeout=DEBOUNCE_MS * 4) as blocker:
        bar.date_from.setDate(QDate(2026, 3, 29))
    assert blocker.args[0] == IncidentFilter(*day_bounds(date(2026, 3, 29), date(2026, 3, 30), store.tz))
    bar.period.setCurrentIndex(bar.period.findData("all"))
    assert not bar.date_from.isVisible()
    assert bar.current_filter() == IncidentFilter()


def test_set_period_selects_custom_days(qtbot, bar, store) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(bar.filterChanged, timeout=100) as blocker:
        bar.set_period(date(2026, 2, 1), date(2026, 2, 14))
    assert bar.period.currentData() == "custom" and bar.date_from.isVisible()
    assert blocker.args[0] == IncidentFilter(*day_bounds(date(2026, 2, 1), date(2026, 2, 14), store.tz))
    bar.set_period(date(2026, 2, 14), date(2026, 2, 1))  # dragged right to left
    assert bar.period_days() == (date(2026, 2, 1), date(2026, 2, 14))
    with qtbot.waitSignal(bar.filterChanged, timeout=100) as blocker:
        bar.set_period(None, None)
    assert blocker.args == [IncidentFilter()] and bar.period.currentData() == "all"


def test_focus_search_and_mnemonics(qtbot, bar) -> None:  # type: ignore[no-untyped-def]
    bar.search.setText("old words")
    bar.activateWindow()
    bar.focus_search()
    qtbot.waitUntil(bar.search.hasFocus)
    assert bar.search.selectedText() == "old words"
    labels = {label.text(): label.buddy() for label in bar.findChildren(QLabel)}
    assert labels["&Zone"] is bar.zone and labels["&Search"] is bar.search
    assert labels["&Period"] is bar.period and labels["Fro&m"] is bar.date_from
    shortcuts = [text[text.index("&") + 1].lower() for text in labels]
    assert len(shortcuts) == len(set(shortcuts)), "two labels share an accelerator"
    for control in (bar.period, bar.date_from, bar.date_to, bar.zone, bar.sector, bar.category, bar.weapon):
        assert control.toolTip()
    assert bar.state.toolTip() and bar.search.toolTip()


def test_the_bar_wraps_instead_of_widening_the_window(qtbot, bar) -> None:  # type: ignore[no-untyped-def]
    one_line = bar.sizeHint().height()
    assert bar.minimumSizeHint().width() < 400
    assert bar.layout().heightForWidth(500) > one_line
    assert bar.layout().heightForWidth(bar.sizeHint().width()) == one_line
