"""Rolling backups while the window is open, and one when it closes.

Every :data:`INTERVAL_MINUTES` a worker thread takes a verified backup on its own connection if
the data changed since the newest backup (db.storage.backup.rolling_backup), so the window never waits
for it. The status bar shows when the last verified backup was made: a monitor can see at a
glance that today's records are safe beyond the database file.
"""

import logging
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from PySide6.QtCore import QEventLoop, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QProgressDialog, QWidget

from db.storage.backup import BackupInfo, list_backups, make_backup, rolling_backup
from db.storage.connection import connect
from db.storage.paths import DataDir
from desktop.widgets.background_task import BackgroundTask, Cancelled, Progress

log = logging.getLogger(__name__)

INTERVAL_MINUTES = 10
MANUAL = "manual"  # the label of a backup a person asked for: always taken, never thinned
EXIT_NOTICE_MS = 500  # a closing backup longer than this is shown in a window


class BackupWorker(BackgroundTask):
    """Takes a backup on its own connection; ``succeeded`` carries the BackupInfo, or None when nothing changed.

    Labels other than "manual" are rolling backups, taken only if the data changed. Cancel (the
    person chose to close without waiting) ends it with ``failed("")``.
    """

    def __init__(self, data_dir: Path, label: str, parent: QObject | None = None) -> None:
        super().__init__(parent=parent)
        self._data = DataDir(data_dir)
        self._label = label

    def work(self, progress: Progress) -> BackupInfo | None:
        def report(done: int, total: int) -> None:
            if not progress(done, total):
                raise Cancelled

        conn = connect(self._data.database, readonly=True)
        try:
            if self._label == MANUAL:
                return make_backup(conn, self._data.backups, MANUAL, report)
            return rolling_backup(conn, self._data.backups, self._label, report)
        finally:
            conn.close()


class BackupSchedule(QObject):
    """The rolling schedule and the status-bar label saying when the last verified backup was made."""

    backupFailed = Signal(str)  # noqa: N815 (Qt signal naming) a scheduled backup failed
    manualDone = Signal(object)  # noqa: N815 the BackupInfo of a backup a person asked for
    backedUp = Signal(object)  # noqa: N815 any backup ended well: its BackupInfo, or None when nothing changed
    manualFailed = Signal(str)  # noqa: N815 why a backup a person asked for was not made

    def __init__(self, data_dir: Path, tz: ZoneInfo, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._data_dir = data_dir
        self._tz = tz
        self._worker: BackupWorker | None = None
        self.label = QLabel()
        self.label.setObjectName("last_backup")
        self._timer = QTimer(self)
        self._timer.setInterval(INTERVAL_MINUTES * 60 * 1000)
        self._timer.timeout.connect(self.backup_if_changed)
        self._timer.start()
        self.show_last_backup()

    def set_display_tz(self, tz: ZoneInfo) -> None:
        self._tz = tz
        self.show_last_backup()

    def show_last_backup(self) -> None:
        backups = list_backups(DataDir(self._data_dir).backups)
        if not backups:
            self.label.setText("No backup yet")
            self.label.setToolTip("No verified backup of this laptop's data exists yet: use File → Back up now.")
            return
        newest = backups[0]
        self.label.setText(f"Last backup {_when(newest, self._tz)}")
        self.label.setToolTip(f"Newest verified backup: {newest.path}")

    def backup_now(self) -> BackupWorker | None:
        """Start a backup a person asked for (taken even if nothing changed) off the GUI thread."""
        return self.backup_if_changed(MANUAL)

    def backup_if_changed(self, label: str = "auto") -> BackupWorker | None:
        """Start a background backup unless one is running; returns its worker.

        Its result is connected before it starts (a failure can come before this returns): a
        backup a person asked for ends in ``manualDone`` or ``manualFailed``, a scheduled one that
        failed in ``backupFailed``.
        """
        if self._worker is not None and self._worker.isRunning():
            return None
        worker = BackupWorker(self._data_dir, label, self)
        if label == MANUAL:
            worker.succeeded.connect(self._manual_backed_up)
            worker.failed.connect(self.manualFailed)
        else:
            worker.succeeded.connect(self._backed_up)
            worker.failed.connect(self._report_failure)
        self._worker = worker
        worker.start()
        return worker

    def _backed_up(self, info: BackupInfo | None) -> None:
        self.show_last_backup()
        self.backedUp.emit(info)

    def _manual_backed_up(self, info: BackupInfo) -> None:
        self._backed_up(info)
        self.manualDone.emit(info)

    def _report_failure(self, text: str) -> None:
        if text:  # "" is a cancelled backup: nothing to report
            self.backupFailed.emit(text)

    def stop(self) -> None:
        """No more scheduled backups; waits for one that is running (it is never cut short)."""
        self._timer.stop()
        if self._worker is not None:
            self._worker.wait()

    def backup_at_exit(self, parent: QWidget | None = None) -> str:
        """A last backup if anything changed, with a progress dialog; returns the error text, if any."""
        self.stop()
        worker = BackupWorker(self._data_dir, "exit", self)
        dialog = QProgressDialog(
            "Taking a verified backup before closing (seconds, or a minute on a large database)…",
            "Close without backup",
            0,
            0,
            parent,
        )
        dialog.setWindowTitle("Backing up")
        dialog.setWindowModality(Qt.WindowModality.ApplicationModal)
        dialog.setMinimumDuration(700)
        loop = QEventLoop()
        shown = _ProgressShown(dialog)
        worker.progressed.connect(shown.show)
        worker.failed.connect(shown.failed)
        worker.finished.connect(loop.quit)
        dialog.canceled.connect(worker.cancel)
        worker.start()
        # Shown after a moment whether or not progress was reported yet: quitting must never look
        # like a hang with no window (a large database takes seconds).
        notice = QTimer(dialog)
        notice.setSingleShot(True)
        notice.timeout.connect(dialog.show)
        notice.start(EXIT_NOTICE_MS)
        loop.exec()
        notice.stop()
        worker.wait()
        dialog.close()
        return next((e for e in shown.errors if e), "")


class _ProgressShown(QObject):
    """The exit backup's progress and errors, received on the GUI thread."""

    def __init__(self, dialog: QProgressDialog) -> None:
        super().__init__(dialog)
        self._dialog = dialog
        self.errors: list[str] = []

    def show(self, done: int, total: int) -> None:
        self._dialog.setMaximum(total)
        self._dialog.setValue(done)

    def failed(self, text: str) -> None:
        self.errors.append(text)


def _when(backup: BackupInfo, tz: ZoneInfo) -> str:
    local = backup.taken_at.astimezone(tz)
    today = datetime.now(tz).date()
    if local.date() == today:
        return f"today {local:%H:%M}"
    return f"{local:%Y-%m-%d %H:%M}"
