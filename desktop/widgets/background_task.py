"""The one way the window works off the GUI thread: a BackgroundTask (ARCHITECTURE.md §8).

The work is a plain function (or a subclass's :meth:`BackgroundTask.work`) that takes a progress
callback ``(done, total) -> keep going``, the same callback the ``db`` functions accept from the
command line; here it turns into a Qt signal, and it answers False once Cancel was pressed, so the
``db`` function stops and cleans up itself. The work opens its own connection when it needs the
database and never touches a widget; results leave by signals, which Qt queues to the GUI thread.

Every task is a child of the widget that started it, so the window's shutdown finds them all
(``findChildren(BackgroundTask)``), cancels them and waits before the store closes. A failure ends in
``failed(message)``: a domain error as its sentence, damage reported to the damage guard, and
anything unexpected logged with its traceback.
"""

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QThread, Signal
from PySide6.QtWidgets import QDialog, QProgressBar

from db.core.errors import TrucelineError
from db.core.sql_driver import sqlite3
from db.storage.damage import damage_seen

Progress = Callable[[int, int], bool]
PER_MILLE = 1000
log = logging.getLogger(__name__)


class Cancelled(Exception):
    """Raised by work whose ``db`` function cannot return early; ends the task with ``failed("")``."""


class BackgroundTask(QThread):
    """Runs ``work(progress)`` once; ends with ``succeeded(result)`` or ``failed(message)``."""

    progressed = Signal(int, int)
    succeeded = Signal(object)
    failed = Signal(str)

    def __init__(self, work: Callable[[Progress], object] | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._work = work
        self._cancelled = False

    def cancel(self) -> None:
        """Ask the work to stop at its next progress report."""
        self._cancelled = True

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def stop(self) -> None:
        """Cancel and wait until the thread has ended (before its owner or the store goes away)."""
        self.cancel()
        self.wait()

    def work(self, progress: Progress) -> object:
        """What the task does; subclasses override this instead of passing a function."""
        if self._work is None:
            raise NotImplementedError("a BackgroundTask needs work to do")
        return self._work(progress)

    def run(self) -> None:
        try:
            result = self.work(self._progress)
        except Cancelled:
            self.failed.emit("")
            return
        except (TrucelineError, sqlite3.Error, OSError) as error:
            damage_seen(error)
            log.warning("%s failed: %s", type(self).__name__, error)
            self.failed.emit(str(error))
            return
        except Exception as error:  # noqa: BLE001 (shown to the user instead of killing the thread silently)
            damage_seen(error)
            log.exception("unexpected error in %s", type(self).__name__)
            self.failed.emit(f"unexpected error: {error!r}")
            return
        self.succeeded.emit(result)

    def _progress(self, done: int, total: int) -> bool:
        self.progressed.emit(done, total)
        return not self._cancelled


def show_progress(bar: QProgressBar, done: int, total: int) -> None:
    """A task's progress on ``bar`` in per mille, so counts beyond a bar's int range (bytes) still fit."""
    bar.setMaximum(PER_MILLE)
    bar.setValue(PER_MILLE * done // total if total else 0)


def cancel_or_close(dialog: QDialog, task: BackgroundTask | None, say: Callable[[str], None]) -> None:
    """Cancel: stop the running task (saying so), or close the dialog when nothing runs."""
    if task is not None and task.isRunning():
        task.cancel()
        say("Cancelling…")
        return
    dialog.reject()
