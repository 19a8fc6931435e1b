"""Every window and dialog of the application, built over one store, in the state a user first sees.

Two readers need the complete list: the layout test (tests/test_layout.py), which opens each at
1366×768 and fails if a widget lies outside the screen or a label is cut short, and the script
that takes the README's screenshots (packaging/screenshots.py). Keeping the list here means a new
dialog is added once and is then both checked and photographed.
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QDialog, QMessageBox, QWidget

from db.records.monitors import Monitor
from db.storage.store import Store
from desktop.files.csv_export_dialog import CsvExportDialog
from desktop.files.csv_import_dialog import CsvImportDialog
from desktop.files.exchange_dialog import ExportDialog, ImportDialog
from desktop.files.import_log_view import ImportLogDialog
from desktop.files.kept_apart_view import KeptApartDialog
from desktop.files.seal_prompt import TITLE, SealPassphraseDialog, trusted_text
from desktop.form.incident_form import IncidentForm
from desktop.map.pick_dialog import MapPickDialog
from desktop.report.dialog import ReportDialog
from desktop.review.conflict_dialog import ConflictDialog
from desktop.window.encrypt_dialog import ConversionDialog, EncryptDialog, EncryptionRequest
from desktop.window.key_dialogs import ChangePassphraseDialog, EraseDialog
from desktop.window.main_window import MainWindow
from desktop.window.passphrase_dialog import NewPassphraseDialog, UnlockDialog
from desktop.window.profile_dialog import ProfileDialog
from desktop.window.recovery_dialog import RecoveryDialog
from desktop.window.settings_dialog import SettingsDialog, display_tz


@dataclass(frozen=True)
class Context:
    """The open main window and what it was built from: everything a dialog's constructor asks for."""

    window: MainWindow
    store: Store
    settings: QSettings
    profile: Monitor

    @property
    def tz(self) -> ZoneInfo:
        return display_tz(self.settings, self.store)


@dataclass(frozen=True)
class Exhibit:
    """One window or dialog: a file-friendly name and how to open it over ``window``."""

    name: str
    title: str
    build: Callable[[Context], QWidget]


def _tab(index: int) -> Callable[[Context], QWidget]:
    def show(c: Context) -> QWidget:
        c.window.tabs.setCurrentIndex(index)
        return c.window

    return show


def _first_incident(c: Context) -> str:
    record = c.window.model.record_at(0)
    if record is None:
        raise LookupError("the gallery needs at least one incident in the store")
    return record.incident_id


def _conflicted(c: Context) -> str:
    row = c.store.conn.execute("SELECT incident_id FROM incidents WHERE heads > 1 LIMIT 1").fetchone()
    if row is None:
        raise LookupError("the gallery needs an incident in conflict")
    return str(row[0])


def _a_monitor(c: Context) -> Monitor:
    """A monitor of the store's (one who may not decide here), not named like the window's own profile."""
    row = c.store.conn.execute(
        "SELECT monitor_id, name, callsign, role FROM monitors WHERE role = 'monitor' AND name != ? "
        "ORDER BY name LIMIT 1",
        (c.profile.name,),
    ).fetchone()
    if row is None:
        raise LookupError("the gallery needs a monitor in the store")
    return Monitor(*row)


def _form(c: Context, **kwargs: object) -> QDialog:
    return IncidentForm(
        c.store,
        c.profile,
        c.settings,
        c.window,
        display_tz=c.tz,
        **kwargs,  # type: ignore[arg-type]
    )


