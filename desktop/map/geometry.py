"""Small pieces of the map's drawing: painter paths from rings, point sizes, the dragged rectangle.

Kept apart from :mod:`desktop.map.canvas` so that the canvas reads as the list of what is drawn.
"""

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QPainterPath

from db.records.queries import Area

MAX_POINT_PX = 22.0
MIN_DRAG_PX = 4


def ring_path(parts: Sequence[Sequence[Sequence[tuple[float, float]]]]) -> QPainterPath:
    """One painter path for polygons with holes (odd-even fill leaves the holes empty)."""
    path = QPainterPath()
    path.setFillRule(Qt.FillRule.OddEvenFill)
    for rings in parts:
        for ring in rings:
            if not ring:
                continue
            path.moveTo(*ring[0])
            for x, y in ring[1:]:
                path.lineTo(x, y)
            path.closeSubpath()
    return path


def point_sizes(count: np.ndarray) -> np.ndarray:
    """Point diameter in pixels: 5 for one violation, growing with the logarithm of the count."""
    return np.minimum(5.0 + 2.5 * np.log2(np.maximum(count, 1).astype(np.float64)), MAX_POINT_PX)


class MapViewBox(pg.ViewBox):
    """Pans on drag as usual; Shift+drag draws a rectangle and reports it (``areaDragged``) instead of zooming."""

    areaDragged = Signal(object)  # noqa: N815 (Qt naming); an Area

    def mouseDragEvent(self, ev: object, axis: object = None) -> None:  # noqa: N802 (pyqtgraph API)
        event = ev  # pyqtgraph's MouseDragEvent
        shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)  # type: ignore[attr-defined]
        if not shift or event.button() != Qt.MouseButton.LeftButton:  # type: ignore[attr-defined]
            super().mouseDragEvent(ev, axis)
            return
        event.accept()  # type: ignore[attr-defined]
        start, now = event.buttonDownPos(), event.pos()  # type: ignore[attr-defined]
        if event.isFinish():  # type: ignore[attr-defined]
            self.rbScaleBox.hide()
            if abs(now.x() - start.x()) < MIN_DRAG_PX or abs(now.y() - start.y()) < MIN_DRAG_PX:
                return  # a slip of the hand, not an area
            rect = self.childGroup.mapRectFromParent(QRectF(start, now)).normalized()
            self.areaDragged.emit(area_of(rect))
        else:
            self.updateScaleBox(start, now)


def area_of(rect: QRectF) -> Area:
    """The area a view rectangle covers (x is longitude, y latitude), clamped to the globe."""
    return Area(
        south=max(-90.0, rect.top()),
        west=max(-180.0, rect.left()),
        north=min(90.0, rect.bottom()),
        east=min(180.0, rect.right()),
    )
