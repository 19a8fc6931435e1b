"""Pick a position on the map for the incident form: the observer's or the estimated event's.

Typing stays the first way to enter a position; this is for a monitor who knows where something
was on the map but not its coordinates. A click puts a marker, shows the coordinates and the
zone, DMZ sector and DMZ relation they imply (the same :meth:`db.model.theatre.Theatre.assign` the form
uses), and OK hands the position back. The keyboard works too: arrows pan, + and - zoom, and
Enter on the map takes its centre.
"""

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from db.map.shapes import theatre_bounds, theatre_shapes
from db.storage.store import Store
from desktop.map.canvas import MapCanvas
from desktop.map.settlement_loader import SettlementLoader

FIELDS = (("observer_position", "&Your position"), ("event_position", "&Event position"))


class _PickCanvas(MapCanvas):
    """Enter takes the centre of the view, for picking without a mouse."""

    def __init__(self, dialog: "MapPickDialog", *args: object) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        self._dialog = dialog

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            area = self.view_area()
            self._dialog.pick((area.south + area.north) / 2, (area.west + area.east) / 2)
            event.accept()
            return
        super().keyPressEvent(event)


class MapPickDialog(QDialog):
    """The theatre map; a click (or Enter on the map, for its centre) picks a position."""

    def __init__(self, store: Store, parent: QWidget | None = None, *, field: str = "observer_position") -> None:
        super().__init__(parent)
        self._store = store
        self.position: tuple[float, float] | None = None
        self.setWindowTitle("Pick a position on the map")
        self.canvas = _PickCanvas(self, theatre_shapes(store.theatre), theatre_bounds(store.theatre))
        self.canvas.setMinimumSize(640, 420)
        self._settlements = SettlementLoader(store, self.canvas)
        self.which = QButtonGroup(self)
        choices = QHBoxLayout()
        choices.addWidget(QLabel("Set:"))
        for name, label in FIELDS:
            button = QRadioButton(label)
            button.setProperty("field", name)
            button.setChecked(name == field)
            self.which.addButton(button)
            choices.addWidget(button)
        choices.addStretch(1)
        self.placement = QLabel(
            "Click the map where it was (drag to pan, wheel or +/- to zoom, Enter picks the centre)."
        )
        self.placement.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(False)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(choices)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.placement)
        layout.addWidget(self.buttons)
        self.canvas.scene().sigMouseClicked.connect(self._clicked)
        self.resize(900, 640)
        self.canvas.setFocus()

    @property
    def field(self) -> str:
        """Which form field the position is for: ``observer_position`` or ``event_position``."""
        checked = self.which.checkedButton()
        return str(checked.property("field")) if checked is not None else FIELDS[0][0]

    def position_text(self) -> str:
        """The picked position as the form reads it (decimal degrees, 6 decimals as stored)."""
        if self.position is None:
            return ""
        lat, lon = self.position
        return f"{lat:.6f}, {lon:.6f}"

    def pick(self, lat: float, lon: float) -> None:
        """Take (lat, lon): mark it and show the zone and sector it implies."""
        self.position = (round(lat, 6), round(lon, 6))
        self.canvas.show_selected(lon, lat, None)
        placement = self._store.theatre.assign(lat, lon)
        zones = {z.zone_id: z.name for z in self._store.theatre.zones}
        sectors = {s.sector_id: s.name for s in self._store.theatre.sectors}
        zone = zones.get(placement.zone_id or "", "outside every zone")
        sector = sectors.get(placement.sector_id or "", "no DMZ sector")
        relation = {"inside": "inside the DMZ", "edge": "on the DMZ's edge", "outside": "outside the DMZ"}
        self.placement.setText(
            f"{self.position_text()} — zone {zone}, {sector}, {relation.get(placement.dmz_relation, '')}"
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(True)

    def _clicked(self, event: object) -> None:
        if event.button() != Qt.MouseButton.LeftButton or event.double():  # type: ignore[attr-defined]
            return
        box = self.canvas.getPlotItem().getViewBox()
        scene: QPointF = event.scenePos()  # type: ignore[attr-defined]
        if not box.sceneBoundingRect().contains(scene):
            return
        point = box.mapSceneToView(scene)
        self.pick(point.y(), point.x())
