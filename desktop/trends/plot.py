"""The timeline's pyqtgraph plot: a fixed set of items, updated in place, in the window's colours.

Everything the plot shows is created once here: one bar item per series slot (the ten largest
series and "Other"), the moving-average and previous-period lines, the key-date lines, the
period region, the hover label and a legend to the right of the bars (so it never covers them).
A refresh moves new numbers into these items with ``setOpts``/``setData`` (ARCHITECTURE.md §12); it never
adds or removes a plot item. What to draw is decided by :class:`desktop.trends.timeline.TimelineView`.
"""

from collections.abc import Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

from db.model.theatre import KeyDate
from desktop.trends.axis import MissionDateAxis
from desktop.trends.series import MAX_SERIES, Bins, Series, bar_layout, colour, epoch
from desktop.widgets.plot_export import export_plot

TOGGLE_TIP = "Click to hide or show this series"


class _ToggleLegend(pg.LegendItem):
    """A legend whose labels toggle their series too, not only the small swatch beside them."""

    def addItem(self, item: pg.GraphicsObject, name: str) -> None:  # noqa: N802 (pyqtgraph API)
        super().addItem(item, name)
        sample, label = self.items[-1]
        label.setToolTip(TOGGLE_TIP)
        sample.setToolTip(TOGGLE_TIP)
        # pyqtgraph's scene delivers clicks to any item with a mouseClickEvent method.
        label.mouseClickEvent = sample.mouseClickEvent


