"""The summary panel: the exact text for the hand-counted events of tests/support.py, and copying it."""

from datetime import date
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QGuiApplication, QTextCursor
from support import record_events

from db.records.queries import IncidentFilter, day_bounds
from db.storage.store import Store
from db.storage.versions import Writer
from db.trends.summary import running_total
from desktop.trends.summary_panel import ALL_TIME_NOTE, SummaryPanel

KYIV = ZoneInfo("Europe/Kyiv")
FIRST, LAST = date(2026, 5, 10), date(2026, 5, 16)  # the previous period is 3 to 9 May
NONE = "no ceasefire violations; in the previous period, no ceasefire violations."

PERIOD_TEXT = f"""\
21 ceasefire violations, including 11 explosions (3 impacts, 2 airbursts, 5 outgoing, 1 undetermined); \
in the previous period, 3 ceasefire violations, including 2 explosions.
Period: 2026-05-10 to 2026-05-16 (7 days, local days in Europe/Kyiv); previous period: 2026-05-03 to 2026-05-09.
Change: ceasefire violations up 18 (+600%); explosions up 9 (+450%).
(Ceasefire violations: the count of category Fire. All categories, as the timeline counts: 25 violations.)

By zone, ranked by the change in ceasefire violations:
1. SOUTH (South): 15 (previous 1), up 14 (+1400%), escalated
2. EAST (East): 6 (previous 2), up 4 (+200%)
Escalated: SOUTH.
No ceasefire violations in either period: BEYOND, CENTRE, NORTH, WEST.

Each zone:
BEYOND (Beyond the contact line): {NONE}
CENTRE (Centre): {NONE}
EAST (East): 6 ceasefire violations, including 6 explosions (3 impacts, 2 airbursts, 1 undetermined); \
in the previous period, 2 ceasefire violations, including 1 explosion.
NORTH (North): {NONE}
SOUTH (South): 15 ceasefire violations, including 5 explosions (5 outgoing); \
in the previous period, 1 ceasefire violation, including 1 explosion.
WEST (West): {NONE}

Since 2026-04-01 (Ceasefire in force), to 2026-05-16: 26 ceasefire violations, \
including 15 explosions (4 impacts, 5 airbursts, 5 outgoing, 1 undetermined).
"""


@pytest.fixture
def events(store: Store, writer: Writer) -> Store:
    record_events(store, writer)
    return store


@pytest.fixture
def panel(qtbot, events: Store) -> SummaryPanel:  # type: ignore[no-untyped-def]
    widget = SummaryPanel(events, today=lambda: LAST)
    qtbot.addWidget(widget)
    widget.resize(900, 500)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def the_period() -> IncidentFilter:
    return IncidentFilter(*day_bounds(FIRST, LAST, KYIV))


def test_nothing_until_told(panel) -> None:  # type: ignore[no-untyped-def]
    assert panel.text() == ""
    assert panel.since_edit.date() == QDate(2026, 4, 1)  # the theatre's first key date


def test_the_text_of_a_period(panel) -> None:  # type: ignore[no-untyped-def]
    panel.set_filter(the_period())
    assert panel.text() == PERIOD_TEXT
    assert panel.text_view.isReadOnly()


