"""The filter bar above the incident table and the timeline: one filter shared by everything below.

It turns its controls into a :class:`db.records.queries.IncidentFilter` and says so with
``filterChanged``; it never queries anything itself. Choices take effect at once; typing in the
search box or a date waits for a short pause, so a word typed letter by letter costs one query,
not one per letter. Periods are local days in the mission time zone, both ends included, turned
into UTC bounds by :func:`db.records.queries.day_bounds` like every other period in Truceline.
"""

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta

from PySide6.QtCore import QDate, QMargins, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QLineEdit,
    QToolButton,
    QWidget,
)

from db.model import enums
from db.records.queries import Area, IncidentFilter, day_bounds, reporting_day_bounds
from db.report.content import last_complete_reporting_day
from db.storage.store import Store
from desktop.widgets.flow_layout import FlowLayout, labelled

DEBOUNCE_MS = 250

# Period presets: (key, label). Their days are computed when the filter is read, so "Today"
# stays today in a window left open overnight. The "last N days" end with the last complete day,
# as `truceline stats` does: a day still going on would read as a fall in violations. With
# reporting days on (Trends), they are reporting days ending at the last cut-off passed.
PERIODS: tuple[tuple[str, str], ...] = (
    ("all", "All time"),
    ("today", "Today"),
    ("7d", "Last 7 days to yesterday"),
    ("30d", "Last 30 days to yesterday"),
    ("month", "This month"),
    ("custom", "Custom…"),
)
REPORTING_LABELS = {"7d": "Last 7 reporting days", "30d": "Last 30 reporting days"}
_DATE_FORMAT = "yyyy-MM-dd"


