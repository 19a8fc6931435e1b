"""The Map view (Ctrl+4): where the incidents the filter bar selects happen, linked with the table.

It follows the filter bar like the timeline (and, hidden, only notes a change until shown); it
asks :func:`db.map.view.map_data` for what lies in view at every filter change, pan and zoom,
and draws points coloured by the same "split by" values and colours as Trends, or a density grid
when more than :data:`db.map.view.MAX_POINTS` would hide each other. A click selects an incident
(``incidentSelected``); Shift+drag, or "Filter to area shown" (Ctrl+Shift+A), proposes a spatial
filter (``areaChosen``) that the window puts in the filter bar, so every view follows it.
"""

from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QMargins, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QComboBox, QLabel, QPushButton, QVBoxLayout, QWidget

from db.map.layers import LayerError, stored_layers
from db.map.period import period_map_data
from db.map.shapes import fan_outline, theatre_bounds, theatre_shapes
from db.map.view import MAX_POINTS, MapData, map_data, map_incident, position_of, rowid_of
from db.model.display import ENUM_LABELS, local_time_text
from db.records.queries import Area, IncidentFilter
from db.storage.store import Store
from db.trends.timeline import Dimension
from desktop.map.canvas import MapCanvas
from desktop.map.layers import layer_items
from desktop.map.settlement_loader import SettlementLoader
from desktop.trends.series import OTHER, colour, fold, period_of
from desktop.trends.timeline import SPLITS, dimension_labels
from desktop.widgets.flow_layout import FlowLayout, labelled
from desktop.widgets.plot_export import ask_and_export, export_plot
from desktop.widgets.refresh_when_shown import RefreshWhenShown

REDRAW_DELAY_MS = 60
"""Pans and zooms arrive in bursts; the query runs once they pause this long."""
DENSITY_CELL_PX = 18
"""A density cell's size on screen: the grid has as many cells as fit, whatever the count."""