def test_set_period_replaces_the_filter_period(panel, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    panel.set_filter(IncidentFilter())
    panel.set_period(FIRST, LAST)
    assert panel.text() == PERIOD_TEXT
    # The window passes the filter, then its period again: the second call computes nothing.
    panel.set_filter(the_period())
    monkeypatch.setattr(panel, "_compose", lambda: pytest.fail("computed twice"))
    panel.set_period(FIRST, LAST)
    assert panel.text() == PERIOD_TEXT


def test_by_sector_and_reporting_days(panel) -> None:  # type: ignore[no-untyped-def]
    panel.set_filter(the_period())
    panel.by_combo.setCurrentIndex(panel.by_combo.findData("sector"))
    lines = panel.text().splitlines()
    assert "Each DMZ sector:" in lines
    assert (
        "DMZ-09 (DMZ sector 9 (Nova Kakhovka)): 5 ceasefire violations, including 5 explosions (5 outgoing); "
        "in the previous period, 1 ceasefire violation, including 1 explosion."
    ) in lines
    assert (
        "Outside the DMZ sectors: 10 ceasefire violations, including no explosions; "
        "in the previous period, no ceasefire violations."
    ) in lines
    panel.reporting_check.setChecked(True)
    lines = panel.text().splitlines()
    # E (19:45 on the 16th) moves out to the 17th; K (19:40 on the 9th) moves in to the 10th.
    assert lines[0] == (
        "21 ceasefire violations, including 11 explosions (3 impacts, 3 airbursts, 5 outgoing); "
        "in the previous period, 2 ceasefire violations, including 1 explosion."
    )
    assert "reporting days ending at 19:30 Europe/Kyiv" in lines[1]


def test_a_narrowed_filter_is_named(panel) -> None:  # type: ignore[no-untyped-def]
    panel.set_filter(IncidentFilter(*day_bounds(FIRST, LAST, KYIV), zone_ids=("EAST",)))
    lines = panel.text().splitlines()
    assert lines[0].startswith("6 ceasefire violations, including 6 explosions")
    assert lines[1] == "Counting only: zone East."


def test_all_time_summarises_the_last_30_days_and_says_so(panel) -> None:  # type: ignore[no-untyped-def]
    panel.set_filter(IncidentFilter())  # "today" is 16 May: 17 April to 16 May, against 18 March to 16 April
    assert panel.text().splitlines()[:4] == [
        "26 ceasefire violations, including 15 explosions (4 impacts, 5 airbursts, 5 outgoing, 1 undetermined); "
        "in the previous period, no ceasefire violations.",
        ALL_TIME_NOTE,
        "Period: 2026-04-17 to 2026-05-16 (30 days, local days in Europe/Kyiv); "
        "previous period: 2026-03-18 to 2026-04-16.",
        "Change: ceasefire violations up 26 (none in the previous period); "
        "explosions up 15 (none in the previous period).",
    ]
    assert "All time is chosen" in ALL_TIME_NOTE


def test_a_filter_matching_nothing(panel) -> None:  # type: ignore[no-untyped-def]
    panel.set_filter(IncidentFilter(*day_bounds(FIRST, LAST, KYIV), zone_ids=("WEST",)))
    lines = panel.text().splitlines()
    assert lines[0] == "No ceasefire violations; in the previous period, no ceasefire violations."
    assert lines[1] == "Counting only: zone West."
    assert lines[-1] == "Since 2026-04-01 (Ceasefire in force), to 2026-05-16: no ceasefire violations."


@pytest.mark.parametrize(
    "since", [date(2026, 3, 1), date(2026, 5, 3), date(2026, 5, 5), FIRST, date(2026, 5, 12), LAST]
)
@pytest.mark.parametrize("reporting", [False, True])
def test_the_running_total_is_db_running_total(panel, events, since, reporting) -> None:  # type: ignore[no-untyped-def]
    """The panel adds the summary's own periods instead of reading them again: the sum must not change."""
    panel.reporting_check.setChecked(reporting)
    panel.since_edit.setDate(QDate(since.year, since.month, since.day))
    panel.set_filter(IncidentFilter(*day_bounds(FIRST, LAST, KYIV), weapon_classes=("mortar",)))
    cutoff = events.calendar.cutoff if reporting else None
    expected = running_total(events.conn, IncidentFilter(weapon_classes=("mortar",)), since, LAST, KYIV, cutoff=cutoff)
    assert panel.text().splitlines()[-1] == expected.line()


def test_a_hidden_panel_waits_until_shown(qtbot, events) -> None:  # type: ignore[no-untyped-def]
    panel = SummaryPanel(events, today=lambda: LAST)
    qtbot.addWidget(panel)
    panel.set_filter(the_period())
    panel.by_combo.setCurrentIndex(1)
    assert panel.text() == ""  # nothing computed for a panel nobody sees
    panel.show()
    qtbot.waitExposed(panel)
    assert panel.text().startswith("21 ceasefire violations") and "Each DMZ sector:" in panel.text()
    panel.hide()
    panel.refresh()  # an explicit refresh computes even while hidden
    assert "Each DMZ sector:" in panel.text()


def test_the_running_total_follows_its_date(panel) -> None:  # type: ignore[no-untyped-def]
    panel.set_filter(the_period())
    panel.since_edit.setDate(QDate(2026, 5, 10))
    assert panel.text().splitlines()[-1] == (
        "Since 2026-05-10, to 2026-05-16: 21 ceasefire violations, "
        "including 11 explosions (3 impacts, 2 airbursts, 5 outgoing, 1 undetermined)."
    )
    panel.since_edit.setDate(QDate(2026, 6, 1))
    assert panel.text().splitlines()[-1] == "Running total: 2026-06-01 is after the period, which ends 2026-05-16."


def test_copy_puts_the_plain_text_on_the_clipboard(qtbot, panel) -> None:  # type: ignore[no-untyped-def]
    panel.set_filter(the_period())
    clipboard = QGuiApplication.clipboard()
    clipboard.clear()
    qtbot.mouseClick(panel.copy_button, Qt.MouseButton.LeftButton)
    assert clipboard.text() == PERIOD_TEXT


def test_ctrl_c_copies_everything_or_the_selection(qtbot, panel) -> None:  # type: ignore[no-untyped-def]
    panel.set_filter(the_period())
    clipboard = QGuiApplication.clipboard()
    clipboard.clear()
    panel.activateWindow()
    panel.text_view.setFocus()
    qtbot.waitUntil(panel.text_view.hasFocus, timeout=1000)
    qtbot.keyClick(panel.text_view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert clipboard.text() == PERIOD_TEXT
    cursor = panel.text_view.textCursor()
    cursor.movePosition(QTextCursor.MoveOperation.Start)
    cursor.movePosition(QTextCursor.MoveOperation.NextBlock, QTextCursor.MoveMode.KeepAnchor)
    cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor)
    panel.text_view.setTextCursor(cursor)
    qtbot.keyClick(panel.text_view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert clipboard.text() == "\n".join(PERIOD_TEXT.splitlines()[:2])
