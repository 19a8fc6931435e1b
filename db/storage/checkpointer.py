"""Copy the WAL back into the database on a thread of its own, so that no save waits for it.

SQLite copies the WAL into the database (a checkpoint) inside the commit that takes the WAL past
``wal_autocheckpoint`` pages: one save in twenty then waits for thousands of pages to be written and
synced. The window instead runs a :class:`Checkpointer`: its own connection, on its own thread,
notices commits (``PRAGMA data_version`` moves when another connection, in this process or another,
commits) and, once they pause for a round (:data:`POLL_S`), runs a PASSIVE checkpoint, which never
blocks a writer or a reader. A checkpoint beside a commit still slows that commit (both write and
sync the disk), so during a burst it waits for the pause, or :data:`MAX_BUSY_ROUNDS` at most. The
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
"""How often the thread asks whether anything was committed: a save is in the database file half a
second later, and an idle window costs four tiny reads a second."""
MAX_BUSY_ROUNDS = 8
"""Two seconds of uninterrupted commits at most before the copy runs beside them."""
BACKSTOP_BYTES = 64 * 1024 * 1024
"""The WAL size at which the saving connection checkpoints by itself after all (a stuck thread, a
reader holding an old snapshot for minutes): far above what the thread lets it reach."""


class Checkpointer:
    """A thread that checkpoints ``path`` after commits; :meth:`stop` ends it (idempotent)."""

    def __init__(self, path: Path, *, poll_s: float = POLL_S, max_busy_rounds: int = MAX_BUSY_ROUNDS) -> None:
        self._path = path
        self._poll_s = poll_s
        self._max_busy_rounds = max_busy_rounds
        self._stopping = threading.Event()
        self._done = threading.Condition()
        self._rounds = 0
        self._pending = True  # commits seen and not yet copied, as of the last round
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

    def wait_until_copied(self, timeout: float) -> bool:
        """Wait until everything committed before this call is in the database file (False on timeout,
        or if the thread stopped first)."""
        with self._done:
            target = self._rounds + 2  # the round under way may have looked before the commit

            def copied() -> bool:
                return self._rounds >= target and not self._pending

            return self._done.wait_for(lambda: copied() or not self.running, timeout) and copied()

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            conn = connect(self._path)
            copied = None  # data_version at the last checkpoint
            previous = None  # at the last round
            busy_rounds = 0
            while not self._stopping.is_set():
                version = conn.execute("PRAGMA data_version").fetchone()[0]
                busy_rounds = busy_rounds + 1 if version != previous else 0
                previous = version
                # While commits keep coming (an import, a burst of saves) the copy waits for a pause,
                # or MAX_BUSY_ROUNDS at most: a checkpoint beside a commit slows that commit.
                if version != copied and (busy_rounds == 0 or busy_rounds >= self._max_busy_rounds):
                    busy_rounds = 0
                    try:
                        conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                        copied = version
                    except sqlite3.OperationalError as error:
                        if is_damage(error):
                            raise
                        # Another process checkpointing, a full disk: tried again at the next round.
                        log.info("background checkpoint of %s deferred: %s", self._path, log_text(error))
                with self._done:
                    self._rounds += 1
                    self._pending = version != copied
                    self._done.notify_all()
                self._stopping.wait(self._poll_s)
        except Exception as error:  # noqa: BLE001 (a thread's last word: logged, never lost)
            if not damage_seen(error):
                log.warning("background checkpoints of %s stopped: %s", self._path, log_text(error))
        finally:
            close_quietly(conn)
            with self._done:
                self._done.notify_all()