class MapView(QWidget):
    """Controls, the map canvas and a line saying what is shown, for one open store."""

    incidentSelected = Signal(str)  # noqa: N815 (Qt naming); an incident_id
    areaChosen = Signal(object)  # noqa: N815 (Qt naming); an Area

    def __init__(
        self,
        store: Store,
        parent: QWidget | None = None,
        *,
        display_tz: ZoneInfo | None = None,
        in_memory: bool = True,
    ) -> None:
        super().__init__(parent)
        self._store = store
        # False: every redraw asks SQL for the filter's incidents (one picture of a bounded period in a
        # process that has not loaded the in-memory copies); True: the copies, loaded once, answer pans.
        self._in_memory = in_memory
        self._display_tz = display_tz or store.tz
        self._filter = IncidentFilter()
        self._filtered = False
        self._data: MapData | None = None
        self._colours: dict[str | None, str] = {}
        self._selected_rowid: int | None = None
        self.max_points = MAX_POINTS  # more in view become a density grid
        self._caption = ""
        self.period_label: str | None = None  # the caption's period, when the filter's own days would not say it
        self._names = dimension_labels(store.theatre)
        self._deferred = RefreshWhenShown(self, self.refresh)

        self.split_combo = QComboBox()
        for label, value in SPLITS:
            self.split_combo.addItem(label, value)
        self.split_combo.setCurrentIndex(self.split_combo.findData("category"))
        self.split_combo.setToolTip("Colour the incidents by this dimension, with the colours Trends uses")
        self.area_button = QPushButton("Filter to area shown")
        self.area_button.setToolTip(
            "Set the filter bar's area to what the map shows (Ctrl+Shift+A); Shift+drag a rectangle does the same"
        )
        self.home_button = QPushButton("Whole theatre")
        self.home_button.setToolTip("Show the whole theatre (Home)")
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Save the map with its legend, scale and caption as PNG or SVG")
        self.status = QLabel()
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.canvas = MapCanvas(theatre_shapes(store.theatre), theatre_bounds(store.theatre))

        controls = QWidget()
        flow = FlowLayout(controls, spacing=10)
        flow.setContentsMargins(QMargins(0, 0, 0, 0))
        flow.addWidget(labelled("Colour &by", self.split_combo))
        for widget in (self.area_button, self.home_button, self.export_button, self.status):
            flow.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(QMargins(0, 0, 0, 0))
        layout.setSpacing(4)
        layout.addWidget(controls)
        layout.addWidget(self.canvas, 1)

        self._redraw = QTimer(self)
        self._redraw.setSingleShot(True)
        self._redraw.setInterval(REDRAW_DELAY_MS)
        self._redraw.timeout.connect(self._deferred.request)
        self.canvas.getPlotItem().getViewBox().sigRangeChanged.connect(lambda *_: self._view_moved())
        self.canvas.areaDragged.connect(self.areaChosen)
        self.canvas.pointClicked.connect(self._clicked)
        self._mouse = pg.SignalProxy(self.canvas.scene().sigMouseMoved, rateLimit=30, slot=self._mouse_moved)
        self.split_combo.currentIndexChanged.connect(lambda _: self._deferred.request())
        self.area_button.clicked.connect(self.choose_area_shown)
        self.home_button.clicked.connect(self.canvas.show_theatre)
        self.export_button.clicked.connect(self._export_clicked)
        QShortcut(
            QKeySequence("Ctrl+Shift+A"),
            self,
            self.choose_area_shown,
            context=Qt.ShortcutContext.WidgetWithChildrenShortcut,
        )
        self.reload_layers()
        self._settlements = SettlementLoader(store, self.canvas)
        self._settlements.failed.connect(self.status.setText)

    # -- public ----------------------------------------------------------------------------------

    def set_filter(self, flt: IncidentFilter) -> None:
        """Show what ``flt`` selects; hidden, only note it until shown."""
        self._filter = flt
        self._filtered = True
        self.canvas.show_area(flt.area)
        self._deferred.request()

    def refresh(self) -> None:
        """Query what is in view now and draw it."""
        self._deferred.stale = False
        if not self._filtered:
            return
        dimension: Dimension | None = self.split_combo.currentData()
        width, height = self.canvas.view_pixels()
        cells = (max(int(height // DENSITY_CELL_PX), 4), max(int(width // DENSITY_CELL_PX), 4))
        area = self.canvas.view_area()
        if self._in_memory:
            data = map_data(
                self._store.conn,
                self._filter,
                self._store.tz,
                area,
                dimension=dimension,
                cells=cells,
                max_points=self.max_points,
            )
        else:
            data = period_map_data(
                self._store.conn, self._filter, area, dimension=dimension, cells=cells, max_points=self.max_points
            )
        self._data = data
        self._colours = self._legend(data, dimension) if data.points is not None else {}
        if data.points is not None:
            points = data.points
            colours = [self._colours.get(key, self._colours.get(OTHER, "#8C8C8C")) for key in points.keys]
            has_observer = ~np.isnan(points.obs_lat)
            lines = None
            if has_observer.any():
                xs = np.column_stack([points.obs_lon[has_observer], points.lon[has_observer]]).ravel()
                ys = np.column_stack([points.obs_lat[has_observer], points.lat[has_observer]]).ravel()
                lines = (xs, ys)
            self.canvas.show_points(points.lon, points.lat, points.count, colours, points.rowids, lines)
        elif data.grid is not None:
            self.canvas.set_legend([], "")
            self.canvas.show_density(data.grid.counts, data.grid.view)
        caption = self.caption()
        if caption != self._caption:  # a new title lays the plot out again: only when it changed
            self._caption = caption
            self.canvas.getPlotItem().setTitle(caption, size="10pt", color="#222222")
        self._show_status(data)
        self._show_selection()

    def caption(self) -> str:
        """What the map shows, for the title and exported images: count, split, period and filter."""
        data = self._data
        placed = data.placed if data is not None else 0
        split = {value: label for label, value in SPLITS}[self.split_combo.currentData()]
        by = f", coloured by {split.lower()}" if self.split_combo.currentData() else ""
        parts = [
            f"{placed:,} incident{'s' if placed != 1 else ''} on the map{by}",
            self.period_label or _period_text(self._filter, self._store),
        ]
        described = describe_filter(self._filter)
        if described:
            parts.append(described)
        return " · ".join(parts)

    def set_display_tz(self, tz: ZoneInfo) -> None:
        """Show times in ``tz`` (the Settings' display time zone)."""
        self._display_tz = tz

    def reload_theatre(self) -> None:
        """Another theatre file was loaded: draw its zones, sectors, line, layers and settlements."""
        self.canvas.set_theatre(theatre_shapes(self._store.theatre), theatre_bounds(self._store.theatre))
        self._names = dimension_labels(self._store.theatre)
        self.reload_layers()
        self._settlements = SettlementLoader(self._store, self.canvas)
        self._settlements.failed.connect(self.status.setText)

    def reload_layers(self) -> None:
        """Draw the mission's own layers kept with the theatre (after Settings changed them)."""
        try:
            layers = stored_layers(self._store.conn, self._store.theatre)
        except LayerError as error:
            self.status.setText(str(error))
            layers = []
        self.canvas.set_user_layers(layer_items(layers))

    def current_data(self) -> MapData | None:
        return self._data

    def select_incident(self, incident_id: str | None) -> None:
        """Ring ``incident_id`` and draw its bearing fan (as the table selected it)."""
        self._selected_rowid = rowid_of(self._store.conn, incident_id) if incident_id else None
        self._show_selection()

    def choose_area_shown(self) -> None:
        """The keyboard way to a spatial filter: the area the map shows now."""
        self.areaChosen.emit(self.canvas.view_area())

    def show_area(self, area: Area) -> None:
        """Move the view to ``area``."""
        self.canvas.getPlotItem().getViewBox().setRange(
            xRange=(area.west, area.east), yRange=(area.south, area.north), padding=0.02
        )

    def export_image(self, path: Path) -> None:
        """Save the map as shown (legend, scale bar, north arrow, caption) as PNG or SVG.

        Raises OSError or ValueError, leaving no file behind."""
        hover = self.canvas.hover.isVisible()
        self.canvas.hover.setVisible(False)
        try:
            export_plot(self.canvas.getPlotItem(), path)
        finally:
            self.canvas.hover.setVisible(hover)

    def hover_text(self, x: float, y: float) -> str | None:
        """What hovering at (x, y) shows: the incident under the cursor, or the cell's count."""
        rowid = self.canvas.nearest_point(x, y)
        if rowid is not None:
            incident = map_incident(self._store.conn, rowid)
            if incident is None:
                return None
            kind = ENUM_LABELS["category"].get(incident.category, incident.category)
            if incident.obs_type and incident.obs_type != "none":
                kind += f" · {ENUM_LABELS['obs_type'].get(incident.obs_type, incident.obs_type)}"
            qualifier = {"approx": "about ", "at_least": "at least "}.get(incident.count_qualifier, "")
            when = local_time_text(incident.observed_start, self._display_tz)
            plural = "s" if incident.count != 1 else ""
            return f"{incident.ref}\n{when}\n{kind}\n{qualifier}{incident.count:,} violation{plural}"
        data = self._data
        if data is not None and data.grid is not None:
            grid, view = data.grid.counts, data.grid.view
            rows, columns = grid.shape
            if view.west <= x <= view.east and view.south <= y <= view.north:
                row = min(int((y - view.south) / (view.north - view.south) * rows), rows - 1)
                column = min(int((x - view.west) / (view.east - view.west) * columns), columns - 1)
                n = int(grid[row, column])
                return f"{n:,} incident{'s' if n != 1 else ''} in this cell\nZoom in to see them one by one"
        return None

    # -- behaviour -------------------------------------------------------------------------------

    def _legend(self, data: MapData, dimension: Dimension | None) -> dict[str | None, str]:
        """Colours per value as Trends gives them (same order, same fold into Other) and the legend."""
        if dimension is None:
            self.canvas.set_legend([(colour(0, None), "All incidents")], "Incidents")
            return {None: colour(0, None)}
        names = self._names[dimension]
        ordered = sorted(data.totals, key=lambda key: (key is None, key or ""))
        series = fold({key: (data.totals[key],) for key in ordered}, names)
        colours = {s.key: colour(n, s.key) for n, s in enumerate(series)}
        title = {value: label for label, value in SPLITS}[dimension]
        self.canvas.set_legend([(colours[s.key], s.label) for s in series], title)
        return colours

    def _show_status(self, data: MapData) -> None:
        if data.placed == 0:
            self.status.setText("Nothing the filter selects has a position.")
        elif data.grid is not None:
            self.status.setText(
                f"{data.in_view:,} of {data.placed:,} incidents in view: counts per cell; zoom in to see points"
            )
        else:
            self.status.setText(f"{data.in_view:,} of {data.placed:,} incidents in view · Shift+drag to filter an area")

    def _show_selection(self) -> None:
        rowid = self._selected_rowid
        incident = map_incident(self._store.conn, rowid) if rowid is not None else None
        if incident is None:
            self.canvas.show_selected(None, None, None)
            return
        lat, lon = position_of(self._store.conn, rowid)
        fan = None
        if incident.observer and incident.bearing_deg is not None and incident.dist_max_km is not None:
            fan = fan_outline(
                *incident.observer, incident.bearing_deg, incident.dist_min_km or 0.0, incident.dist_max_km
            )
        if np.isnan(lat):
            self.canvas.show_selected(None, None, fan)
        else:
            self.canvas.show_selected(lon, lat, fan)

    def _view_moved(self) -> None:
        if self._filtered:
            self._redraw.start()

    def _clicked(self, rowid: int) -> None:
        incident = map_incident(self._store.conn, rowid)
        if incident is None:
            return
        self._selected_rowid = rowid
        self._show_selection()
        self.incidentSelected.emit(incident.incident_id)

    def _mouse_moved(self, event: tuple[object, ...]) -> None:
        box = self.canvas.getPlotItem().getViewBox()
        if not box.sceneBoundingRect().contains(event[0]):
            self.canvas.show_hover(0, 0, None)
            return
        point = box.mapSceneToView(event[0])
        self.canvas.show_hover(point.x(), point.y(), self.hover_text(point.x(), point.y()))

    def wait_for_settlements(self) -> None:
        """Block until the settlements are drawn (tests, and rendering an image without a window)."""
        self._settlements.wait()

    def _export_clicked(self) -> None:
        ask_and_export(self, "map", self.export_image)


def describe_filter(flt: IncidentFilter) -> str:
    """The filter's choices other than the period, in words (empty when there are none)."""
    parts = []
    for label, values, labels in (
        ("zone", flt.zone_ids, None),
        ("sector", flt.sector_ids, None),
        ("category", flt.categories, ENUM_LABELS["category"]),
        ("weapon", flt.weapon_classes, ENUM_LABELS["weapon_class"]),
        ("state", flt.states, ENUM_LABELS["verification_state"]),
    ):
        if values:
            parts.append(f"{label} " + ", ".join(labels.get(v, v) if labels else v for v in values))
    if flt.text.strip():
        parts.append(f"text “{flt.text.strip()}”")
    if flt.area is not None:
        parts.append(f"area {flt.area.text()}")
    if flt.conflicts_only:
        parts.append("in conflict")
    return "; ".join(parts)


def _period_text(flt: IncidentFilter, store: Store) -> str:
    first, last = period_of(flt, store.tz)
    if first is None and last is None:
        return "all time"
    return f"{_day(first) if first else '…'} to {_day(last) if last else '…'}"


def _day(day: date) -> str:
    return f"{day.day} {day:%b %Y}"
