"""The report's timeline chart: the window's own pyqtgraph timeline, rendered to an image unseen.

Reusing :class:`desktop.trends.timeline.TimelineView` means the chart in the report is the chart the
supervisor reads on screen (same bins, colours, legend and title). It is laid out at a fixed
size without ever being shown, so it works on the offscreen platform of the command line.
A short period is shown within the 30 days that end with it, with the period shaded, since a
single day's bar says little without the days before it.
"""

from datetime import date, datetime, timedelta

from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QImage, QPainter

from db.records.queries import IncidentFilter, day_bounds, utc_text
from db.storage.store import Store
from desktop.trends.series import epoch
from desktop.trends.timeline import TimelineView

CONTEXT_DAYS = 30
WEEK_BINS_FROM_DAYS = 120
CHART_SIZE = (820, 330)  # laid out at this size in pixels (near the printed width, so text keeps its size)...
SCALE = 2.5  # ...and rendered at 2.5 times that, so it stays sharp on paper


def timeline_image(
    store: Store, flt: IncidentFilter, first: date, last: date, *, reporting_days: bool
) -> QImage | None:
    """Ceasefire violations (category fire, unless ``flt`` chooses) per day by zone for ``first``..``last``,
    shown within at least the 30 days up to ``last``; None when there is nothing to draw."""
    shown_first = min(first, last - timedelta(days=CONTEXT_DAYS - 1))
    view = TimelineView(store)
    try:
        unit = "week" if (last - shown_first).days >= WEEK_BINS_FROM_DAYS else "day"
        view.bin_combo.setCurrentIndex(view.bin_combo.findData(unit))
        view.split_combo.setCurrentIndex(view.split_combo.findData("zone"))
        view.reporting_check.setChecked(reporting_days)
        start, end = day_bounds(shown_first, last, store.tz)
        if reporting_days:  # reporting day D runs from the cut-off on D-1 to the cut-off on D
            cutoff = store.calendar.cutoff
            start = utc_text(datetime.combine(shown_first - timedelta(days=1), cutoff, store.tz))
            end = utc_text(datetime.combine(last, cutoff, store.tz))
        view.set_filter(
            IncidentFilter(
                start_utc=start,
                end_utc=end,
                zone_ids=flt.zone_ids,
                sector_ids=flt.sector_ids,
                categories=flt.categories or ("fire",),
                weapon_classes=flt.weapon_classes,
                states=flt.states,
                text=flt.text,
                conflicts_only=flt.conflicts_only,
            )
        )
        view.refresh()
        view.show_period(shown_first, last)  # the filter's local days would add the evening before
        current = view.current_timeline()
        total = sum(current.bin_totals()) if current is not None else 0
        if not total:
            return None  # an empty chart would only take a page
        what = "violations" if flt.categories else "ceasefire violations"
        kind = "reporting days" if reporting_days else "days"
        view.plot.set_titles(
            f"{total:,} {what} by zone, {kind} {_day(shown_first)} to {_day(last)}",
            view.plot.getPlotItem().getAxis("left").labelText,
        )
        plot = view.plot
        plot.resize(*CHART_SIZE)
        plot.resizeEvent(None)  # lay out now: a widget never shown gets no resize event of its own
        period_shaded = first > shown_first
        if period_shaded:
            plot.set_region(epoch(first, store.tz), epoch(last + timedelta(days=1), store.tz))
        plot.region.setVisible(period_shaded)
        plot.hover.setVisible(False)
        # The scene at SCALE times its size (pyqtgraph's own exporter would leave the legend at screen size).
        item = plot.getPlotItem()
        source = item.sceneBoundingRect()
        image = QImage(int(source.width() * SCALE), int(source.height() * SCALE), QImage.Format.Format_RGB32)
        image.fill(QColor("white"))
        # Scaled by the device pixel ratio, not by a painter transform: the legend ignores transforms.
        image.setDevicePixelRatio(SCALE)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        try:
            plot.scene().render(painter, QRectF(0, 0, source.width(), source.height()), source)
        finally:
            painter.end()
        return image
    finally:
        view.deleteLater()


def _day(day: date) -> str:
    return f"{day.day} {day:%b %Y}"
