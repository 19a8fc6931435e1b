"""Stop the window the moment SQLite reports damage, instead of showing blank rows or crashing.

A corrupt page or a failing disk can surface anywhere: a page of the table, a save, a worker's
import, an idle checkpoint. Wherever it is met, the guard hears of it (through ``db.storage.damage``'s
listeners for errors that were caught and shown, and through ``sys.excepthook`` for those that were
not), and once, on the GUI thread: makes the store's connection read-only, notes the damage in the
data directory (so the next start offers the restore), and emits :attr:`DamageGuard.damaged`. The
window then hides every record, disables every action that writes, and says in one sentence what
happened and where the records are. Open forms keep their drafts: their save fails and the draft
file stays for the next start.
"""

import html
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QMainWindow, QPushButton, QVBoxLayout, QWidget

from db.core.sql_driver import sqlite3
from db.storage import damage
from db.storage.backup import list_backups
from db.storage.paths import DataDir
from db.storage.store import Store


class DamageGuard(QObject):
    """Listens for damage reports from any thread; acts once, on the thread it lives in."""

    damaged = Signal(str)
    _seen = Signal(str)  # emitted from any thread, delivered queued to the guard's thread

    def __init__(self, store: Store, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self.what: str | None = None
        self._seen.connect(self._on_seen)
        self._previous_hook = sys.excepthook
        damage.add_listener(self._seen.emit)
        sys.excepthook = self._excepthook

    @property
    def stopped(self) -> bool:
        return self.what is not None

    def uninstall(self) -> None:
        """Stop listening (the window closes); a later window installs its own guard."""
        damage.remove_listener(self._seen.emit)
        if sys.excepthook == self._excepthook:
            sys.excepthook = self._previous_hook

    def _excepthook(self, kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
        if damage.damage_seen(error):
            return  # handled: the window says what happened in words, not a traceback
        self._previous_hook(kind, error, trace)

    @Slot(str)
    def _on_seen(self, what: str) -> None:
        if self.what is not None:
            return
        self.what = what
        try:
            self._store.conn.execute("PRAGMA query_only = ON")  # nothing more reaches the file from here
        except sqlite3.Error:
            pass  # a connection that cannot take a pragma cannot write either
        damage.record_damage(self._store.data_dir, what)
        self.damaged.emit(what)


class StoppedPanel(QWidget):
    """What the window shows instead of the records once damage was found."""

    def __init__(self, what: str, data_dir: Path, close: Callable[[], object], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        backups = list_backups(DataDir(data_dir).backups)
        where = f"the latest verified backup ({backups[0].path.name})" if backups else "the bundles this laptop sent"
        self.message = QLabel(
            "<h2>Truceline has stopped writing to this database</h2>"
            f"<p>The database reported damage: <i>{html.escape(what)}</i>. Nothing more will be written to it, "
            "and the records are hidden so that nothing damaged is shown as if it were true.</p>"
            f"<p>The records saved so far are in {html.escape(where)} and in the bundles this laptop sent. "
            "A form you were typing is kept as a draft and is offered again at the next start.</p>"
            "<p>Close Truceline. At the next start it offers to keep the damaged file aside (it is never deleted) "
            "and to restore the latest verified backup.</p>"
        )
        self.message.setWordWrap(True)
        self.message.setMaximumWidth(self.fontMetrics().averageCharWidth() * 90)
        self.message.setTextFormat(Qt.TextFormat.RichText)
        self.message.setAccessibleName("Database damaged")
        self.close_button = QPushButton("&Close Truceline")
        self.close_button.clicked.connect(close)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self.message, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)
        layout.setContentsMargins(48, 24, 48, 24)


def stop_window(
    window: QMainWindow, what: str, data_dir: Path, hide: Sequence[QWidget], keep: Sequence[QAction]
) -> StoppedPanel:
    """Hide ``hide``, disable every action but ``keep``, and put the panel in the central layout."""
    for widget in hide:
        widget.hide()
    for action in window.findChildren(QAction):
        if action not in keep:
            action.setEnabled(False)
    panel = StoppedPanel(what, data_dir, window.close, window)
    central = window.centralWidget()
    layout = central.layout() if central is not None else None
    if layout is not None:
        layout.addWidget(panel)
    panel.show()
    window.statusBar().showMessage("Stopped: the database reported damage. Nothing more is written to it.")
    panel.close_button.setFocus()
    return panel
