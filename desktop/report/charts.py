"""The report's timeline chart: the window's own pyqtgraph timeline, rendered to an image unseen.

Reusing :class:`desktop.timeline.TimelineView` means the chart in the report is the chart the
supervisor reads on screen (same bins, colours, legend and title). It is laid out at a fixed
size without ever being shown, so it works on the offscreen platform of the command line.
A short period is shown within the 30 days that end with it, with the period shaded, since a
single day's bar says little without the days before it.
"""

from datetime import date, timedelta

import pyqtgraph.exporters
from PySide6.QtGui import QImage

from db.queries import IncidentFilter, day_bounds
from db.store import Store
from desktop.timeline import TimelineView
from desktop.timeline_series import epoch

CONTEXT_DAYS = 30
WEEK_BINS_FROM_DAYS = 120
CHART_SIZE = (1000, 380)  # laid out at this size in pixels...
SCALE = 2  # ...and rendered at twice that, so it stays sharp on paper


def timeline_image(store: Store, flt: IncidentFilter, first: date, last: date, *, reporting_days: bool) -> QImage:
    """Ceasefire violations (category fire, unless ``flt`` chooses) per day by zone for ``first``..``last``,
    shown within at least the 30 days up to ``last``."""
    shown_first = min(first, last - timedelta(days=CONTEXT_DAYS - 1))
    view = TimelineView(store)
    try:
        unit = "week" if (last - shown_first).days >= WEEK_BINS_FROM_DAYS else "day"
        view.bin_combo.setCurrentIndex(view.bin_combo.findData(unit))
        view.split_combo.setCurrentIndex(view.split_combo.findData("zone"))
        view.reporting_check.setChecked(reporting_days)
        start, end = day_bounds(shown_first, last, store.tz)
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
        plot = view.plot
        plot.resize(*CHART_SIZE)
        plot.resizeEvent(None)  # lay out now: a widget never shown gets no resize event of its own
        period_shaded = first > shown_first
        if period_shaded:
            plot.set_region(epoch(first, store.tz), epoch(last + timedelta(days=1), store.tz))
        plot.region.setVisible(period_shaded)
        plot.hover.setVisible(False)
        exporter = pyqtgraph.exporters.ImageExporter(plot.getPlotItem())
        exporter.parameters()["width"] = CHART_SIZE[0] * SCALE
        image = exporter.export(toBytes=True)
        assert isinstance(image, QImage)
        return image
    finally:
        view.deleteLater()
