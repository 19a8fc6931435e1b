"""The start-up ``quick_check``, run off the GUI thread so the window shows at once.

``quick_check`` reads the whole database file (seconds on a million incidents); waiting for it
before showing the window would miss the start-up budget. It runs on its own read-only
connection, and a failure is reported to the user as soon as it is known. A database that
passes then has its daily counts and per-incident columns loaded into memory (db/trends/day_cube.py,
db/trends/incident_cube.py) on the same thread, so the first timeline that needs them does not wait.
"""

from pathlib import Path
from zoneinfo import ZoneInfo

from PySide6.QtCore import QObject, Signal

from db.core.errors import DatabaseError
from db.storage.connection import connect
from db.storage.store import quick_check
from db.trends.day_cube import cube_of
from db.trends.incident_cube import incident_cube_of
from desktop.widgets.background_task import BackgroundTask, Progress


class StartupCheck(BackgroundTask):
    """Runs ``PRAGMA quick_check`` on ``path``; emits ``finishedCheck("")`` when ok, else the problem.

    Loading the in-memory copies afterwards is the task's own work: a failure there ends in
    ``failed`` (logged), and the window still works, reading from the database instead.
    """

    finishedCheck = Signal(str)  # noqa: N815 (Qt signal naming)

    def __init__(self, path: Path, parent: QObject | None = None, tz: ZoneInfo | None = None) -> None:
        super().__init__(parent=parent)
        self._path = path
        self._tz = tz

    def work(self, progress: Progress) -> None:
        try:
            conn = connect(self._path, readonly=True)
        except DatabaseError as error:
            self.finishedCheck.emit(str(error))
            return
        try:
            try:
                quick_check(conn, self._path)
            except DatabaseError as error:
                self.finishedCheck.emit(str(error))
                return
            self.finishedCheck.emit("")
            cube_of(conn)
            if self._tz is not None:
                incident_cube_of(conn, self._tz)
        finally:
            conn.close()
