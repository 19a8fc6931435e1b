"""Pyqtgraph items for the mission's own layers (db.map.layers), drawn beneath the incidents.

Each layer gets one colour; polygons are filled lightly, lines drawn solid, points as diamonds
with their names. One item per geometry kind per layer, so a layer of thousands of features is
three items, not thousands.
"""

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem

from db.map.layers import UserLayer
from desktop.map.geometry import ring_path

LAYER_COLOURS = ("#3B5B92", "#6B4C9A", "#2E7D6B", "#8C5A2B", "#5A6B2E", "#9A3B6B")
MAX_NAMED_POINTS = 200
LAYER_Z = 3.5
"""Above the zones and sectors, below the settlement names and the incidents."""


def layer_items(layers: Sequence[UserLayer]) -> list[QGraphicsItem]:
    items: list[QGraphicsItem] = []
    for n, layer in enumerate(layers):
        colour = QColor(LAYER_COLOURS[n % len(LAYER_COLOURS)])
        polygons = [f.parts for f in layer.features if f.kind == "polygon"]
        if polygons:
            path = QGraphicsPathItem(ring_path([rings for parts in polygons for rings in parts]))
            fill = QColor(colour)
            fill.setAlpha(40)
            path.setBrush(QBrush(fill))
            path.setPen(pg.mkPen(colour, width=1.5, cosmetic=True))
            path.setToolTip(layer.name)
            items.append(path)
        xs: list[float] = []
        ys: list[float] = []
        for feature in (f for f in layer.features if f.kind == "line"):
            for rings in feature.parts:
                for x, y in rings[0]:
                    xs.append(x)
                    ys.append(y)
                xs.append(np.nan)
                ys.append(np.nan)
        if xs:
            items.append(pg.PlotDataItem(xs, ys, pen=pg.mkPen(colour, width=2), connect="finite"))
        points = [(f.parts[i][0][0], f.name) for f in layer.features if f.kind == "point" for i in range(len(f.parts))]
        if points:
            scatter = pg.ScatterPlotItem(
                [p[0][0] for p in points], [p[0][1] for p in points], symbol="d", size=9, brush=pg.mkBrush(colour)
            )
            items.append(scatter)
            for (x, y), name in points[:MAX_NAMED_POINTS]:
                if name:
                    label = pg.TextItem(name, color=colour, anchor=(-0.1, 0.5))
                    label.setPos(x, y)
                    items.append(label)
    for item in items:
        item.setZValue(LAYER_Z)
    return items
