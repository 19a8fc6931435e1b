"""The windows of the offline exchange: importing several bundles, and exporting one, with progress.

Both run their work in a :mod:`desktop.files.exchange_worker` thread and show a progress bar and a
Cancel button; the window stays usable. The import dialog lists what each bundle changed (added,
already here, in conflict, gaps) or why it was refused, in the words of the command line.
"""

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from db.exchange.export import ExportResult, NothingToExport
from db.exchange.importing import ImportResult
from db.exchange.seal_keys import opening_keys
from db.storage.store import Store
from desktop.files.exchange_worker import PERMILLE, ExportWorker, ImportWorker
from desktop.files.import_log_view import ImportLogDialog
from desktop.files.seal_prompt import keys_for_import
from desktop.widgets.last_folder import fresh_name, last_folder, remember_folder

BUNDLE_FILTER = "Truceline bundles (*.zip)"


class ExchangeProgress(QDialog):
    """A caption, a progress bar, a text of results, and Cancel / Close.

    Opened window-modal: the window keeps repainting while the worker runs, but no save can
    start meanwhile and wait on the import's write lock.
    """

    workDone = Signal()  # noqa: N815 (Qt naming) the worker stopped: finished, failed or cancelled

    def __init__(self, title: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Progress")
        self.results = QPlainTextEdit()
        self.results.setReadOnly(True)
        self.results.setAccessibleName("Results")
        self.cancel_button = QPushButton("Cancel")
        self.close_button = QPushButton("Close")
        self.close_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.close_button.clicked.connect(self.accept)
        self.buttons = QHBoxLayout()
        self.buttons.addStretch(1)
        self.buttons.addWidget(self.cancel_button)
        self.buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.progress)
        layout.addWidget(self.results, 1)
        layout.addLayout(self.buttons)
        self.resize(720, 360)
        self._worker: ImportWorker | ExportWorker | None = None

    @property
    def running(self) -> bool:
        return self._worker is not None and self._worker.isRunning()

    def cancel(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            self.cancel_button.setEnabled(False)
            self.cancel_button.setText("Stopping…")

    def wait(self) -> None:
        if self._worker is not None:
            self._worker.wait()

    def stop(self) -> None:
        """Cancel and wait: the window calls this before it closes, so no thread outlives it."""
        if self.running:
            self.cancel()
            self.wait()

    def _done(self) -> None:
        self.cancel_button.setEnabled(False)
        self.cancel_button.setText("Cancel")
        self.close_button.setEnabled(True)
        self.close_button.setDefault(True)
        self.close_button.setFocus()
        self.workDone.emit()

    def _say(self, line: str) -> None:
        self.results.appendPlainText(line)

    def reject(self) -> None:
        # Closing while the work runs stops it first: never leave a thread writing behind a closed window.
        self.stop()
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        self.stop()
        super().closeEvent(event)


class ImportDialog(ExchangeProgress):
    """Imports the chosen bundles in order and reports each; ``finishedAll(added)`` when it stops."""

    finishedAll = Signal(int)  # noqa: N815 (Qt naming) versions added in total

    def __init__(
        self,
        store: Store,
        files: list[Path],
        parent: QWidget | None = None,
        keys: Sequence[X25519PrivateKey] = (),
    ) -> None:
        super().__init__("Import bundles", parent)
        self._keys = tuple(keys) or opening_keys(store.device)
        self._store = store
        self._files = files
        self._added = 0
        self._conflicting = 0
        self._imported = 0
        self._refused = 0
        self._cancelled_any = False
        self.progress.setRange(0, PERMILLE * len(files))
        self.log_button = QPushButton("Import &log…")
        self.log_button.clicked.connect(self.show_log)
        self.buttons.insertWidget(0, self.log_button)
        self.status.setText(f"{len(files)} bundle{'s' if len(files) != 1 else ''} to import.")

    def show_log(self) -> ImportLogDialog:
        dialog = ImportLogDialog(self._store, self)
        dialog.open()
        return dialog

    def start(self) -> None:
        database = self._store.data.database
        worker = ImportWorker(database, self._store.calendar, self._files, self, self._keys)
        worker.fileStarted.connect(self._started)
        worker.progressed.connect(self._imported_so_far)
        worker.imported.connect(self._imported_one)
        worker.refused.connect(self._refused_one)
        worker.failed.connect(self._could_not_start)
        worker.stopped.connect(self._cancelled)
        worker.finished.connect(self._finished)
        self._worker = worker
        worker.start()

    def _started(self, index: int, name: str) -> None:
        self.status.setText(f"Verifying and importing {index + 1} of {len(self._files)}: {name}")

    def _imported_one(self, result: ImportResult) -> None:
        self._imported += 1
        self._added += result.added
        self._conflicting += result.conflicting
        self._say(f"✓ {result.summary()}")
        for gap in result.gaps:
            self._say(f"    gap: {gap}")

    def _imported_so_far(self, done: int, _total: int) -> None:
        self.progress.setValue(done)

    def _could_not_start(self, reason: str) -> None:
        self._refused_one("", reason)

    def _refused_one(self, name: str, reason: str) -> None:
        self._refused += 1
        self._say(f"✗ Refused {name}: {reason}" if name else f"✗ {reason}")

    def _cancelled(self, message: str) -> None:
        self._cancelled_any = True
        self._say(f"■ {message}")

    def _finished(self) -> None:
        text = (
            f"Imported {self._imported} of {len(self._files)} bundle{'s' if len(self._files) != 1 else ''}: "
            f"{self._added:,} version{'s' if self._added != 1 else ''} added"
        )
        if self._conflicting:
            text += f"; {self._conflicting:,} incident{'s' if self._conflicting != 1 else ''} in conflict (Review view)"
        if self._refused:
            text += f"; {self._refused} refused (nothing from them was applied)"
        self.status.setText(text + ".")
        if not self._cancelled_any:
            self.progress.setValue(self.progress.maximum())  # refused bundles are done with too
        self._done()
        self.finishedAll.emit(self._added)


class ExportDialog(ExchangeProgress):
    """Writes one bundle; when nothing is new, offers to export every version instead."""

    exportedTo = Signal(object)  # noqa: N815 (Qt naming) db.exchange.export.ExportResult

    def __init__(self, store: Store, out: Path, parent: QWidget | None = None) -> None:
        super().__init__("Export for exchange", parent)
        self._store = store
        self._out = out
        self.progress.setRange(0, PERMILLE)
        self.all_button = QPushButton("Export &all versions")
        self.all_button.setToolTip("Write every version this laptop holds, including those already sent")
        self.all_button.hide()
        self.all_button.clicked.connect(lambda: self.start(everything=True))
        self.buttons.insertWidget(0, self.all_button)
        self.results.hide()

    def start(self, everything: bool = False) -> None:
        self.all_button.hide()
        self.close_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        what = "every version" if everything else "the versions stored since the last bundle"
        self.status.setText(f"Writing {what} to {self._out} and verifying it…")
        worker = ExportWorker(self._store.data.database, self._store.device, self._out, everything, self)
        # Reading, writing and verifying each fill a third of the bar (db.exchange.export._Progress).
        self.progress.setValue(0)
        worker.progressed.connect(self._written_so_far)
        worker.succeeded.connect(self._succeeded)
        worker.failed.connect(self._failed)
        worker.finished.connect(self._done)
        self._worker = worker
        worker.start()

    def _written_so_far(self, done: int, total: int) -> None:
        self.progress.setValue(PERMILLE * done // max(total, 1))

    def _succeeded(self, result: ExportResult | NothingToExport) -> None:
        if isinstance(result, NothingToExport):
            self._nothing_new(str(result))
        else:
            self._exported(result)

    def _exported(self, result: ExportResult) -> None:
        self.status.setText(f"{result.summary()}. Verified after writing: carry it to the other laptop.")
        self.exportedTo.emit(result)

    def _nothing_new(self, message: str) -> None:
        self.status.setText(f"{message[0].upper()}{message[1:]}. Export every version instead?")
        self.all_button.show()

    def _failed(self, message: str) -> None:
        self.status.setText(f"No bundle was written: {message}")


def start_export(parent: QWidget, store: Store, callsign: str) -> ExportDialog | None:
    """File → Export for exchange…: ask where (a USB stick), then write and verify off the GUI thread."""
    name = callsign.lower() or "truceline"
    suggested = fresh_name(f"truceline-{name}", ".zip", datetime.now(store.tz))
    chosen, _filter = QFileDialog.getSaveFileName(parent, "Export for exchange", str(suggested), BUNDLE_FILTER)
    if not chosen:
        return None
    remember_folder(Path(chosen))
    out = Path(chosen)
    if out.suffix.lower() != ".zip":
        out = out.with_name(out.name + ".zip")
    dialog = ExportDialog(store, out, parent)
    dialog.open()
    dialog.start()
    return dialog


def start_import(parent: QWidget, store: Store) -> ImportDialog | None:
    """File → Import bundles…: choose one or more files, then import them in order off the GUI thread."""
    chosen, _filter = QFileDialog.getOpenFileNames(
        parent, "Import bundles", str(last_folder()), f"{BUNDLE_FILTER};;All files (*)"
    )
    if not chosen:
        return None
    remember_folder(Path(chosen[0]))
    files = [Path(name) for name in chosen]
    keys = keys_for_import(parent, store, files)
    if keys is None:
        return None
    dialog = ImportDialog(store, files, parent, keys)
    dialog.open()
    dialog.start()
    return dialog
