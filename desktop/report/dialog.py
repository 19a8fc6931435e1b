"""File → Report…: choose the period, see the report, then save it as PDF or HTML.

The content is assembled on a background thread with its own read-only connection (a quarter on
a million incidents takes a few seconds), with a progress bar and Cancel; the chart, the map and
the preview are then drawn on the GUI thread. Nothing is written until the user saves, and the
file is written whole or not at all.
"""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from PySide6.QtCore import QDate, QSettings, QSize, Qt, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut, QTextDocument
from PySide6.QtWidgets import (
    QCheckBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from db.core.atomic_file import why_not_written
from db.records.queries import IncidentFilter
from db.report.content import Report, ReportRequest, build_report, last_complete_reporting_day
from db.report.text import describe_filter
from db.storage import paths
from db.storage.connection import connect
from db.storage.store import Store
from desktop.report.document import text_document, write_report
from desktop.report.figures import Figures
from desktop.report.produce import author_of, figures_of, format_of, marking_of
from desktop.widgets.background_task import BackgroundTask, Progress, cancel_or_close, show_progress
from desktop.widgets.last_folder import last_folder
from desktop.widgets.save_file import choose_file, target_to_write
from desktop.widgets.screen_fit import fit_to_screen

FILE_FILTER = "PDF document (*.pdf);;HTML file, self-contained (*.html);;Word document, to edit (*.docx)"


class ReportDialog(QDialog):
    """Period, scope and marking; Preview shows the report; Save writes it. ``saved(path)`` after a save."""

    saved = Signal(object)  # pathlib.Path

    def __init__(
        self,
        store: Store,
        settings: QSettings,
        flt: IncidentFilter,
        period: tuple[date | None, date | None] = (None, None),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Report")
        self._store = store
        self._flt = IncidentFilter(
            zone_ids=flt.zone_ids,
            sector_ids=flt.sector_ids,
            categories=flt.categories,
            weapon_classes=flt.weapon_classes,
            states=flt.states,
            text=flt.text,
            conflicts_only=flt.conflicts_only,
        )
        self._bar_period = period
        self.task: BackgroundTask | None = None
        self.report: Report | None = None
        self._figures: Figures | None = None
        self._document: QTextDocument | None = None  # the preview's; QTextBrowser does not own it

        last = last_complete_reporting_day(datetime.now(UTC), store.calendar)
        self.first = _date_edit(last)
        self.last = _date_edit(last)
        self.first.setAccessibleName("First day")
        self.last.setAccessibleName("Last day")
        day = QPushButton("Last reporting &day")
        day.clicked.connect(lambda: self.set_period(last, last))
        week = QPushButton("Last &7 days")
        week.clicked.connect(lambda: self.set_period(last - timedelta(days=6), last))
        bar = QPushButton("Filter &bar's period")
        bar.setEnabled(all(period))
        bar.clicked.connect(lambda: self.set_period(*self._bar_period))  # type: ignore[arg-type]
        dates = QHBoxLayout()
        for widget in (self.first, QLabel("to"), self.last, day, week, bar):
            dates.addWidget(widget)
        dates.addStretch(1)
        cutoff = store.calendar.cutoff
        self.reporting_days = QCheckBox(f"Reporting days (each ends at {cutoff:%H:%M} {store.tz.key})")
        self.reporting_days.setChecked(True)
        scope = describe_filter(self._flt)
        self.use_filter = QCheckBox(f"The filter bar's selection: {scope[5:-1]}" if scope else "The whole theatre")
        self.use_filter.setChecked(bool(scope))
        self.use_filter.setEnabled(bool(scope))
        self.marking = QLineEdit(marking_of(settings))
        self.marking.setToolTip("Printed at the top of every page; the default is chosen in Settings.")
        form = QFormLayout()
        period_label = QLabel("&Period:")
        period_label.setBuddy(self.first)
        form.addRow(period_label, dates)
        form.addRow("", self.reporting_days)
        form.addRow("Scope:", self.use_filter)
        form.addRow("&Marking:", self.marking)

        self.preview = QTextBrowser()
        self.preview.setAccessibleName("Report preview")
        self.preview.setOpenLinks(False)
        self.preview.setMinimumSize(560, 280)  # grows with the dialog; a 768-pixel screen must hold it whole
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.message = QLabel("Press Preview to assemble the report.")
        self.message.setWordWrap(True)
        self.buttons = QDialogButtonBox()
        self.preview_button = self.buttons.addButton("&Preview", QDialogButtonBox.ButtonRole.ActionRole)
        self.save_button = self.buttons.addButton("&Save…", QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.save_button.setEnabled(False)
        self.preview_button.setDefault(True)
        self.preview_button.clicked.connect(self.start)
        self.save_button.clicked.connect(self._choose_and_save)
        self.cancel_button.clicked.connect(self.cancel)
        QShortcut(QKeySequence("Ctrl+S"), self, self._choose_and_save)
        for widget in (self.first, self.last):
            widget.dateChanged.connect(self._stale)
        for box in (self.reporting_days, self.use_filter):
            box.toggled.connect(self._stale)
        self.marking.textChanged.connect(self._stale)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.preview, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        fit_to_screen(self, QSize(900, 760))

    # -- period ------------------------------------------------------------------------------

    def set_period(self, first: date, last: date) -> None:
        self.first.setDate(QDate(first.year, first.month, first.day))
        self.last.setDate(QDate(last.year, last.month, last.day))

    def request(self) -> ReportRequest:
        first, last = self.first.date().toPython(), self.last.date().toPython()
        assert isinstance(first, date) and isinstance(last, date)
        flt = self._flt if self.use_filter.isChecked() else IncidentFilter()
        return ReportRequest(first, last, reporting_days=self.reporting_days.isChecked(), flt=flt)

    # -- assembling --------------------------------------------------------------------------

    def start(self) -> None:
        """Assemble the report in the background; the preview follows when it is done."""
        request = self.request()
        if request.first > request.last:
            self.message.setText("The first day is after the last day: choose the period again.")
            self.first.setFocus()
            return
        database = self._store.data_dir / paths.DATABASE_NAME
        theatre, device = self._store.theatre, self._store.device.device_id
        author, marking = author_of(self._store), self.marking.text()

        def work(progress: Progress) -> Report:
            conn = connect(database, readonly=True)
            try:
                return build_report(
                    conn, theatre, request, author=author, device_id=device, marking=marking, progress=progress
                )
            finally:
                conn.close()

        self.task = BackgroundTask(work, self)
        self.task.progressed.connect(self._show_progress)
        self.task.succeeded.connect(self._assembled)
        self.task.failed.connect(self._failed)
        self._set_running(True)
        self.message.setText("Assembling the report…")
        self.task.start()

    def cancel(self) -> None:
        cancel_or_close(self, self.task, self.message.setText)

    def _show_progress(self, done: int, total: int) -> None:
        show_progress(self.progress, done, total)

    def _assembled(self, report: Report) -> None:
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            self._figures = figures_of(self._store, report)
            self._document = text_document(report, self._figures)
            self.preview.setDocument(self._document)
        finally:
            QGuiApplication.restoreOverrideCursor()
        self.report = report
        self._set_running(False)
        self.progress.setValue(self.progress.maximum())
        self.save_button.setEnabled(True)
        self.save_button.setDefault(True)
        self.message.setText(
            f"{report.title}, {report.period_text}: {len(report.notable)} notable incident"
            f"{'' if len(report.notable) == 1 else 's'}. Save writes it as PDF or HTML."
        )

    def _failed(self, message: str) -> None:
        self._set_running(False)
        self.message.setText(message[:1].upper() + message[1:])

    def _stale(self) -> None:
        """A changed choice makes the preview out of date: it must be assembled again before saving."""
        if self.report is not None:
            self.report = None
            self.save_button.setEnabled(False)
            self.preview_button.setDefault(True)
            self.message.setText("The choices changed: press Preview again.")

    def _set_running(self, running: bool) -> None:
        self.progress.setVisible(True)
        for widget in (self.preview_button, self.first, self.last, self.reporting_days, self.use_filter):
            widget.setEnabled(not running)
        self.use_filter.setEnabled(not running and bool(describe_filter(self._flt)))
        self.cancel_button.setText("Cancel" if running else "Close")

    # -- saving ------------------------------------------------------------------------------

    def _choose_and_save(self) -> None:
        if self.report is None:
            return
        suggested = last_folder() / f"truceline-report-{self.report.request.last.isoformat()}.pdf"
        chosen = choose_file(self, "Save report", suggested, FILE_FILTER)
        if chosen is not None:
            self.save_to(chosen)

    def save_to(self, path: Path) -> bool:
        """Write the previewed report to ``path`` (PDF, HTML or DOCX by its suffix; PDF without one), asking
        before replacing a file; False with a message when nothing was written."""
        if self.report is None or self._figures is None:
            self.message.setText("Press Preview first: only a report you have seen is saved.")
            return False
        target = target_to_write(self, path, ".pdf", "this report")
        if target is None:
            self.message.setText("Not saved: choose another file name.")
            return False
        fmt = format_of(target, None)
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            pages = write_report(self.report, self._figures, target, fmt)
        except OSError as error:
            self.message.setText(f"The report was not saved to {target}: {why_not_written(error)}.")
            return False
        finally:
            QGuiApplication.restoreOverrideCursor()
        extent = f"{pages} page{'s' if pages != 1 else ''}" if fmt == "pdf" else fmt.upper()
        self.message.setText(f"Saved {target} ({extent}).")
        self.saved.emit(target)
        return True

    def done(self, result: int) -> None:  # noqa: D401 (Qt override)
        """Closing the dialog cancels a running assembly and waits for it to stop."""
        if self.task is not None and self.task.isRunning():
            self.task.cancel()
            self.task.wait()
        super().done(result)


def _date_edit(day: date) -> QDateEdit:
    edit = QDateEdit(QDate(day.year, day.month, day.day))
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    return edit
