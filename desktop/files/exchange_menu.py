"""The File menu's exchange entries: Export for exchange…, Import bundles…, Import log…, Mission sealing key….

Kept out of the main window, which only places the actions, refreshes after an import and shows
the messages. The window must stop a running export or import before it closes (:meth:`stop`).
"""

from collections.abc import Callable
from zoneinfo import ZoneInfo

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget

from db.exchange.export import ExportResult
from db.storage.store import Store
from desktop.files.exchange_dialog import ExchangeProgress, ExportDialog, ImportDialog, start_export, start_import
from desktop.files.import_log_view import ImportLogDialog
from desktop.files.seal_prompt import trust_from_file


class ExchangeMenu(QObject):
    """Four actions over one store; ``imported(added)`` once an import run ends, ``message(text)`` to show."""

    imported = Signal(int)
    message = Signal(str)

    def __init__(
        self, window: QWidget, store: Store, callsign: Callable[[], str], display_tz: Callable[[], ZoneInfo]
    ) -> None:
        super().__init__(window)
        self._window = window
        self._store = store
        self._callsign = callsign
        self._display_tz = display_tz
        self.export_action = self._action(
            "E&xport for exchange…",
            "Write a signed bundle of the versions stored since the last one, for another laptop",
            self.export,
        )
        self.import_action = self._action(
            "Import &bundles…",
            "Verify and merge bundles from other laptops; edits of one incident become a visible conflict",
            self.import_bundles,
        )
        self.log_action = self._action(
            "Import &log…", "Bundles imported here, sequence gaps, and the state hash", self.show_log
        )
        self.seal_action = self._action(
            "Mission sealin&g key…",
            "Trust the mission's public sealing key: this laptop's bundles are then readable only by the mission",
            self.trust_seal_key,
        )

    def _action(self, text: str, tip: str, slot: Callable[[], object]) -> QAction:
        action = QAction(text, self._window)
        action.setStatusTip(tip)
        action.setToolTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        return action

    @property
    def actions(self) -> list[QAction]:
        return [self.export_action, self.import_action, self.log_action, self.seal_action]

    def export(self) -> ExportDialog | None:
        dialog = start_export(self._window, self._store, self._callsign())
        if dialog is not None:
            dialog.exportedTo.connect(self._exported)
        return dialog

    def _exported(self, result: ExportResult) -> None:
        self.message.emit(result.summary())

    def import_bundles(self) -> ImportDialog | None:
        dialog = start_import(self._window, self._store)
        if dialog is not None:
            dialog.finishedAll.connect(self._imported)
        return dialog

    def _imported(self, added: int) -> None:
        self.imported.emit(added)
        self.message.emit(f"Bundles imported: {added:,} version{'s' if added != 1 else ''} added.")

    def trust_seal_key(self) -> str | None:
        return trust_from_file(self._window, self._store)

    def show_log(self) -> ImportLogDialog:
        dialog = ImportLogDialog(self._store, self._window, display_tz=self._display_tz())
        dialog.open()
        return dialog

    def stop(self) -> None:
        """Cancel and wait for any running export or import (before the window closes)."""
        for dialog in self._window.findChildren(ExchangeProgress):
            dialog.stop()
