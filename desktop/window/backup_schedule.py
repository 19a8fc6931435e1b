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

from PySide6.QtCore import QEventLoop, QObject, Qt, QThread, QTimer, Signal
from PySide6.QtWidgets import QLabel, QProgressDialog, QWidget

from db.core.errors import TrucelineError
from db.core.sql_driver import sqlite3
from db.storage import paths
from db.storage.backup import BackupInfo, list_backups, make_backup, rolling_backup
from db.storage.connection import connect
from db.storage.damage import damage_seen

log = logging.getLogger(__name__)

INTERVAL_MINUTES = 10
MANUAL = "manual"  # the label of a backup a person asked for: always taken, never thinned
EXIT_NOTICE_MS = 500  # a closing backup longer than this is shown in a window


class BackupCancelled(Exception):
    """The user chose not to wait for the backup at exit."""


class BackupWorker(QThread):
    """Takes a backup on its own connection; reports progress, the result or the error.

    Labels other than "manual" are rolling backups, taken only if the data changed.
    """

    progressed = Signal(int, int)
    succeeded = Signal(object)  # BackupInfo, or None when nothing changed
    failed = Signal(str)

    def __init__(self, data_dir: Path, label: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._data_dir = data_dir
        self._label = label
        self.cancelled = False

    def run(self) -> None:
        try:
            conn = connect(self._data_dir / paths.DATABASE_NAME, readonly=True)
            try:
                backups = self._data_dir / "backups"
                if self._label == MANUAL:
                    info: BackupInfo | None = make_backup(conn, backups, MANUAL, self._progress)
                else:
                    info = rolling_backup(conn, backups, self._label, self._progress)
            finally:
                conn.close()
        except BackupCancelled:
            self.failed.emit("")
            return
        except (TrucelineError, sqlite3.Error) as error:
            damage_seen(error)
            log.warning("the %s backup failed: %s", self._label, error)
            self.failed.emit(str(error))
            return
        self.succeeded.emit(info)

    def _progress(self, done: int, total: int) -> None:
        if self.cancelled:
            raise BackupCancelled
        self.progressed.emit(done, total)


class BackupSchedule(QObject):
    """The rolling schedule and the status-bar label saying when the last verified backup was made."""

    backupFailed = Signal(str)  # noqa: N815 (Qt signal naming)

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
        backups = list_backups(self._data_dir / "backups")
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
        """Start a background backup unless one is running; returns its worker."""
        if self._worker is not None and self._worker.isRunning():
            return None
        worker = BackupWorker(self._data_dir, label, self)
        worker.succeeded.connect(lambda _info: self.show_last_backup())
        if label != MANUAL:  # a person who asked is answered by the window itself
            worker.failed.connect(self._report_failure)
        self._worker = worker
        worker.start()
        return worker

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
        errors: list[str] = []
        loop = QEventLoop()
        worker.progressed.connect(lambda done, total: _show_progress(dialog, done, total))
        worker.failed.connect(errors.append)
        worker.finished.connect(loop.quit)
        dialog.canceled.connect(lambda: setattr(worker, "cancelled", True))
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
        return next((e for e in errors if e), "")


def _show_progress(dialog: QProgressDialog, done: int, total: int) -> None:
    dialog.setMaximum(total)
    dialog.setValue(done)


def _when(backup: BackupInfo, tz: ZoneInfo) -> str:
    local = backup.taken_at.astimezone(tz)
    today = datetime.now(tz).date()
    if local.date() == today:
        return f"today {local:%H:%M}"
    return f"{local:%Y-%m-%d %H:%M}"
