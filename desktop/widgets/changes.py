"""One change signal for the whole window: what was committed, announced once, followed by every view.

Views listen; they are never told by hand (ARCHITECTURE.md §6). Whoever commits
a change of records (a save, an amendment, a review decision, a conflict resolution, a CSV or
bundle import, another process's commit seen by :class:`DataVersionWatch`) or of the theatre or
settings calls :class:`Changes` *after* the commit returned; every view that was handed the
notifier in its constructor follows through a :class:`Follower`, which coalesces a burst of
announcements into one request to the view (which refreshes now if it is on screen, or when it is
next shown), and asks nothing once the notifier was closed (the store is about to close).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import QObject, QTimer, Signal

from db.core.sql_driver import sqlite3

# A burst of announcements (an import run of many files, a save then a poll) becomes one refresh.
COALESCE_MS = 50
# How often the window asks SQLite whether another process committed: one cheap PRAGMA.
POLL_MS = 1000
OTHER_PROGRAM = "another program"


@dataclass(frozen=True)
class RecordsChange:
    """Records changed: by what (``source``), and which incidents and local days, when known.

    ``incident_ids`` / ``days`` are None when the change could touch anything (an import from a
    file, another process's commit): a view then reads everything it shows again.
    """

    source: str
    incident_ids: frozenset[str] | None = None
    days: frozenset[date] | None = None


class Changes(QObject):
    """The notifier: ``recordsChanged(RecordsChange)``, ``theatreChanged()``, ``settingsChanged()``.

    ``closing()`` is emitted once by :meth:`close`, before the store closes: followers stop their
    timers and ignore anything announced later.
    """

    recordsChanged = Signal(object)  # noqa: N815 (Qt naming) RecordsChange
    theatreChanged = Signal()  # noqa: N815 (Qt naming) time zone, cut-off, zones, sectors, key dates
    settingsChanged = Signal()  # noqa: N815 (Qt naming) display time zone, profile
    closing = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.closed = False

    def records(
        self, source: str, incident_ids: Iterable[str] | None = None, days: Iterable[date] | None = None
    ) -> None:
        """Announce committed changes of records (``incident_ids`` None: possibly any)."""
        if self.closed:
            return
        ids = frozenset(incident_ids) if incident_ids is not None else None
        self.recordsChanged.emit(RecordsChange(source, ids, frozenset(days) if days is not None else None))

    def theatre(self) -> None:
        """Announce a new theatre: time zone, cut-off, zone and sector names may all differ."""
        if not self.closed:
            self.theatreChanged.emit()

    def settings(self) -> None:
        """Announce changed preferences (the display time zone, the signed-in profile)."""
        if not self.closed:
            self.settingsChanged.emit()

    def close(self) -> None:
        """Nothing is announced any more; followers stop. Called before the store closes."""
        if not self.closed:
            self.closed = True
            self.closing.emit()


class Follower(QObject):
    """Makes a view follow ``changes``: ``request()`` runs within :data:`COALESCE_MS` of a burst.

    ``request`` is the view's own "refresh now if shown, else when shown" (a
    :class:`~desktop.widgets.refresh_when_shown.RefreshWhenShown`), so a hidden view pays nothing until it
    is looked at. ``on_theatre`` / ``on_settings`` run at once on those changes, before the
    refresh, so that the view re-reads its time zone, cut-off and names before the data.
    """

    def __init__(
        self,
        changes: Changes | None,
        request: Callable[[], None],
        parent: QObject,
        *,
        on_theatre: Callable[[], None] | None = None,
        on_settings: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self._request = request
        self._on_theatre = on_theatre
        self._on_settings = on_settings
        self._closed = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(COALESCE_MS)
        self._timer.timeout.connect(self._run)
        if changes is not None:
            changes.recordsChanged.connect(self._records)
            changes.theatreChanged.connect(self._theatre)
            changes.settingsChanged.connect(self._settings)
            changes.closing.connect(self.stop)

    @property
    def pending(self) -> bool:
        """A burst is being coalesced; the view has not been asked yet."""
        return self._timer.isActive()

    def request(self) -> None:
        """Refresh soon (coalesced with any other request)."""
        if not self._closed:
            self._timer.start()

    def flush(self) -> None:
        """Ask the view now instead of at the end of the burst (F5)."""
        self._timer.stop()
        self._run()

    def stop(self) -> None:
        """No refresh will be asked for any more (the store is closing)."""
        self._closed = True
        self._timer.stop()

    def _run(self) -> None:
        if not self._closed:
            self._request()

    def _records(self, _change: RecordsChange) -> None:
        self.request()

    def _theatre(self) -> None:
        self._then_request(self._on_theatre)

    def _settings(self) -> None:
        self._then_request(self._on_settings)

    def _then_request(self, first: Callable[[], None] | None) -> None:
        """Run the view's own re-reading at once (names, time zones), then refresh with the others."""
        if self._closed:
            return
        if first is not None:
            first()
        self.request()


class DataVersionWatch(QObject):
    """Notices what another process committed to the database and announces it through ``changes``.

    SQLite's ``PRAGMA data_version`` changes on a connection when *another* connection committed;
    asking costs microseconds. The timer belongs to the window, which stops it (:meth:`stop`)
    before the store closes.
    """

    def __init__(self, conn: sqlite3.Connection, changes: Changes, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._conn = conn
        self._changes = changes
        self._version = self._read()
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self.poll)
        self._timer.start()
        changes.closing.connect(self.stop)
        # A CSV or bundle import commits on its worker's own connection and is announced by the
        # window itself: take its data version then, so the next poll does not announce it again.
        changes.recordsChanged.connect(self._announced)

    def _announced(self, change: RecordsChange) -> None:
        if change.source != OTHER_PROGRAM and self._timer.isActive():
            self._version = self._read()

    def poll(self) -> bool:
        """Announce if another connection committed since the last poll; True if it did."""
        version = self._read()
        if version == self._version:
            return False
        self._version = version
        self._changes.records(OTHER_PROGRAM)
        return True

    def stop(self) -> None:
        self._timer.stop()

    @property
    def active(self) -> bool:
        return self._timer.isActive()

    def _read(self) -> int:
        return int(self._conn.execute("PRAGMA data_version").fetchone()[0])
