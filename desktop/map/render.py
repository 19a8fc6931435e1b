"""The map of a filter as an image file, without a window: for reports and the command line.

It builds the same :class:`desktop.map.view.MapView` the window shows, never on screen, at the
size asked, waits for its settlement names, draws the filter and writes PNG or SVG through
:func:`desktop.widgets.plot_export.export_plot` (a temporary file, then a rename). A QApplication must
exist (offscreen is enough).
"""

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from PySide6.QtCore import QMessageLogContext, Qt, QtMsgType, qInstallMessageHandler
from PySide6.QtWidgets import QApplication

from db.records.queries import Area, IncidentFilter
from db.storage.store import Store
from db.trends.positions import positions_loaded
from db.trends.timeline import Dimension
from desktop.map.view import MapView


def render_map(
    store: Store,
    flt: IncidentFilter,
    path: Path,
    *,
    size: tuple[int, int] = (1600, 1000),
    dimension: Dimension | None = "category",
    view: Area | None = None,
    period: str | None = None,
) -> None:
    """Write the map of what ``flt`` selects to ``path`` (.png or .svg) with legend, scale and caption.

    ``view`` is the area shown: by default the filter's own area if it has one, else the theatre.
    ``period`` words the period in the caption (a report's reporting days), instead of the filter's local days.
    Raises OSError or ValueError (a suffix other than .png or .svg), leaving no file behind.
    """
    if QApplication.instance() is None:
        raise RuntimeError("render_map needs a QApplication (QT_QPA_PLATFORM=offscreen will do)")
    with _size_hints_unsupported_unsaid():
        _render(store, flt, path, size, dimension, view, period)


def _render(
    store: Store,
    flt: IncidentFilter,
    path: Path,
    size: tuple[int, int],
    dimension: Dimension | None,
    view: Area | None,
    period: str | None,
) -> None:
    # A bounded period is read through the index on time unless the copies of every position are loaded
    # already (the window drew its map): loading them for one picture costs seconds on a million incidents.
    bounded = flt.start_utc is not None and flt.end_utc is not None
    widget = MapView(store, in_memory=not bounded or positions_loaded(store.conn))
    widget.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
    widget.period_label = period
    try:
        widget.split_combo.setCurrentIndex(widget.split_combo.findData(dimension))
        widget.resize(*size)
        widget.show()
        QApplication.processEvents()
        if view is not None or flt.area is not None:
            widget.show_area(view or flt.area)  # type: ignore[arg-type]
        widget.wait_for_settlements()
        widget.set_filter(flt)
        widget.refresh()
        QApplication.processEvents()  # the caption just set lays the plot out again before it is drawn
        widget.export_image(path)
    finally:
        widget.close()
        widget.deleteLater()


@contextmanager
def _size_hints_unsupported_unsaid() -> Iterator[None]:
    """Keep Qt's offscreen platform from printing "does not support propagateSizeHints()" on the command line
    when the never-shown view is laid out: a user of ``truceline report`` can do nothing about it."""

    def handler(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
        if "propagateSizeHints" in message:
            return
        if previous is not None:
            previous(kind, context, message)
        else:
            print(message, file=sys.stderr)

    previous: Callable[[QtMsgType, QMessageLogContext, str], None] | None = qInstallMessageHandler(handler)
    try:
        yield
    finally:
        qInstallMessageHandler(previous)