def exhibits(scratch: Path) -> list[Exhibit]:
    """The windows and dialogs, in the order a user meets them; ``scratch`` receives any file."""
    return [
        Exhibit("incidents", "Incidents: filter bar, table and detail pane", _tab(0)),
        Exhibit("trends", "Trends: timeline and period summary", _tab(1)),
        Exhibit("review", "Review: the queue, the decision and the incident", _tab(2)),
        Exhibit("map", "Map: the theatre and the incidents of the filter", _tab(3)),
        Exhibit("new-incident", "New incident form", lambda c: _form(c)),
        Exhibit("edit-incident", "Editing an incident", lambda c: _form(c, incident_id=_first_incident(c))),
        Exhibit("welcome", "First start: profile", lambda c: ProfileDialog(c.store, c.window)),
        Exhibit("profile", "Your profile", lambda c: ProfileDialog(c.store, c.window, current=c.profile)),
        Exhibit("settings", "Settings", lambda c: SettingsDialog(c.store, c.settings, c.profile, c.window)),
        Exhibit(
            "export-csv",
            "Export CSV",
            lambda c: CsvExportDialog(c.store, c.window.filter_bar.current_filter(), c.window),
        ),
        Exhibit("import-csv", "Import CSV", lambda c: CsvImportDialog(c.store, c.profile, c.window)),
        Exhibit("export-bundle", "Export for exchange", lambda c: ExportDialog(c.store, scratch / "b.zip", c.window)),
        Exhibit("import-bundles", "Import bundles", lambda c: ImportDialog(c.store, [scratch / "b.zip"], c.window)),
        Exhibit("import-log", "Import log", lambda c: ImportLogDialog(c.store, c.window, display_tz=c.tz)),
        Exhibit("kept-apart", "Versions kept apart", lambda c: KeptApartDialog(c.store, c.window, display_tz=c.tz)),
        Exhibit(
            "conflict",
            "Resolving a conflict",
            lambda c: ConflictDialog(c.store, c.profile, _conflicted(c), c.window, display_tz=c.tz),
        ),
        Exhibit(
            "conflict-monitor",
            "A conflict as a monitor sees it (who may decide, no Save)",
            lambda c: ConflictDialog(c.store, _a_monitor(c), _conflicted(c), c.window, display_tz=c.tz),
        ),
        Exhibit("pick-on-map", "Pick a position on the map", lambda c: MapPickDialog(c.store, c.window)),
        Exhibit(
            "report",
            "Report",
            lambda c: ReportDialog(
                c.store, c.settings, c.window.filter_bar.current_filter(), c.window.filter_bar.period_days(), c.window
            ),
        ),
        Exhibit(
            "recovery",
            "The database is damaged",
            lambda c: RecoveryDialog("The database failed its integrity check.", c.store.data_dir, None, c.window),
        ),
        Exhibit("new-passphrase", "First start: the passphrase", lambda c: NewPassphraseDialog(scratch, c.window)),
        Exhibit("unlock", "Unlocking the data", lambda c: UnlockDialog(c.store.data_dir, c.window)),
        Exhibit(
            "change-passphrase", "Change the passphrase", lambda c: ChangePassphraseDialog(c.store.data_dir, c.window)
        ),
        Exhibit("emergency-erase", "Emergency erase", lambda c: EraseDialog(c.store.data_dir, c.window)),
        Exhibit("seal-passphrase", "Sealed bundles: the mission key's passphrase", _seal_passphrase),
        Exhibit("seal-trusted", "Mission sealing key trusted", _seal_trusted),
        Exhibit("encrypt", "Encrypting a plain data directory", lambda c: EncryptDialog(c.window)),
        Exhibit(
            "encrypting",
            "The conversion's progress",
            lambda c: ConversionDialog(c.store.data_dir, EncryptionRequest("not used here"), c.window),
        ),
    ]


def _seal_passphrase(c: Context) -> QDialog:
    return SealPassphraseDialog(c.window, "That passphrase does not unlock the mission's sealing key; try again.")


def _seal_trusted(c: Context) -> QDialog:
    shown = "B3C5 684F 82EE 67C0 BF8D 4A68 99EE C346 CF1D 800E"
    box = QMessageBox(QMessageBox.Icon.Information, TITLE, trusted_text(shown), QMessageBox.StandardButton.Ok)
    box.setParent(c.window, box.windowFlags())
    return box
