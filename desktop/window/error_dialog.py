"""What the person sees when something unexpected fails in the window: one dialog, then back to work.

A bug in a slot must neither kill the window (a monitor would lose the form they are typing) nor
vanish silently. :class:`UnexpectedErrors` replaces ``sys.excepthook`` while the window runs: the
exception goes to the log with its traceback (db/core/activity_log.py), and one dialog says what
failed, that nothing was lost (saved records are in the database, the form's draft is kept), and
where the log is. While that dialog is open, further errors are only logged, never stacked.
"""

import logging
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from db.core.activity_log import log_file, printable
from db.storage.damage import damage_seen

log = logging.getLogger(__name__)

TITLE = "Something went wrong"

_Hook = Callable[[type[BaseException], BaseException, TracebackType | None], object]


def failure_text(error: BaseException, tb: TracebackType | None) -> str:
    """What failed, in one line: the error and the innermost place of ours it came from."""
    where = ""
    for frame in reversed(traceback.extract_tb(tb)):
        if "/desktop/" in frame.filename.replace("\\", "/") or "/db/" in frame.filename.replace("\\", "/"):
            where = f" (in {Path(frame.filename).stem}.{frame.name})"
            break
    message = printable(str(error)) or "no details"
    return f"{type(error).__name__}: {message}{where}"


def dialog_text(what: str, log_path: Path | None) -> str:
    where = f"The details are in the log: {log_path}" if log_path is not None else "No log file could be written."
    return (
        f"This failed: {what}\n\n"
        "Nothing was lost: every record saved before this is in the database, and an incident being typed "
        "is kept as a draft (it is offered again if Truceline restarts).\n\n"
        f"{where}\nYou can go on working; if this happens again, send that file to whoever looks after the laptops."
    )


class UnexpectedErrors(QObject):
    """While installed, an uncaught exception is logged and shown in one dialog over ``parent()``.

    The hook may run on a worker thread: the dialog is shown through a queued signal on the GUI thread.
    """

    failed = Signal(str)

    def __init__(self, parent: Callable[[], QWidget | None]) -> None:
        super().__init__()
        self._parent = parent
        self._showing = False
        self._previous: _Hook | None = None
        self.shown: list[str] = []  # the texts of the dialogs shown, for tests and the smoke test
        self.failed.connect(self._show, Qt.ConnectionType.QueuedConnection)

    def install(self) -> None:
        self._previous = sys.excepthook
        sys.excepthook = self.handle

    def uninstall(self) -> None:
        if self._previous is not None:
            sys.excepthook = self._previous
            self._previous = None

    def handle(self, kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            if self._previous is not None:
                self._previous(kind, error, tb)
            return
        if damage_seen(error):
            # Not a bug: the database reported damage. The window's damage guard (a listener of
            # db.storage.damage) stops it and says so in its own words; no second dialog.
            log.error("the database reported damage", exc_info=(kind, error, tb))
            return
        log.error("unexpected error in the window", exc_info=(kind, error, tb))
        self.failed.emit(failure_text(error, tb))

    def _show(self, what: str) -> None:
        if self._showing:
            return  # one dialog at a time; the rest is in the log
        self._showing = True
        try:
            text = dialog_text(what, log_file())
            self.shown.append(text)
            QMessageBox.critical(self._parent(), TITLE, text)
        finally:
            self._showing = False
