"""The supervisor's timeline: violations or incidents per day, week or month, split by one dimension.

ARCHITECTURE.md §8: it follows the filter bar, stacks (or sets side by side) the values of a chosen
dimension, smooths with a moving average, lays the previous period over this one, marks the
theatre's key dates, and a region dragged on it proposes a period for the whole window. The
numbers come from :func:`db.trends.timeline.timeline` (never SQL here); the arithmetic of what is drawn
is in :mod:`desktop.trends.series` and the pyqtgraph items in :mod:`desktop.trends.plot`,
updated in place, so a refresh costs a query and a repaint, within the 50 ms of ARCHITECTURE.md §10.

While the view is hidden (another tab of the window), a new filter is only noted and the query
runs when the view is shown, so filtering the table does not pay for a plot nobody sees.
"""

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QMargins, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from db.model.display import ENUM_LABELS
from db.model.theatre import Theatre
from db.records.queries import IncidentFilter, day_bounds, reporting_day_bounds
from db.storage.store import Store
from db.trends.timeline import ALL, Bin, Dimension, Metric, Timeline, bin_start, moving_average, timeline
from desktop.trends.plot import TimelinePlot
from desktop.trends.series import (
    MAX_SERIES,
    OTHER,
    Bins,
    Key,
    Series,
    bin_title,
    epoch,
    fold,
    hover_text,
    is_reporting_period,
    next_bin,
    period_of,
    selected_days,
    shifted_previous,
)
from desktop.widgets.changes import Changes, Follower
from desktop.widgets.flow_layout import FlowLayout, labelled
from desktop.widgets.plot_export import ask_and_export
from desktop.widgets.refresh_when_shown import RefreshWhenShown

BINS: tuple[tuple[str, Bin], ...] = (("Day", "day"), ("Week", "week"), ("Month", "month"))
METRICS: tuple[tuple[str, Metric], ...] = (("Violations", "violations"), ("Incidents", "incidents"))
SPLITS: tuple[tuple[str, Dimension | None], ...] = (
    ("None", None),
    ("Zone", "zone"),
    ("DMZ sector", "sector"),
    ("Category", "category"),
    ("Observation type", "obs_type"),
    ("Weapon", "weapon_class"),
    ("Verification state", "verification_state"),
)
AVERAGES: tuple[tuple[str, int], ...] = (("Off", 0), ("7 bins", 7), ("14 bins", 14), ("28 bins", 28))
NO_SECTOR = "Outside the DMZ sectors"


