"""The map's pyqtgraph plot: the theatre drawn once, incidents and settlements updated in place.

Longitude is x and latitude y, in degrees, with the aspect locked to the cosine of the theatre's
middle latitude so that a kilometre is as long east-west as north-south (an equirectangular
projection: exact enough over a theatre a few hundred km across). Items are created once and
receive new data with ``setData``, as the timeline's plots do: the incident points, the
observer→event lines, the density image, the selected incident's fan, the settlement names (a fixed pool of labels).

Mouse: drag pans, the wheel zooms, Shift+drag draws a rectangle (``areaDragged``), a click on a
point selects it (``pointClicked``). Keyboard: arrows pan, + and - zoom, Home shows the theatre.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QKeyEvent, QPainterPath
from PySide6.QtWidgets import QGraphicsPathItem, QSizePolicy, QWidget

from db.map.settlements import Settlement, labelled
from db.map.shapes import KM_PER_DEG_LAT, Shape, nice_scale_km
from db.records.queries import Area
from desktop.map.geometry import MAX_POINT_PX, MapViewBox, area_of, point_sizes, ring_path

ZONE_FILLS = ("#DCE9D5", "#E4DDF0", "#F3E6D0", "#D3E4EE", "#EEDCDC", "#E8E8E8", "#DDEBE6", "#F0EBD0")
"""Soft fills that keep the incident colours readable on top of them."""
DMZ_FILL = QColor(214, 96, 77, 50)
DMZ_EDGE = QColor(176, 58, 46)
LINE_COLOUR = QColor(176, 30, 30)
LABEL_POOL = 40
LABEL_CANDIDATES = 400
RELABEL_MS = 80
POINT_SLOTS = 12
"""Colours drawn at once: the ten largest series, Other, and no value."""


@dataclass(frozen=True)
class _Drawn:
    lon: np.ndarray
    lat: np.ndarray
    sizes: np.ndarray
    rowids: np.ndarray
    colours: np.ndarray

    @classmethod
    def empty(cls) -> "_Drawn":
        nothing = np.zeros(0)
        return cls(nothing, nothing, nothing, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object))


class MapCanvas(pg.PlotWidget):
    """The theatre, settlements, user layers, incident points or density grid, fan, legend and scale."""

    areaDragged = Signal(object)  # noqa: N815 (Qt naming); an Area
    pointClicked = Signal(int)  # noqa: N815 (Qt naming); the incident's rowid

    def __init__(
        self, shapes: Sequence[Shape], bounds: tuple[float, float, float, float], parent: QWidget | None = None
    ):
        self._box = MapViewBox()
        super().__init__(parent, viewBox=self._box)
        self.setAccessibleName("Map")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setBackground("#F7F7F4")
        self.bounds = bounds
        west, south, east, north = bounds
        self.lat0 = (south + north) / 2
        item = self.getPlotItem()
        item.setMenuEnabled(False)
        item.hideButtons()
        for name in ("left", "bottom"):
            axis = item.getAxis(name)
            axis.setPen("#777777")
            axis.setTextPen("#555555")
        item.setLabel("bottom", "Longitude (°E)")
        item.setLabel("left", "Latitude (°N)")
        # Pixels per degree of longitude over pixels per degree of latitude: a km is a km both ways.
        self._box.setAspectLocked(True, ratio=math.cos(math.radians(self.lat0)))
        self._box.setLimits(xMin=west - 5, xMax=east + 5, yMin=south - 4, yMax=north + 4)

        self._theatre_items: list[object] = []
        self.zone_labels: list[pg.TextItem] = []
        self.sector_labels: list[pg.TextItem] = []
        self._draw_theatre(shapes)

        self.user_layer_items: list[object] = []
        self.settlement_dots = pg.ScatterPlotItem(size=4, pen=None, brush=pg.mkBrush("#444444"), pxMode=True)
        self.settlement_dots.setZValue(4)
        item.addItem(self.settlement_dots)
        self.settlement_labels = []
        for _ in range(LABEL_POOL):
            label = pg.TextItem(color="#333333", anchor=(0, 1))
            label.setZValue(4)
            label.setVisible(False)
            item.addItem(label, ignoreBounds=True)
            self.settlement_labels.append(label)
        self.settlements: list[Settlement] = []
        self._settlement_lat = np.zeros(0)
        self._settlement_lon = np.zeros(0)

        self.density = pg.ImageItem(axisOrder="row-major")
        self.density.setZValue(6)
        self.density.setOpacity(0.85)
        self.density.setVisible(False)
        item.addItem(self.density, ignoreBounds=True)
        self.density_map = pg.ColorMap([0.0, 1e-9, 0.25, 1.0], ["#FFFFCC00", "#FFF3B0", "#FD8D3C", "#800026"])
        self.density_bar = pg.ColorBarItem(
            values=(0, 1), colorMap=self.density_map, interactive=False, width=14, label="Incidents per cell"
        )
        self.density_bar.setImageItem(self.density, insert_in=item)
        self.density_bar.setVisible(False)

        self.sight_lines = pg.PlotDataItem(connect="pairs", pen=pg.mkPen(QColor(60, 60, 60, 150), width=1))
        self.sight_lines.setZValue(7)
        item.addItem(self.sight_lines, ignoreBounds=True)
        # One scatter item per colour, each with one brush: pyqtgraph's per-point brushes cost
        # tens of ms for a few thousand points, one brush per item next to nothing.
        self.point_slots = []
        for _ in range(POINT_SLOTS):
            slot = pg.ScatterPlotItem(pxMode=True, hoverable=False, pen=pg.mkPen(QColor(255, 255, 255, 200), width=0.8))
            slot.setZValue(8)
            slot.setVisible(False)
            item.addItem(slot, ignoreBounds=True)
            self.point_slots.append(slot)
        # What is drawn, for hover and click: positions, diameters (px), rowids and colours.
        self.drawn = _Drawn.empty()
        self.scene().sigMouseClicked.connect(self._scene_clicked)
        self.fan = QGraphicsPathItem()
        self.fan.setBrush(QBrush(QColor(0, 90, 200, 60)))
        self.fan.setPen(pg.mkPen(QColor(0, 70, 170), width=1.5, cosmetic=True))
        self.fan.setZValue(9)
        self.fan.setVisible(False)
        item.addItem(self.fan, ignoreBounds=True)
        self.selected_ring = pg.ScatterPlotItem(pxMode=True, brush=None, pen=pg.mkPen("#000000", width=2.5))
        self.selected_ring.setZValue(10)
        item.addItem(self.selected_ring, ignoreBounds=True)
        self.area_box = QGraphicsPathItem()
        self.area_box.setPen(pg.mkPen(QColor(0, 0, 0), width=2, style=Qt.PenStyle.DashLine, cosmetic=True))
        self.area_box.setZValue(11)
        self.area_box.setVisible(False)
        item.addItem(self.area_box, ignoreBounds=True)

        self.legend = pg.LegendItem(labelTextSize="9pt", verSpacing=-4)
        self.legend.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        item.layout.addItem(self.legend, 2, 3)  # right of the map, so it never covers the theatre
        item.layout.setAlignment(self.legend, Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.legend.setBrush(pg.mkBrush(QColor(255, 255, 255, 225)))
        self.legend.setPen(pg.mkPen("#999999"))
        self.legend.setLabelTextColor("#222222")
        self._legend_samples: list[pg.ScatterPlotItem] = []
        self._legend_entries: list[tuple[str, str]] = []
        self.hover = pg.TextItem(anchor=(0, 1), color="#111111", fill=pg.mkBrush(255, 255, 255, 235))
        self.hover.border = pg.mkPen("#888888")
        self.hover.setZValue(20)
        self.hover.setVisible(False)
        item.addItem(self.hover, ignoreBounds=True)
        self.scale_line = pg.PlotDataItem(pen=pg.mkPen("#222222", width=3))
        self.scale_line.setZValue(15)
        item.addItem(self.scale_line, ignoreBounds=True)
        self.scale_text = pg.TextItem(color="#222222", anchor=(0, 1))
        self.scale_text.setZValue(15)
        item.addItem(self.scale_text, ignoreBounds=True)
        self.north = pg.TextItem(html="<div style='font-size:13pt; font-weight:bold'>▲<br>N</div>", anchor=(0, 0))
        self.north.setColor("#222222")
        self.north.setZValue(15)
        item.addItem(self.north, ignoreBounds=True)
        self._show_legend(False)  # until there is something to explain
        self._relabel = QTimer(self)
        self._relabel.setSingleShot(True)
        self._relabel.setInterval(RELABEL_MS)
        self._relabel.timeout.connect(self._place_settlements)
        self.show_theatre()
        self._box.sigRangeChanged.connect(self._range_changed)
        self._box.areaDragged.connect(self.areaDragged)

    # -- theatre ---------------------------------------------------------------------------------

    def _draw_theatre(self, shapes: Sequence[Shape]) -> None:
        item = self.getPlotItem()
        zones = [s for s in shapes if s.kind == "zone"]
        for n, zone in enumerate(zones):
            path = QGraphicsPathItem(ring_path(zone.parts))
            path.setBrush(QBrush(QColor(ZONE_FILLS[n % len(ZONE_FILLS)])))
            path.setPen(pg.mkPen("#8A8A8A", width=1, cosmetic=True))
            path.setZValue(0)
            item.addItem(path)
            self._theatre_items.append(path)
        for sector in (s for s in shapes if s.kind == "dmz_sector"):
            path = QGraphicsPathItem(ring_path(sector.parts))
            path.setBrush(QBrush(DMZ_FILL))
            path.setPen(pg.mkPen(DMZ_EDGE, width=1, style=Qt.PenStyle.DashLine, cosmetic=True))
            path.setZValue(2)
            path.setToolTip(sector.name)
            item.addItem(path)
            self._theatre_items.append(path)
            label = pg.TextItem(
                html=f"<span style='color:#8E2A1E; font-size:8pt; font-weight:bold'>{sector.feature_id}</span>",
                anchor=(0.5, 0.5),
            )
            label.setPos(*sector.label_at)
            label.setZValue(5)
            item.addItem(label, ignoreBounds=True)
            self.sector_labels.append(label)
        for line in (s for s in shapes if s.kind == "contact_line"):
            for rings in line.parts:
                xs, ys = zip(*rings[0], strict=True)
                curve = pg.PlotDataItem(list(xs), list(ys), pen=pg.mkPen(LINE_COLOUR, width=2.5))
                curve.setZValue(3)
                item.addItem(curve)
                self._theatre_items.append(curve)
        for zone in zones:
            label = pg.TextItem(
                html=f"<span style='color:#4A4A4A; font-size:11pt; font-weight:bold'>{zone.name}</span>",
                anchor=(0.5, 0.5),
            )
            label.setPos(*zone.label_at)
            label.setZValue(5)
            item.addItem(label, ignoreBounds=True)
            self.zone_labels.append(label)

    def set_theatre(self, shapes: Sequence[Shape], bounds: tuple[float, float, float, float]) -> None:
        """Replace the drawn theatre (another theatre file was loaded) and show all of it."""
        item = self.getPlotItem()
        for old in [*self._theatre_items, *self.zone_labels, *self.sector_labels]:
            item.removeItem(old)
        self._theatre_items, self.zone_labels, self.sector_labels = [], [], []
        self.bounds = bounds
        self.set_settlements([])
        self._draw_theatre(shapes)
        self.show_theatre()

    def show_theatre(self) -> None:
        """Fit the whole theatre in view (Home)."""
        west, south, east, north = self.bounds
        self._box.setRange(xRange=(west, east), yRange=(south, north), padding=0.02)

    def view_area(self) -> Area:
        (west, east), (south, north) = self._box.viewRange()
        return area_of(QRectF(QPointF(west, south), QPointF(east, north)))

    def view_pixels(self) -> tuple[float, float]:
        """Width and height of the view in pixels."""
        rect = self._box.sceneBoundingRect()
        return max(rect.width(), 1.0), max(rect.height(), 1.0)

    # -- settlements and user layers -------------------------------------------------------------

    def set_settlements(self, places: list[Settlement]) -> None:
        self.settlements = places
        self._settlement_lat = np.array([p.lat for p in places], dtype=np.float64)
        self._settlement_lon = np.array([p.lon for p in places], dtype=np.float64)
        self._place_settlements()

    def _place_settlements(self) -> None:
        area = self.view_area()
        width, height = self.view_pixels()
        px_lon = width / max(area.east - area.west, 1e-9)
        px_lat = height / max(area.north - area.south, 1e-9)
        inside = np.flatnonzero(
            (self._settlement_lat >= area.south)
            & (self._settlement_lat <= area.north)
            & (self._settlement_lon >= area.west)
            & (self._settlement_lon <= area.east)
        )[:LABEL_CANDIDATES]  # the largest in view: smaller ones would rarely find room
        candidates = [self.settlements[i] for i in inside.tolist()]
        view = (area.west, area.south, area.east, area.north)
        shown = labelled(candidates, view, px_lon, px_lat, limit=LABEL_POOL)
        self.settlement_dots.setData(x=[p.lon for p in shown], y=[p.lat for p in shown])
        for label, place in zip(self.settlement_labels, [*shown, *[None] * LABEL_POOL], strict=False):
            if place is None:
                label.setVisible(False)
                continue
            label.setText(place.name)
            label.setPos(place.lon, place.lat)
            label.setVisible(True)

    def set_user_layers(self, items: Sequence[object]) -> None:
        """Replace the drawn user layers (QGraphicsItems built by desktop.map.layers)."""
        item = self.getPlotItem()
        for old in self.user_layer_items:
            item.removeItem(old)
        self.user_layer_items = list(items)
        for new in self.user_layer_items:
            item.addItem(new)

    # -- incidents -------------------------------------------------------------------------------

    def show_points(
        self,
        lon: np.ndarray,
        lat: np.ndarray,
        count: np.ndarray,
        colours: Sequence[str],
        rowids: np.ndarray,
        lines: tuple[np.ndarray, np.ndarray] | None,
    ) -> None:
        """Incidents as points, one item per colour; within a colour the largest are drawn first."""
        self.density.setVisible(False)
        self.density_bar.setVisible(False)
        sizes = point_sizes(count)
        colour_array = np.array(colours, dtype=object)
        shown = list(dict.fromkeys(colours))[: len(self.point_slots)]
        for slot, name in zip(self.point_slots, [*shown, *[None] * len(self.point_slots)], strict=False):
            if name is None:
                slot.setData([], [])
                slot.setVisible(False)
                continue
            chosen = np.flatnonzero(colour_array == name)
            chosen = chosen[np.argsort(-count[chosen], kind="stable")]
            slot.setData(x=lon[chosen], y=lat[chosen], size=sizes[chosen], brush=pg.mkBrush(QColor(name)))
            slot.setVisible(True)
        self.drawn = _Drawn(lon, lat, sizes, rowids, colour_array)
        if lines is None:
            self.sight_lines.setData([], [])
        else:
            self.sight_lines.setData(lines[0], lines[1])

    def show_density(self, counts: np.ndarray, area: Area) -> None:
        """Counts per cell over ``area`` (row 0 south), with the colour bar as its legend."""
        for slot in self.point_slots:
            slot.setData([], [])
            slot.setVisible(False)
        self.drawn = _Drawn.empty()
        self.sight_lines.setData([], [])
        top = float(max(np.percentile(counts[counts > 0], 99) if (counts > 0).any() else 1.0, 1.0))
        self.density.setImage(counts.astype(np.float32), levels=(0.0, top), autoLevels=False)
        self.density.setRect(QRectF(area.west, area.south, area.east - area.west, area.north - area.south))
        self.density_bar.setLevels((0.0, top))
        self.density.setVisible(True)
        self.density_bar.setVisible(True)

    def set_legend(self, entries: list[tuple[str, str]], title: str) -> None:
        """(colour, label) per series, under ``title``; unchanged entries leave the legend as it is."""
        wanted = [("", title), *entries]
        if wanted == self._legend_entries:
            return
        self.legend.clear()
        self._legend_samples = []
        header = pg.ScatterPlotItem(size=0, pen=None, brush=None)
        self.legend.addItem(header, f"<b>{title}</b>")
        for colour_text, label in entries:
            sample = pg.ScatterPlotItem(size=10, pen=pg.mkPen("#FFFFFF"), brush=pg.mkBrush(QColor(colour_text)))
            self._legend_samples.append(sample)
            self.legend.addItem(sample, label)
        self._legend_entries = wanted
        self._show_legend(bool(entries))

    def _show_legend(self, shown: bool) -> None:
        """Put the legend in the layout or take it out (a hidden layout item would keep its room)."""
        layout = self.getPlotItem().layout
        placed = any(layout.itemAt(i) is self.legend for i in range(layout.count()))
        if shown and not placed:
            layout.addItem(self.legend, 2, 3)
            layout.setAlignment(self.legend, Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        elif not shown and placed:
            layout.removeItem(self.legend)
        self.legend.setVisible(shown)

    def show_selected(self, lon: float | None, lat: float | None, fan: list[tuple[float, float]] | None) -> None:
        """Ring the selected incident and draw its bearing fan (None: nothing selected, or no fan)."""
        if lon is None or lat is None:
            self.selected_ring.setData([], [])
        else:
            self.selected_ring.setData([lon], [lat], size=MAX_POINT_PX)
        if fan:
            self.fan.setPath(ring_path([[fan]]))
            self.fan.setVisible(True)
        else:
            self.fan.setVisible(False)

    def show_area(self, area: Area | None) -> None:
        """The spatial filter's rectangle, dashed (None hides it)."""
        if area is None:
            self.area_box.setVisible(False)
            return
        path = QPainterPath()
        path.addRect(QRectF(area.west, area.south, area.east - area.west, area.north - area.south))
        self.area_box.setPath(path)
        self.area_box.setVisible(True)

    def show_hover(self, x: float, y: float, text: str | None) -> None:
        if text is None:
            self.hover.setVisible(False)
            return
        area = self.view_area()
        self.hover.setText(text)
        self.hover.setAnchor(
            (0 if x < (area.west + area.east) / 2 else 1, 1 if y < (area.south + area.north) / 2 else 0)
        )
        self.hover.setPos(x, y)
        self.hover.setVisible(True)

    def nearest_point(self, x: float, y: float, within_px: float = 6.0) -> int | None:
        """The rowid of the drawn point under (x, y), or within ``within_px`` pixels of its edge; None if none."""
        drawn = self.drawn
        if len(drawn.rowids) == 0:
            return None
        px, py = self._box.viewPixelSize()
        dx = (drawn.lon - x) / max(px, 1e-12)
        dy = (drawn.lat - y) / max(py, 1e-12)
        distance = np.hypot(dx, dy) - drawn.sizes / 2
        best = int(np.argmin(distance))
        return int(drawn.rowids[best]) if distance[best] <= within_px else None

    def _scene_clicked(self, event: object) -> None:
        if event.button() != Qt.MouseButton.LeftButton:  # type: ignore[attr-defined]
            return
        if not self._box.sceneBoundingRect().contains(event.scenePos()):  # type: ignore[attr-defined]
            return
        point = self._box.mapSceneToView(event.scenePos())  # type: ignore[attr-defined]
        rowid = self.nearest_point(point.x(), point.y(), within_px=2.0)
        if rowid is not None:
            self.pointClicked.emit(rowid)

    # -- scale, north arrow, keys ------------------------------------------------------------------

    def _range_changed(self) -> None:
        self._place_scale()
        self._relabel.start()  # names are chosen again once a pan or zoom pauses

    def _place_scale(self) -> None:
        area = self.view_area()
        width, height = self.view_pixels()
        mid = (area.south + area.north) / 2
        km_per_lon = KM_PER_DEG_LAT * math.cos(math.radians(mid))
        km = nice_scale_km((area.east - area.west) * km_per_lon)
        x0 = area.west + (area.east - area.west) * 14 / width
        y0 = area.south + (area.north - area.south) * 16 / height
        self.scale_line.setData([x0, x0 + km / km_per_lon], [y0, y0])
        if self.scale_text.toPlainText() != f"{km:g} km":  # a new text is laid out again: only when it changed
            self.scale_text.setText(f"{km:g} km")
        self.scale_text.setPos(x0, y0)
        self.north.setPos(
            area.west + (area.east - area.west) * 10 / width, area.north - (area.north - area.south) * 6 / height
        )

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        key = event.key()
        area = self.view_area()
        step_x, step_y = (area.east - area.west) * 0.2, (area.north - area.south) * 0.2
        moves: dict[Qt.Key, tuple[float, float]] = {
            Qt.Key.Key_Left: (-step_x, 0.0),
            Qt.Key.Key_Right: (step_x, 0.0),
            Qt.Key.Key_Up: (0.0, step_y),
            Qt.Key.Key_Down: (0.0, -step_y),
        }
        move = moves.get(Qt.Key(key))
        if move is not None:
            self._box.translateBy(x=move[0], y=move[1])
        elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self._box.scaleBy((0.7, 0.7))
        elif key == Qt.Key.Key_Minus:
            self._box.scaleBy((1 / 0.7, 1 / 0.7))
        elif key == Qt.Key.Key_Home:
            self.show_theatre()
        else:
            super().keyPressEvent(event)
            return
        event.accept()


__all__ = ["MapCanvas"]
