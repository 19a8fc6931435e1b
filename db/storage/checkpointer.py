"""Copy the WAL back into the database on a thread of its own, so that no save waits for it.

SQLite copies the WAL into the database (a checkpoint) inside the commit that takes the WAL past
``wal_autocheckpoint`` pages: one save in twenty then waits for thousands of pages to be written and
synced. The window instead runs a :class:`Checkpointer`: its own connection, on its own thread,
notices every commit (``PRAGMA data_version`` moves when another connection, in this process or
another, commits) and runs a PASSIVE checkpoint, which never blocks a writer or a reader. The
window's connection keeps a far larger ``wal_autocheckpoint`` (:data:`BACKSTOP_BYTES`) only as a
bound in case this thread falls behind.

Damage met here is reported like damage met anywhere (:func:`db.storage.damage.damage_seen`), and
the thread stops: nothing more is written to a file SQLite found damaged.
"""

import logging
import threading
from pathlib import Path

from db.core.errors import log_text
from db.core.sql_driver import sqlite3
from db.storage.connection import close_quietly, connect
from db.storage.damage import damage_seen, is_damage

log = logging.getLogger(__name__)

POLL_S = 0.25
"""How often the thread asks whether anything was committed: a quarter of a second of saves (at most
a few MB of WAL while an import runs) is copied at a time, and an idle window costs four tiny reads
a second."""
BACKSTOP_BYTES = 64 * 1024 * 1024
"""The WAL size at which the saving connection checkpoints by itself after all (a stuck thread, a
reader holding an old snapshot for minutes): far above what the thread lets it reach."""


class Checkpointer:
    """A thread that checkpoints ``path`` after every commit; :meth:`stop` ends it (idempotent)."""

    def __init__(self, path: Path, *, poll_s: float = POLL_S) -> None:
        self._path = path
        self._poll_s = poll_s
        self._stopping = threading.Event()
        self._done = threading.Condition()
        self._rounds = 0
        self._thread = threading.Thread(target=self._run, name=f"checkpoint {path.parent.name}", daemon=True)
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self) -> None:
        """Stop the thread and close its connection; returns once both are done."""
        self._stopping.set()
        if self._thread is not threading.current_thread():
            self._thread.join()

    def wait_for_round(self, timeout: float) -> bool:
        """Wait until a checkpoint that began after this call has finished (False on timeout or if the
        thread stopped): everything committed before the call is then in the database file."""
        with self._done:
            target = self._rounds + 2  # the round under way may have begun before the commit
            return self._done.wait_for(lambda: self._rounds >= target or not self.running, timeout) and (
                self._rounds >= target
            )

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            conn = connect(self._path)
            seen = None
            while not self._stopping.is_set():
                version = conn.execute("PRAGMA data_version").fetchone()[0]
                if version != seen:
                    seen = version
                    try:
                        conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    except sqlite3.OperationalError as error:
                        if is_damage(error):
                            raise
                        # Another process checkpointing, a full disk: the next commit tries again.
                        log.info("background checkpoint of %s deferred: %s", self._path, log_text(error))
                        seen = None
                with self._done:
                    self._rounds += 1
                    self._done.notify_all()
                self._stopping.wait(self._poll_s)
        except Exception as error:  # noqa: BLE001 (a thread's last word: logged, never lost)
            if not damage_seen(error):
                log.warning("background checkpoints of %s stopped: %s", self._path, log_text(error))
        finally:
            close_quietly(conn)
            with self._done:
                self._done.notify_all()
