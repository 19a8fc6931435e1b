"""Long work (export, import) off the GUI thread, with progress and Cancel (ARCHITECTURE.md §8).

The work is a plain function that takes a progress callback ``(done, total) -> keep going``, the
same callback the ``db`` functions accept from the command line; here it turns into a Qt signal,
and it answers False once Cancel was pressed, so the ``db`` function stops and cleans up itself.
"""

from collections.abc import Callable

from PySide6.QtCore import QObject, QThread, Signal

from db.core.errors import TrucelineError
from db.storage.damage import damage_seen

Progress = Callable[[int, int], bool]


class BackgroundTask(QThread):
    """Runs ``work(progress)`` once; ends with ``succeeded(result)`` or ``failed(message)``."""

    progressed = Signal(int, int)
    succeeded = Signal(object)
    failed = Signal(str)

    def __init__(self, work: Callable[[Progress], object], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._work = work
        self._cancelled = False

    def cancel(self) -> None:
        self._cancelled = True

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def run(self) -> None:
        try:
            result = self._work(self._progress)
        except TrucelineError as error:
            damage_seen(error)
            self.failed.emit(str(error))
            return
        except Exception as error:  # noqa: BLE001 (shown to the user instead of killing the thread silently)
            damage_seen(error)
            self.failed.emit(f"unexpected error: {error}")
            return
        self.succeeded.emit(result)

    def _progress(self, done: int, total: int) -> bool:
        self.progressed.emit(done, total)
        return not self._cancelled
