"""Settings: the monitor's profile, the display time zone, and the mission's theatre file.

The display time zone only changes how times are shown and entered; stored times stay UTC and
"days" in reports stay those of the mission time zone (the theatre's).
"""

from pathlib import Path
from zoneinfo import ZoneInfo, available_timezones

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from db.core.errors import TrucelineError
from db.map.layers import add_layer, read_layer, remove_layer, stored_layers
from db.model.theatre import load_theatre
from db.records.monitors import Monitor
from db.storage.store import Store, switch_theatre
from desktop.report.produce import MARKING_KEY, marking_combo
from desktop.window.profile_dialog import ProfileDialog
from desktop.window.screen_lock import SETTING_IDLE_MINUTES, idle_minutes

DISPLAY_TZ_KEY = "display/time_zone"
# A theatre's name comes from its file: long ones are cut here (whole in the tooltip).
THEATRE_NAME_SHOWN = 70


def display_tz(settings: QSettings, store: Store) -> ZoneInfo:
    """The zone times are shown and entered in: the user's choice, else the mission's."""
    name = settings.value(DISPLAY_TZ_KEY)
    if isinstance(name, str) and name in available_timezones():
        return ZoneInfo(name)
    return store.tz


class SettingsDialog(QDialog):
    """Profile, display time zone and theatre, each applied as soon as it is confirmed."""

    def __init__(self, store: Store, settings: QSettings, profile: Monitor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self._store = store
        self._settings = settings
        self.profile = profile
        self.theatre_changed = False
        self.layers_changed = False

        self.profile_label = QLabel()
        edit_profile = QPushButton("&Edit profile…")
        edit_profile.setToolTip("Change your name, callsign or role, or this laptop's label.")
        edit_profile.clicked.connect(self._edit_profile)
        profile_row = QHBoxLayout()
        profile_row.addWidget(self.profile_label, 1)
        profile_row.addWidget(edit_profile)

        self.time_zone = QComboBox()
        self.time_zone.setEditable(True)
        zones = sorted(available_timezones())
        self.time_zone.addItems(zones)
        completer = QCompleter(zones, self.time_zone)
        completer.setFilterMode(completer.filterMode().MatchContains)
        self.time_zone.setCompleter(completer)
        self.time_zone.setCurrentText(display_tz(settings, store).key)
        self.time_zone.setToolTip(
            f"Times are shown and entered in this zone. The mission's zone is {store.tz.key}; "
            "stored times are always UTC."
        )

        # Two lines, never wrapped: a wrapped label in a dialog gets the height of one line.
        self.theatre_label = QLabel()
        load = QPushButton("&Load theatre file…")
        load.setToolTip("Use the mission's own zones, DMZ sectors and contact line (a GeoJSON file, e.g. from QGIS).")
        load.clicked.connect(self._load_theatre)
        theatre_row = QHBoxLayout()
        theatre_row.addWidget(self.theatre_label, 1)
        theatre_row.addWidget(load)

        self.marking = marking_combo(settings)
        # The mission's own map layers (GeoJSON from QGIS), kept with the theatre (db/map/layers.py).
        self.layers_label = QLabel()
        self.layers_label.setWordWrap(True)
        add = QPushButton("&Add map layer…")
        add.setToolTip("Draw a GeoJSON file of points, lines or polygons (e.g. posts, routes) beneath the incidents")
        add.clicked.connect(self._add_layer)
        self.remove_layer_button = QPushButton("&Remove layer…")
        self.remove_layer_button.clicked.connect(self._remove_layer)
        layers_row = QHBoxLayout()
        layers_row.addWidget(self.layers_label, 1)
        layers_row.addWidget(add)
        layers_row.addWidget(self.remove_layer_button)

        form = QFormLayout()
        form.addRow("Profile:", profile_row)
        form.addRow("&Display time zone:", self.time_zone)
        form.addRow("Theatre:", theatre_row)
        form.addRow("Report &marking:", self.marking)
        form.addRow("Map layers:", layers_row)
        # Locking when idle (desktop/window/screen_lock.py): minutes without input, 0 = never.
        self.lock_minutes = QSpinBox()
        self.lock_minutes.setRange(0, 240)
        self.lock_minutes.setSuffix(" min")
        self.lock_minutes.setSpecialValueText("never")
        self.lock_minutes.setValue(idle_minutes(settings))
        self.lock_minutes.setToolTip("Hide every record after this long without typing or mouse (Ctrl+L locks at once)")
        form.addRow("&Lock when idle after:", self.lock_minutes)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.setMinimumWidth(560)
        self._show_state()

    def _show_state(self) -> None:
        p = self.profile
        self.profile_label.setText(f"{p.name} ({p.callsign}), {p.role}")
        t = self._store.theatre
        name = t.name if len(t.name) <= THEATRE_NAME_SHOWN else t.name[: THEATRE_NAME_SHOWN - 1] + "…"
        self.theatre_label.setText(f"{name}\n{len(t.zones)} zones, {len(t.sectors)} DMZ sectors, {t.time_zone}")
        self.theatre_label.setToolTip(t.name)
        try:
            names = [layer.name for layer in stored_layers(self._store.conn, t)]
        except TrucelineError as error:
            names = []
            self.layers_label.setToolTip(str(error))
        self.layers_label.setText(", ".join(names) if names else "none")
        self.remove_layer_button.setEnabled(bool(names))

    def _edit_profile(self) -> None:
        dialog = ProfileDialog(self._store, self, current=self.profile)
        if dialog.exec() and dialog.monitor is not None:
            self.profile = dialog.monitor
            self._show_state()

    def _load_theatre(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Load theatre", "", "GeoJSON (*.geojson *.json)")
        if name:
            self.apply_theatre_file(Path(name))

    def apply_theatre_file(self, path: Path) -> bool:
        try:
            theatre = load_theatre(path)
            change = switch_theatre(self._store, theatre, str(path))
        except TrucelineError as error:
            QMessageBox.warning(
                self, "Theatre not loaded", f"The theatre file was not loaded; nothing changed.\n\n{error}"
            )
            return False
        notes = [f"Loaded {theatre.name}."]
        if change.rebuilt:
            notes.append(f"The mission time zone changed; the days of {change.rebuilt:,} incidents were recomputed.")
        if change.unknown_zone or change.unknown_sector:
            notes.append(
                f"{change.unknown_zone:,} incidents are filed under zones and {change.unknown_sector:,} under "
                "sectors that this file does not define; they keep their ids until amended."
            )
        QMessageBox.information(self, "Theatre loaded", "\n\n".join(notes))
        self.theatre_changed = True
        self._show_state()
        return True

    def _add_layer(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Add map layer", "", "GeoJSON (*.geojson *.json)")
        if name:
            self.add_layer_file(Path(name))

    def add_layer_file(self, path: Path) -> bool:
        """Check a layer file and keep it with the theatre; a bad file is refused whole, with the reason."""
        try:
            add_layer(self._store.conn, self._store.theatre, read_layer(path))
        except TrucelineError as error:
            QMessageBox.warning(self, "Layer not added", f"The layer was not added; nothing changed.\n\n{error}")
            return False
        self.layers_changed = True
        self._show_state()
        return True

    def _remove_layer(self) -> None:
        names = [layer.name for layer in stored_layers(self._store.conn, self._store.theatre)]
        name, ok = QInputDialog.getItem(self, "Remove map layer", "Layer:", names, 0, False)
        if ok and name:
            self.remove_layer_named(name)

    def remove_layer_named(self, name: str) -> None:
        remove_layer(self._store.conn, self._store.theatre, name)
        self.layers_changed = True
        self._show_state()

    def accept(self) -> None:
        name = self.time_zone.currentText().strip()
        if name not in available_timezones():
            QMessageBox.warning(self, "Unknown time zone", f"'{name}' is not a time zone (for example Europe/Kyiv).")
            self.time_zone.setFocus()
            return
        self._settings.setValue(DISPLAY_TZ_KEY, name)
        self._settings.setValue(MARKING_KEY, self.marking.currentText().strip())
        self._settings.setValue(SETTING_IDLE_MINUTES, self.lock_minutes.value())
        super().accept()
