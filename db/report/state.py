"""The state hash of the records for a report's provenance, computed beside the rest of the report.

:func:`db.exchange.log.state_hash` reads every version: seconds on a million incidents, more than
all the report's other queries together. So it runs on its own read-only connection in a thread
while the report's numbers are read, and the answer is kept for as long as no version is added
(``incident_versions`` is append-only: its row count, its last rowid and that row's version id
change with every version stored, and a restored or swapped file changes them too).
"""

import threading
from pathlib import Path

from db.core.sql_driver import sqlite3
from db.exchange.log import state_hash
from db.storage.connection import connect

_known: dict[tuple[str, int, int, str], str] = {}
_known_lock = threading.Lock()


def _key(conn: sqlite3.Connection) -> tuple[str, int, int, str]:
    path = str(conn.execute("PRAGMA database_list").fetchone()[2] or "")
    count, last = conn.execute("SELECT count(*), coalesce(max(rowid), 0) FROM incident_versions").fetchone()
    row = conn.execute("SELECT version_id FROM incident_versions WHERE rowid = ?", (last,)).fetchone()
    return path, int(count), int(last), str(row[0]) if row else ""


class RecordsState:
    """The state hash and the number of versions, started now and collected with :meth:`result`."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._key = _key(conn)
        self.versions = self._key[1]
        self._hash: str | None = None
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._own: sqlite3.Connection | None = None
        with _known_lock:
            self._hash = _known.get(self._key)
        if self._hash is not None:
            return
        path = self._key[0]
        if not path:  # an in-memory database has no second connection: compute when asked
            self._conn: sqlite3.Connection | None = conn
            return
        self._conn = None
        self._own = connect(Path(path), readonly=True)
        self._thread = threading.Thread(target=self._compute, name="report-state-hash", daemon=True)
        self._thread.start()

    def _compute(self) -> None:
        assert self._own is not None
        try:
            self._hash = state_hash(self._own)
        except BaseException as error:  # noqa: BLE001 (handed to the caller of result())
            self._error = error
        finally:
            self._own.close()

    def result(self) -> str:
        """The state hash (waits for the thread); raises what computing it raised."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        elif self._hash is None and self._conn is not None:
            self._hash = state_hash(self._conn)
        if self._error is not None:
            raise self._error
        assert self._hash is not None
        with _known_lock:
            _known[self._key] = self._hash
        return self._hash

    def cancel(self) -> None:
        """Stop the computation (Cancel pressed): the thread ends at once, its connection closed."""
        own = self._own
        if self._thread is not None and own is not None:
            try:
                own.interrupt()
            except sqlite3.ProgrammingError:
                pass  # it had finished and closed its connection
            self._thread.join()
            self._thread = None