class TimelineView(QWidget):
    """The timeline plot and its compact row of controls, for one open store.

    It shows nothing until :meth:`set_filter` is called (the window passes the filter bar's
    filter). ``periodSelected(first, last)`` carries the local days (inclusive, ``date``) of a
    region the user dragged; :meth:`show_period` moves the plot to a period chosen elsewhere.
    """

    periodSelected = Signal(object, object)  # noqa: N815 (Qt naming); first, last: datetime.date

    def __init__(self, store: Store, parent: QWidget | None = None, *, changes: Changes | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._tz = store.tz
        self._filter = IncidentFilter()
        self._filtered = False  # set_filter was called
        # Hidden (another tab), a change is noted and drawn when the view is shown.
        self._deferred = RefreshWhenShown(self, self.refresh)
        self._timeline: Timeline | None = None
        self._bins: Bins | None = None
        self._series: list[Series] = []
        self._previous: list[int] | None = None
        self._hidden: set[Key] = set()
        self._names = dimension_labels(store.theatre)

        self.bin_combo = _combo(BINS, "Length of each bar")
        self.reporting_check = QCheckBox()
        self.metric_combo = _combo(METRICS, "Violations add up the counts; incidents count entries")
        self.split_combo = _combo(SPLITS, f"One colour per value (the {MAX_SERIES} largest; the rest as Other)")
        self.stacking_combo = _combo((("Stacked", True), ("Side by side", False)), "How the colours share a bin")
        self.average_combo = _combo(AVERAGES, "A line of the trailing mean of the bars shown")
        self.compare_check = QCheckBox("Compare with previous period")
        self.compare_check.setToolTip("The period before this one, as long, laid over it as a dashed line of totals")
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Save the plot as a PNG image or an SVG drawing")
        self.plot = TimelinePlot(self._tz, store.theatre.key_dates)

        self._mouse = pg.SignalProxy(self.plot.scene().sigMouseMoved, rateLimit=30, slot=self._mouse_moved)
        self.plot.region.sigRegionChangeFinished.connect(self._region_finished)
        self.plot.seriesToggled.connect(self._legend_toggled)
        for combo in (self.bin_combo, self.metric_combo, self.split_combo, self.average_combo):
            combo.currentIndexChanged.connect(self._changed)
        self.split_combo.currentIndexChanged.connect(self._split_changed)
        self.stacking_combo.currentIndexChanged.connect(self._draw)
        self.reporting_check.toggled.connect(self._changed)
        self.compare_check.toggled.connect(self._changed)
        self.export_button.clicked.connect(self._export_clicked)

        controls = QWidget()
        flow = FlowLayout(controls, spacing=10)
        flow.setContentsMargins(QMargins(0, 0, 0, 0))
        for text, field in (
            ("&Bin", self.bin_combo),
            ("", self.reporting_check),
            ("Co&unt", self.metric_combo),
            ("Sp&lit by", self.split_combo),
            ("", self.stacking_combo),
            ("Avera&ge", self.average_combo),
            ("", self.compare_check),
            ("", self.export_button),
        ):
            flow.addWidget(labelled(text, field) if text else field)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(QMargins(0, 0, 0, 0))
        layout.setSpacing(4)
        layout.addWidget(controls)
        layout.addWidget(self.plot, 1)
        self._split_changed()
        self._show_cutoff()
        # Every committed change redraws the plot (hidden: when shown); a theatre change first
        # re-reads the time zone, the cut-off, the names and the key dates, so that no drawing mixes two calendars.
        self.follower = Follower(changes, self._changed, self, on_theatre=self.reload_theatre)

    # -- public ------------------------------------------------------------------------------

    @property
    def region(self) -> pg.LinearRegionItem:
        """The band the user drags to choose a period."""
        return self.plot.region

    @property
    def title(self) -> str:
        """The line above the plot: total, split and period."""
        return self.plot.title

    def set_filter(self, flt: IncidentFilter) -> None:
        """Show what ``flt`` selects (its period sets the range of the plot); hidden, only note it."""
        self._filter = flt
        self._filtered = True
        self._changed()

    def refresh(self) -> None:
        """Query again with the current filter and controls now, and update the plot in place."""
        self._deferred.stale = False
        dimension = self.split_combo.currentData()
        current = timeline(
            self._store.conn,
            self._filter,
            tz=self._tz,
            cutoff=self._store.calendar.cutoff,
            bin=self.bin_combo.currentData(),
            dimension=dimension,
            metric=self.metric_combo.currentData(),
            reporting_days=self.reporting_check.isChecked(),
        )
        self._timeline = current
        self.plot.axis.set_bin(current.bin)
        self._bins = Bins.of(current, self._tz) if current.starts else None
        names: dict[Key, str] = self._names[dimension] if dimension else {ALL: f"All {current.metric}"}
        self._series = fold(current.series, names) if current.starts else []
        self._previous = self._previous_period(current) if self.compare_check.isChecked() else None
        self._draw()
        self.show_period(*self._period())

    def show_period(self, first: date | None, last: date | None) -> None:
        """Move the plot (and the region) to days ``first``..``last``, in whole bins; both None: all drawn."""
        if first is not None and last is not None:
            unit = self.bin_combo.currentData()
            start, end = bin_start(min(first, last), unit), next_bin(bin_start(max(first, last), unit), unit)
            self.plot.show_range(epoch(start, self._tz), epoch(end, self._tz))
        elif self._bins is not None:
            self.plot.show_range(float(self._bins.x0[0]), float(self._bins.x1[-1]))
        else:
            self.region.setVisible(False)

    def current_timeline(self) -> Timeline | None:
        """What the last refresh read, before the small series were folded into Other."""
        return self._timeline

    def shown_series(self) -> list[Series]:
        """The series drawn, in stacking order (the last may be the folded "Other")."""
        return list(self._series)

    def bars_of(self, key: Key) -> pg.BarGraphItem | None:
        """The bar item drawing series ``key`` (:data:`desktop.trends.series.OTHER` for Other)."""
        keys = [s.key for s in self._series]
        return self.plot.bars[keys.index(key)] if key in keys else None

    def set_series_visible(self, key: Key, visible: bool) -> None:
        """Show or hide one series, as clicking its legend entry does."""
        (self._hidden.discard if visible else self._hidden.add)(key)
        self._draw()

    def hover_at(self, x: float) -> str | None:
        """The hover text for the bin under ``x`` (epoch seconds), or None off the bins."""
        bins, current = self._bins, self._timeline
        n = bins.index_at(x) if bins is not None else None
        if bins is None or n is None or current is None:
            return None
        visible = [s for s in self._series if s.key not in self._hidden]
        averages = self._average(visible)
        first, last = self._period()
        period = (first, last) if first is not None and last is not None else None
        return hover_text(
            bin_title(bins.starts[n], bins.bin, reporting_days=current.reporting_days, period=period),
            [(s.label, s.values[n]) for s in visible],
            total=sum(s.values[n] for s in visible) if len(visible) > 1 else None,
            average=(self.average_combo.currentData(), averages[n]) if averages else None,
            previous=self._previous[n] if self._previous is not None else None,
        )

    def export_image(self, path: Path) -> None:
        """Save the plot and its legend as PNG or SVG (by ``path``'s suffix); raises OSError or ValueError."""
        self.plot.export(path)

    def reload_theatre(self) -> None:
        """Take the store's current theatre: time zone, reporting cut-off, zone and sector names, key dates."""
        self._tz = self._store.tz
        self._names = dimension_labels(self._store.theatre)
        self.plot.set_calendar(self._tz, self._store.theatre.key_dates)
        self._show_cutoff()

    def _show_cutoff(self) -> None:
        cutoff = self._store.calendar.cutoff
        self.reporting_check.setText(f"Reporting days (cut-off {cutoff:%H:%M})")
        self.reporting_check.setToolTip(
            f"Count an observation at or after {cutoff:%H:%M} on the next day, as the daily reports do"
        )

    # -- drawing -----------------------------------------------------------------------------

    def _changed(self) -> None:
        if not self._filtered:
            return
        self._deferred.request()

    def _draw(self) -> None:
        hidden = [s.key in self._hidden for s in self._series]
        visible = [s for s, off in zip(self._series, hidden, strict=True) if not off]
        averages = self._average(visible)
        window = self.average_combo.currentData()
        self.plot.draw(
            self._bins,
            self._series,
            hidden,
            stacked=bool(self.stacking_combo.currentData()) or len(visible) < 2,
            average=(f"{window}-bin moving average", averages) if averages else None,
            previous=self._previous,
        )
        self.plot.set_titles(*self._titles())

    def _average(self, visible: list[Series]) -> list[float]:
        window = self.average_combo.currentData()
        totals = [sum(column) for column in zip(*(s.values for s in visible), strict=True)]
        return moving_average(totals, window) if window and totals else []

    def _titles(self) -> tuple[str, str]:
        """The total above the plot and the unit beside it, so that an exported image says what it shows."""
        current = self._timeline
        if current is None:
            return "", ""
        days = "reporting day" if current.reporting_days and current.bin == "day" else current.bin
        unit = f"{current.metric.capitalize()} per {days}"
        if not current.starts:
            return "Nothing matches the filter", unit
        total = sum(sum(s.values) for s in self._series)
        split = {value: label for label, value in SPLITS}[current.dimension]
        by = f", by {split.lower()}" if current.dimension else ""
        # Every category counts here; the summary beside it counts category Fire ("ceasefire violations").
        title = f"{total:,} {current.metric} (all categories){by}, {self._span_text(current)}"
        if self.compare_check.isChecked() and self._previous is None:
            title += " (choose a period to compare it with the previous one)"
        return title, unit

    def _span_text(self, current: Timeline) -> str:
        """The filter's days, or for all time the bins that hold data."""
        first, last = self._period()
        if first is not None and last is not None:
            return f"{_day(first)} to {_day(last)}"
        first, last = current.starts[0], current.starts[-1]
        if current.bin == "month":
            return f"{first:%b %Y} to {last:%b %Y}"
        if current.bin == "week":
            return f"weeks of {_day(first)} to {_day(last)}"
        return f"{_day(first)} to {_day(last)}"

    def _period(self) -> tuple[date | None, date | None]:
        """The filter's days: reporting days when it asks for whole ones and the check is on."""
        cutoff = self._store.calendar.cutoff if self.reporting_check.isChecked() else None
        return period_of(self._filter, self._tz, cutoff)

    def _previous_period(self, current: Timeline) -> list[int] | None:
        """The period before the filter's, as long, in day sums moved onto the current bins."""
        first, last = self._period()
        if first is None or last is None or self._bins is None:
            return None  # "All time" has no previous period
        days = (last - first).days + 1
        before = (first - timedelta(days=days), first - timedelta(days=1))
        cutoff = self._store.calendar.cutoff
        whole_reporting_days = current.reporting_days and is_reporting_period(self._filter, self._tz, cutoff)
        start, end = (
            reporting_day_bounds(*before, self._tz, cutoff) if whole_reporting_days else day_bounds(*before, self._tz)
        )
        previous = timeline(
            self._store.conn,
            replace(self._filter, start_utc=start, end_utc=end),
            tz=self._tz,
            cutoff=self._store.calendar.cutoff,
            metric=current.metric,
            reporting_days=current.reporting_days,
        )
        return shifted_previous(previous, days, self._bins)

    # -- interaction ---------------------------------------------------------------------------

    def _legend_toggled(self, slot: int, visible: bool) -> None:
        if slot < len(self._series):
            self.set_series_visible(self._series[slot].key, visible)

    def _split_changed(self) -> None:
        self._hidden.clear()
        self.stacking_combo.setEnabled(self.split_combo.currentData() is not None)

    def _mouse_moved(self, event: tuple[object, ...]) -> None:
        view = self.plot.getPlotItem().getViewBox()
        if not view.sceneBoundingRect().contains(event[0]):
            self.plot.show_hover(0, None)
            return
        x = view.mapSceneToView(event[0]).x()
        self.plot.show_hover(x, self.hover_at(x))

    def _region_finished(self) -> None:
        x0, x1 = self.region.getRegion()
        first, last = selected_days(x0, x1, self._tz, self.bin_combo.currentData())
        self.plot.set_region(epoch(first, self._tz), epoch(last + timedelta(days=1), self._tz))
        self.periodSelected.emit(first, last)

    def _export_clicked(self) -> None:
        ask_and_export(self, "timeline", self.export_image)


def dimension_labels(theatre: Theatre) -> dict[Dimension | None, dict[Key, str]]:
    """Readable names of every value of every dimension, for legends and hover texts (timeline, map)."""
    # Ids, as the table and the reports name zones and sectors: a legend of full names
    # ("DMZ sector 10 (Kherson)") took a third of the plot's width.
    sectors: dict[Key, str] = {s.sector_id: s.sector_id for s in theatre.sectors}
    sectors[None] = NO_SECTOR
    names: dict[Dimension | None, dict[Key, str]] = {
        "zone": {z.zone_id: z.zone_id for z in theatre.zones},
        "sector": sectors,
    }
    for dimension in ("category", "obs_type", "weapon_class", "verification_state"):
        names[dimension] = dict(ENUM_LABELS[dimension])
    return names


def _combo(choices: tuple[tuple[str, object], ...], tip: str) -> QComboBox:
    combo = QComboBox()
    for label, value in choices:
        combo.addItem(label, value)
    combo.setToolTip(tip)
    return combo


def _day(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


__all__ = ["OTHER", "TimelineView", "dimension_labels"]