class TimelinePlot(pg.PlotWidget):
    """Bars of up to eleven series over dated bins, with their lines, legend, region and hover label.

    ``seriesToggled(slot, visible)`` says that the legend entry of bar slot ``slot`` was clicked.
    """

    seriesToggled = Signal(int, bool)  # noqa: N815 (Qt naming)

    def __init__(self, tz: ZoneInfo, key_dates: Sequence[KeyDate], parent: QWidget | None = None) -> None:
        axis = MissionDateAxis(tz)
        super().__init__(parent, axisItems={"bottom": axis})
        self.axis = axis
        self.title = ""
        self._legend_entries: list[tuple[pg.GraphicsObject, str]] = []
        self.setAccessibleName("Timeline")
        self.setMinimumHeight(220)
        item = self.getPlotItem()
        item.setMenuEnabled(False)  # its export and log scales would bypass what the view does
        item.showGrid(y=True, alpha=0.25)
        # Grid lines at the labelled ticks and one level between; a third level tripled the paint time.
        item.getAxis("left").setStyle(maxTickLevel=1)
        item.setMouseEnabled(x=True, y=False)
        view = item.getViewBox()
        view.setLimits(yMin=0)
        view.setAutoVisible(y=True)
        view.enableAutoRange(axis=pg.ViewBox.YAxis)

        self.bars = [pg.BarGraphItem(x0=[], width=[], height=[], pen=None) for _ in range(MAX_SERIES)]
        for bar in self.bars:
            bar.setVisible(False)
            item.addItem(bar)
        self.average_line = pg.PlotDataItem()
        self.compare_line = pg.PlotDataItem()
        for line in (self.average_line, self.compare_line):
            line.setVisible(False)
            line.setZValue(10)
            item.addItem(line)
        self.key_date_lines: list[pg.InfiniteLine] = []
        self.set_calendar(tz, key_dates)
        self.region = pg.LinearRegionItem(orientation="vertical", swapMode="sort")
        self.region.setZValue(-10)
        self.region.setToolTip("Drag an edge (or the whole band) to choose the period of the window")
        self.region.setVisible(False)
        item.addItem(self.region, ignoreBounds=True)
        self.hover = pg.TextItem(anchor=(0, 0))
        self.hover.setZValue(20)
        self.hover.setVisible(False)
        item.addItem(self.hover, ignoreBounds=True)

        self.legend = _ToggleLegend(labelTextSize="9pt", verSpacing=-4)
        self.legend.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        item.layout.addItem(self.legend, 2, 3)  # right of the view, so it never covers a bar
        item.layout.setAlignment(self.legend, Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.legend.sigSampleClicked.connect(self._legend_clicked)
        self.apply_palette()
        self._styled = True

    def set_calendar(self, tz: ZoneInfo, key_dates: Sequence[KeyDate]) -> None:
        """Label the axis in ``tz`` and mark ``key_dates`` (again after a theatre change)."""
        item = self.getPlotItem()
        self.axis.set_tz(tz)
        for old in self.key_date_lines:
            item.removeItem(old)
        self.key_date_lines = []
        for key in key_dates:
            line = pg.InfiniteLine(
                epoch(key.date, tz),
                angle=90,
                movable=False,
                label=key.label,
                labelOpts={"position": 0.97, "anchors": [(0, 0), (0, 0)]},  # at the top, right of the line
            )
            line.setToolTip(f"{key.label}: {key.date:%a} {key.date.day} {key.date:%b %Y}")
            item.addItem(line, ignoreBounds=True)
            self.key_date_lines.append(line)
        if getattr(self, "_styled", False):  # after the constructor: style the new lines too
            self.apply_palette()

    # -- drawing -----------------------------------------------------------------------------

    def draw(
        self,
        bins: Bins | None,
        series: Sequence[Series],
        hidden: Sequence[bool],
        *,
        stacked: bool,
        average: tuple[str, Sequence[float]] | None = None,
        previous: Sequence[int] | None = None,
    ) -> None:
        """Show ``series`` (slot n draws series n) over ``bins``; ``hidden[n]`` leaves slot n out of the stack.

        ``average`` is the moving average's legend name and values, ``previous`` the previous
        period's totals moved onto these bins.
        """
        shown = [s for s, off in zip(series, hidden, strict=True) if not off]
        geometry = iter(bar_layout(bins, [s.values for s in shown], stacked=stacked)) if bins else iter(())
        for n, bar in enumerate(self.bars):
            if bins is None or n >= len(series) or hidden[n]:
                bar.setVisible(False)
                continue
            bars = next(geometry)
            bar.setOpts(x0=bars.x0, width=bars.width, y0=bars.y0, height=bars.height, brush=colour(n, series[n].key))
            bar.setVisible(True)
        centres = bins.centres if bins is not None else np.zeros(0)
        self.average_line.setData(centres if average else [], average[1] if average else [])
        self.compare_line.setData(centres if previous is not None else [], previous if previous is not None else [])
        entries = [(self.bars[n], s.label) for n, s in enumerate(series)]
        if average:
            entries.append((self.average_line, average[0]))
        if previous is not None:
            entries.append((self.compare_line, "Previous period (shifted)"))
        self._update_legend(entries)
        self.hover.setVisible(False)

    def _update_legend(self, entries: list[tuple[pg.GraphicsObject, str]]) -> None:
        for line in (self.average_line, self.compare_line):
            if all(item is not line for item, _ in entries):
                line.setVisible(False)
            elif all(item is not line for item, _ in self._legend_entries):
                line.setVisible(True)  # shown again when switched on, even if hidden in the legend before
        if entries != self._legend_entries:
            self.legend.clear()
            for entry, name in entries:
                self.legend.addItem(entry, name)
            self._legend_entries = entries
        self.legend.setVisible(bool(entries))

    def set_titles(self, title: str, unit: str) -> None:
        """The line above the plot and the unit of the y axis (a change lays the plot out again)."""
        item = self.getPlotItem()
        if unit != item.getAxis("left").labelText:
            item.setLabel("left", unit)
        if title != self.title:
            self.title = title
            self._show_title()

    def _show_title(self) -> None:
        colour = self.palette().color(QPalette.ColorRole.WindowText)
        self.getPlotItem().setTitle(self.title or None, size="10pt", color=colour)

    def show_range(self, x0: float, x1: float) -> None:
        """Show ``x0``..``x1`` and put the region over it, without reporting it as dragged."""
        self.setXRange(x0, x1, padding=0.02)
        self.set_region(x0, x1)
        self.region.setVisible(True)

    def set_region(self, x0: float, x1: float) -> None:
        self.region.blockSignals(True)
        self.region.setRegion((x0, x1))
        self.region.blockSignals(False)

    def show_hover(self, x: float, text: str | None) -> None:
        """The hover label at the top of the view, on the side of ``x`` with more room; None hides it."""
        if text is None:
            self.hover.setVisible(False)
            return
        (left, right), (_, top) = self.getPlotItem().getViewBox().viewRange()
        self.hover.setText(text)
        self.hover.setAnchor((0, 0) if x < (left + right) / 2 else (1, 0))
        self.hover.setPos(x, top)
        self.hover.setVisible(True)

    def export(self, path: Path) -> None:
        """Save the plot and its legend, without the region and the hover label, as PNG or SVG."""
        shown = self.region.isVisible(), self.hover.isVisible()
        self.region.setVisible(False)
        self.hover.setVisible(False)
        try:
            export_plot(self.getPlotItem(), path)
        finally:
            self.region.setVisible(shown[0])
            self.hover.setVisible(shown[1])

    def _legend_clicked(self, item: pg.GraphicsObject) -> None:
        if item in self.bars:
            self.seriesToggled.emit(self.bars.index(item), item.isVisible())

    # -- look ----------------------------------------------------------------------------------

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        # Qt sends style changes while the base class is still being built: nothing to colour yet.
        if getattr(self, "_styled", False) and event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange):
            self.apply_palette()
        super().changeEvent(event)

    def apply_palette(self) -> None:
        """Follow the window's light or dark palette: background, text, axes, lines and legend."""
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.WindowText)
        base = palette.color(QPalette.ColorRole.Base)
        mid = palette.color(QPalette.ColorRole.Mid)
        self.setBackground(base)
        for name in ("left", "bottom"):
            axis = self.getPlotItem().getAxis(name)
            axis.setPen(text)
            axis.setTextPen(text)
        self.average_line.setPen(pg.mkPen(text, width=2))
        self.compare_line.setPen(pg.mkPen(text, width=2, style=Qt.PenStyle.DashLine))
        backing = QColor(base)
        backing.setAlpha(225)
        self.legend.setBrush(backing)
        self.legend.setPen(mid)
        self.legend.setLabelTextColor(text)
        self.hover.fill = pg.mkBrush(backing)
        self.hover.border = pg.mkPen(mid)
        self.hover.setColor(text)
        highlight = QColor(palette.color(QPalette.ColorRole.Highlight))
        for line in self.region.lines:
            # Dashed and thin: a solid coloured edge read as one more bar beside the chart.
            line.setPen(pg.mkPen(highlight, width=1, style=Qt.PenStyle.DashLine))
            line.setHoverPen(pg.mkPen(highlight, width=3))
        highlight.setAlpha(18)
        self.region.setBrush(highlight)
        highlight.setAlpha(40)
        self.region.setHoverBrush(highlight)
        self._show_title()
        for line in self.key_date_lines:
            line.setPen(pg.mkPen(text, width=1, style=Qt.PenStyle.DotLine))
            line.label.setColor(text)
            line.label.fill = pg.mkBrush(backing)
