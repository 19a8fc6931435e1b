"""File → Import CSV…: check a native CSV first (a dry run), show what it would do, then import it.

The preview lists how many incidents would be added, how many are already held, how many would
become conflicts, and every problem as line, column, value and reason, before anything is
written. The import itself is all or nothing. Both run in a background thread on their own
connection, with progress and Cancel.
"""

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from db.csv_io.importing import CsvImportError, ImportSummary, import_csv
from db.records.monitors import Monitor
from db.storage import paths
from db.storage.connection import connect
from db.storage.store import Store
from desktop.widgets.background_task import BackgroundTask, Progress, cancel_or_close, show_progress
from desktop.widgets.last_folder import last_folder, remember_folder

PROBLEM_HEADERS = ("Line", "Column", "Value", "Reason")


class CsvImportDialog(QDialog):
    """Choose a file, read the preview, then Import (enabled only when the file has no problem)."""

    imported = Signal(object)  # ImportSummary

    def __init__(self, store: Store, profile: Monitor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import CSV")
        self.resize(760, 480)
        self._store = store
        self._profile = profile
        self.task: BackgroundTask | None = None
        self.preview: ImportSummary | None = None
        self.path = QLineEdit()
        self.path.setPlaceholderText("A Truceline native CSV export")
        self.path.setAccessibleName("File to import")
        self.path.textChanged.connect(self._forget_preview)
        choose = QPushButton("Choose…")
        choose.clicked.connect(self._choose)
        where = QHBoxLayout()
        where.addWidget(self.path, 1)
        where.addWidget(choose)
        self.summary = QLabel("Choose a file, then Check it: nothing is written until you press Import.")
        self.summary.setWordWrap(True)
        self.problems = QTableWidget(0, len(PROBLEM_HEADERS))
        self.problems.setHorizontalHeaderLabels(PROBLEM_HEADERS)
        self.problems.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.problems.verticalHeader().hide()
        self.problems.horizontalHeader().setStretchLastSection(True)
        self.problems.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.problems.setAccessibleName("Problems found in the file")
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.buttons = QDialogButtonBox()
        self.check_button = self.buttons.addButton("Check file", QDialogButtonBox.ButtonRole.ActionRole)
        self.import_button = self.buttons.addButton("Import", QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.import_button.setEnabled(False)
        self.check_button.clicked.connect(lambda: self._run(dry_run=True))
        self.import_button.clicked.connect(lambda: self._run(dry_run=False))
        self.cancel_button.clicked.connect(self.cancel)

        layout = QVBoxLayout(self)
        layout.addLayout(where)
        layout.addWidget(self.summary)
        layout.addWidget(self.problems, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.buttons)

    def _choose(self) -> None:
        kinds = "CSV files (*.csv);;All files (*)"
        start = self.path.text() or str(last_folder())
        chosen, _ = QFileDialog.getOpenFileName(self, "Import CSV", start, kinds)
        if chosen:
            remember_folder(Path(chosen))
            self.path.setText(chosen)
            self._run(dry_run=True)

    def _forget_preview(self) -> None:
        self.preview = None
        self.import_button.setEnabled(False)

    def _run(self, *, dry_run: bool) -> None:
        text = self.path.text().strip()
        if not text:
            self.summary.setText("Choose a file to import.")
            return
        source = Path(text).expanduser()
        store, writer = self._store, self._store.writer(self._profile.monitor_id)
        database = store.data_dir / paths.DATABASE_NAME

        def work(progress: Progress) -> ImportSummary:
            conn = connect(database)
            try:
                return import_csv(
                    conn,
                    writer,
                    source,
                    theatre=store.theatre,
                    calendar=store.calendar,
                    dry_run=dry_run,
                    progress=progress,
                )
            except CsvImportError as error:
                return error.summary
            finally:
                conn.close()

        self.task = BackgroundTask(work, self)
        self.task.progressed.connect(self._show_progress)
        self.task.succeeded.connect(self._finished)
        self.task.failed.connect(self._failed)
        self._set_running(True)
        self.summary.setText(f"{'Checking' if dry_run else 'Importing'} {source.name}…")
        self.task.start()

    def cancel(self) -> None:
        cancel_or_close(self, self.task, self.summary.setText)

    def _show_progress(self, done: int, total: int) -> None:
        show_progress(self.progress, done, total)

    def _finished(self, summary: ImportSummary) -> None:
        self._set_running(False)
        self.progress.setValue(self.progress.maximum())
        self._show_problems(summary)
        if summary.dry_run:
            self.preview = summary
            ready = summary.ok and summary.added + summary.conflicting > 0
            self.import_button.setEnabled(ready)
            self.summary.setText(summary.as_text() + ("." if summary.ok else ". Correct the file and check it again."))
            return
        self.preview = None
        if summary.ok:
            self.summary.setText(summary.as_text() + ".")
            self.cancel_button.setText("Close")
            self.imported.emit(summary)
        else:
            self.summary.setText(summary.as_text() + ".")

    def _show_problems(self, summary: ImportSummary) -> None:
        self.problems.setRowCount(len(summary.problems))
        for row, problem in enumerate(summary.problems):
            for column, value in enumerate((str(problem.line), problem.column, problem.value, problem.reason)):
                self.problems.setItem(row, column, QTableWidgetItem(value))

    def _failed(self, message: str) -> None:
        self._set_running(False)
        self.import_button.setEnabled(False)
        self.summary.setText(message[:1].upper() + message[1:])

    def _set_running(self, running: bool) -> None:
        self.progress.setVisible(True)
        self.check_button.setEnabled(not running)
        self.path.setEnabled(not running)
        if running:
            self.import_button.setEnabled(False)

    def done(self, result: int) -> None:
        """Closing the dialog cancels running work (an import then writes nothing) and waits for it."""
        if self.task is not None and self.task.isRunning():
            self.task.cancel()
            self.task.wait()
        super().done(result)
