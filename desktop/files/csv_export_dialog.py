"""File → Export CSV…: the incidents the filter bar selects, to a native or ACLED-compatible CSV.

The export runs on its own read-only connection in a background thread, so the window stays
usable and Cancel works; :func:`db.csv_io.export.export_csv` writes to a temporary file and renames
it, so Cancel or an error never leaves a partial file under the chosen name.
"""

from datetime import datetime
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from db.csv_io.columns import PRESET_LABELS, PRESETS
from db.csv_io.export import ExportResult, export_csv
from db.model.display import counted
from db.records.queries import IncidentFilter, count_incidents
from db.storage import paths
from db.storage.connection import connect
from db.storage.store import Store
from desktop.widgets.background_task import BackgroundTask, Progress, cancel_or_close, show_progress
from desktop.widgets.last_folder import fresh_name
from desktop.widgets.save_file import choose_file, target_to_write

FORMAT_LABELS = {
    "native": "Truceline native (lossless; can be imported again)",
    "acled": "ACLED-compatible (codebook columns, for analysis)",
}


class CsvExportDialog(QDialog):
    """Format, column preset, BOM and file; then a progress bar and Cancel while it writes."""

    exported = Signal(object)  # ExportResult

    def __init__(self, store: Store, flt: IncidentFilter, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export CSV")
        self._store = store
        self._filter = flt
        self.task: BackgroundTask | None = None
        total = count_incidents(store.conn, flt)
        self.scope = QLabel(
            f"Exports the {total:,} incident{'s' if total != 1 else ''} the filter bar selects, oldest first."
        )
        self.format = QComboBox()
        for key, label in FORMAT_LABELS.items():
            self.format.addItem(label, key)
        self.preset = QComboBox()
        for key, label in PRESET_LABELS.items():
            self.preset.addItem(label, key)
        self.bom = QCheckBox("Start with a byte order mark (Excel then reads Cyrillic correctly)")
        self.bom.setChecked(True)
        self.path = QLineEdit(str(fresh_name("truceline-export", ".csv", datetime.now(store.tz))))
        self.path.setAccessibleName("File to write")
        choose = QPushButton("Choose…")
        choose.clicked.connect(self._choose)
        where = QHBoxLayout()
        where.addWidget(self.path, 1)
        where.addWidget(choose)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.buttons = QDialogButtonBox()
        self.export_button = self.buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.export_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.format.currentIndexChanged.connect(self._format_changed)

        form = QFormLayout()
        form.addRow("Format", self.format)
        form.addRow("Columns", self.preset)
        form.addRow("", self.bom)
        form.addRow("File", where)
        layout = QVBoxLayout(self)
        layout.addWidget(self.scope)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

    def _format_changed(self) -> None:
        self.preset.setEnabled(self.format.currentData() == "native")

    def _choose(self) -> None:
        chosen = choose_file(self, "Export CSV", Path(self.path.text()), "CSV files (*.csv)")
        if chosen is not None:
            self.path.setText(str(chosen))

    def start(self) -> None:
        """Begin writing in the background; the dialog shows progress until it ends."""
        text = self.path.text().strip()
        if not text:
            self.message.setText("Choose a file to write.")
            return
        target = target_to_write(self, Path(text), ".csv", "this export")
        if target is None:
            self.message.setText("Not exported: choose another file name.")
            return
        fmt = self.format.currentData()
        columns = PRESETS[self.preset.currentData()] if fmt == "native" else None
        flt, bom, tz = self._filter, self.bom.isChecked(), self._store.tz
        database = self._store.data_dir / paths.DATABASE_NAME

        def work(progress: Progress) -> ExportResult:
            conn = connect(database, readonly=True)
            try:
                return export_csv(conn, flt, target, tz=tz, fmt=fmt, bom=bom, columns=columns, progress=progress)
            finally:
                conn.close()

        self.task = BackgroundTask(work, self)
        self.task.progressed.connect(self._show_progress)
        self.task.succeeded.connect(self._done)
        self.task.failed.connect(self._failed)
        self._set_running(True)
        self.message.setText(f"Writing {target}…")
        self.task.start()

    def cancel(self) -> None:
        cancel_or_close(self, self.task, self.message.setText)

    def _show_progress(self, done: int, total: int) -> None:
        show_progress(self.progress, done, total)

    def _done(self, result: ExportResult) -> None:
        self._set_running(False)
        self.progress.setValue(self.progress.maximum())
        self.message.setText(f"Exported {counted(result.rows, 'incident')} to {result.path}.")
        self.cancel_button.setText("Close")
        self.exported.emit(result)

    def _failed(self, message: str) -> None:
        self._set_running(False)
        self.message.setText(message[:1].upper() + message[1:])

    def _set_running(self, running: bool) -> None:
        self.progress.setVisible(True)
        for widget in (self.export_button, self.format, self.preset, self.bom, self.path):
            widget.setEnabled(not running)
        if not running:
            self._format_changed()

    def done(self, result: int) -> None:  # noqa: D401 (Qt override)
        """Closing the dialog cancels a running export and waits for its clean-up."""
        if self.task is not None and self.task.isRunning():
            self.task.cancel()
            self.task.wait()
        super().done(result)