class FilterBar(QWidget):
    """Period, zone, sector, category, weapon, verification state and text search, in one bar.

    The controls flow onto a second line when the window is narrow rather than widening it.
    ``today`` can be injected so tests (and a timeline replaying a past day) control "today".
    """

    filterChanged = Signal(object)  # noqa: N815 (Qt naming); carries an IncidentFilter

    def __init__(
        self,
        store: Store,
        parent: QWidget | None = None,
        *,
        today: Callable[[], date] | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._tz = store.tz
        self._today = today or (lambda: datetime.now(self._tz).date())
        self._now = now or (lambda: datetime.now(UTC))
        self._reporting_days = False
        self._last_emitted: IncidentFilter | None = None
        self._previous_days: tuple[date | None, date | None] = (None, None)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self._emit)

        self.period = QComboBox()
        for key, label in PERIODS:
            self.period.addItem(label, key)
        self.period.setToolTip("Which days to show, in the mission time zone (both ends included)")
        self.period.currentIndexChanged.connect(self._period_changed)

        self.date_from = self._date_edit("First day shown (local date, included)")
        self.date_to = self._date_edit("Last day shown (local date, included)")

        zones, sectors = self._areas()
        self.zone = self._choice("All zones", zones, "Zone of responsibility")
        self.sector = self._choice("All sectors", sectors, "DMZ sector (incidents outside the DMZ have none)")
        self.category = self._choice("All categories", enums.CATEGORY, "Category of incident")
        self.weapon = self._choice("All weapons", enums.WEAPON_CLASS, "Weapon class, as assessed")
        self.state = self._choice("All states", enums.VERIFICATION_STATE, "Verification state")

        self.search = QLineEdit()
        self.search.setPlaceholderText("Search narrative and place")
        self.search.setClearButtonEnabled(True)
        self.search.setToolTip("Words that must all appear in the narrative or place (prefixes match); Ctrl+F")
        self.search.setMinimumWidth(self.search.fontMetrics().horizontalAdvance("x" * 26))
        self.search.textChanged.connect(self._restart_debounce)
        self.search.returnPressed.connect(self._emit)

        layout = FlowLayout(self, spacing=12)
        layout.setContentsMargins(QMargins(0, 0, 0, 0))
        layout.addWidget(labelled("&Period", self.period))
        self._custom_from = labelled("Fro&m", self.date_from)
        self._custom_to = labelled("T&o", self.date_to)
        layout.addWidget(self._custom_from)
        layout.addWidget(self._custom_to)
        layout.addWidget(labelled("&Zone", self.zone))
        layout.addWidget(labelled("Sec&tor", self.sector))
        layout.addWidget(labelled("&Category", self.category))
        layout.addWidget(labelled("&Weapon", self.weapon))
        layout.addWidget(labelled("Verific&ation", self.state))
        layout.addWidget(labelled("&Search", self.search))
        # The map's spatial filter: shown only while set, removed by a click (or Space when it has focus).
        self._area: Area | None = None
        self.area_chip = QToolButton()
        self.area_chip.setToolTip("Only incidents inside this area of the map; click to remove")
        self.area_chip.clicked.connect(lambda: self.set_area(None))
        self.area_chip.setVisible(False)
        layout.addWidget(self.area_chip)
        self._show_custom(False)
        order = [self.period, self.date_from, self.date_to, self.zone, self.sector, self.category]
        order += [self.weapon, self.state, self.search]
        for first, second in zip(order, order[1:], strict=False):
            QWidget.setTabOrder(first, second)
        self._last_emitted = self.current_filter()

    # -- public ----------------------------------------------------------------------------

    def current_filter(self) -> IncidentFilter:
        first, last = self.period_days()
        start, end = (
            reporting_day_bounds(first, last, self._tz, self._store.calendar.cutoff)
            if self._in_reporting_days() and first is not None and last is not None
            else day_bounds(first, last, self._tz)
        )
        return IncidentFilter(
            start_utc=start,
            end_utc=end,
            zone_ids=_chosen(self.zone),
            sector_ids=_chosen(self.sector),
            categories=_chosen(self.category),
            weapon_classes=_chosen(self.weapon),
            states=_chosen(self.state),
            text=self.search.text().strip(),
            area=self._area,
        )

    def period_days(self) -> tuple[date | None, date | None]:
        """First and last day of the chosen period (None for an open end).

        Local days, except the "last N days" with reporting days on: reporting days up to
        :func:`db.report.content.last_complete_reporting_day`, as `truceline stats --reporting-days` counts.
        """
        key = self.period.currentData()
        today = self._today()
        if key == "today":
            return today, today
        if key in ("7d", "30d"):
            if self._reporting_days:
                last = last_complete_reporting_day(self._now(), self._store.calendar)
            else:
                last = today - timedelta(days=1)
            return last - timedelta(days=6 if key == "7d" else 29), last
        if key == "month":
            next_month = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
            return today.replace(day=1), next_month - timedelta(days=1)
        if key == "custom":
            first, last = _to_date(self.date_from.date()), _to_date(self.date_to.date())
            return (first, last) if first <= last else (last, first)
        return None, None

    def set_period(self, first: date | None, last: date | None) -> None:
        """Show ``first``..``last`` (e.g. a range dragged on the timeline); both None is all time.

        An open end is filled with the other end (or today), since Custom needs two dates.
        """
        if first is None and last is None:
            key = "all"
        else:
            key = "custom"
            self._set_dates(first or last or self._today(), last or self._today())
        self.period.blockSignals(True)  # no preset prefill, and one emission below
        self.period.setCurrentIndex(self.period.findData(key))
        self.period.blockSignals(False)
        self._show_custom(key == "custom")
        self._emit()

    def set_reporting_days(self, on: bool) -> None:
        """Count the "last N days" presets in reporting days (Trends' "Reporting days"), or in local days."""
        if on == self._reporting_days:
            return
        self._reporting_days = on
        for key, label in PERIODS:
            if key in REPORTING_LABELS:
                self.period.setItemText(self.period.findData(key), REPORTING_LABELS[key] if on else label)
        self._emit()

    def _in_reporting_days(self) -> bool:
        return self._reporting_days and self.period.currentData() in REPORTING_LABELS

    def set_area(self, area: Area | None) -> None:
        """Filter to ``area`` of the map (None removes the spatial filter)."""
        self._area = area
        self.area_chip.setText(f"Area {area.text()}  ✕" if area is not None else "")
        self.area_chip.setVisible(area is not None)
        self._emit()

    def focus_search(self) -> None:
        """Put the cursor in the search box with its text selected (bound to Ctrl+F)."""
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def reload_theatre(self) -> None:
        """Another theatre file was loaded: offer its zones and sectors, count days in its time zone.

        A zone or sector still chosen is kept when the new file has it; otherwise the choice falls
        back to "All".
        """
        self._tz = self._store.tz
        zones, sectors = self._areas()
        for combo, labels in ((self.zone, zones), (self.sector, sectors)):
            chosen = combo.currentData()
            combo.blockSignals(True)
            while combo.count() > 1:
                combo.removeItem(1)
            for value, label in labels.items():
                combo.addItem(label, value)
            combo.setCurrentIndex(max(combo.findData(chosen), 0) if chosen is not None else 0)
            combo.blockSignals(False)
        self._emit()

    # -- building --------------------------------------------------------------------------

    def _areas(self) -> tuple[dict[str, str], dict[str, str]]:
        theatre = self._store.theatre
        zones = {zone.zone_id: f"{zone.name} ({zone.zone_id})" for zone in theatre.zones}
        sectors = {sector.sector_id: sector.name for sector in theatre.sectors}
        return zones, sectors

    def _choice(self, everything: str, labels: Mapping[str, str], tip: str) -> QComboBox:
        combo = QComboBox()
        combo.addItem(everything, None)
        for value, label in labels.items():
            combo.addItem(label, value)
        combo.setToolTip(tip)
        # Long labels ("Heavy weapon in restricted area") would widen the whole bar.
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(12)
        combo.currentIndexChanged.connect(self._emit)
        return combo

    def _date_edit(self, tip: str) -> QDateEdit:
        edit = QDateEdit()
        edit.setCalendarPopup(True)
        edit.setDisplayFormat(_DATE_FORMAT)
        edit.setToolTip(tip)
        edit.dateChanged.connect(self._restart_debounce)
        return edit

    # -- behaviour -------------------------------------------------------------------------

    def _period_changed(self) -> None:
        custom = self.period.currentData() == "custom"
        if custom and self._custom_from.isHidden():
            # Start from what was shown, so Custom refines the preset rather than starting over.
            first, last = self._previous_days
            today = self._today()
            self._set_dates(first or today - timedelta(days=29), last or today)
        self._show_custom(custom)
        self._emit()

    def _show_custom(self, shown: bool) -> None:
        self._custom_from.setVisible(shown)
        self._custom_to.setVisible(shown)
        if not shown:
            self._previous_days = self.period_days()

    def _set_dates(self, first: date, last: date) -> None:
        for edit, day in ((self.date_from, first), (self.date_to, last)):
            edit.blockSignals(True)
            edit.setDate(QDate(day.year, day.month, day.day))
            edit.blockSignals(False)

    def _restart_debounce(self, *_: object) -> None:
        self._debounce.start()

    def _emit(self) -> None:
        self._debounce.stop()
        flt = self.current_filter()
        if flt != self._last_emitted:
            self._last_emitted = flt
            self.filterChanged.emit(flt)


def _chosen(combo: QComboBox) -> tuple[str, ...]:
    value = combo.currentData()
    return (value,) if value is not None else ()


def _to_date(qdate: QDate) -> date:
    return date(qdate.year(), qdate.month(), qdate.day())
