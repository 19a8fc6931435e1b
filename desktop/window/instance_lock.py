"""One window per data directory, and no restore under an open window.

SQLite keeps two writers from corrupting the file, but two windows on the same data would each
hold drafts, caches and a device sequence of their own, and a restore under a running window would
pull the database from under it. ``QLockFile`` is Qt's cross-platform lock file: it records the
process holding it, and a lock left by a process that died is taken over.
"""

from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QLockFile

from db.core.errors import DatabaseError
from db.storage.paths import DataDir


class InstanceLock:
    """Holds ``truceline.lock`` in the data directory; raises DatabaseError if another process has it."""

    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self._lock = QLockFile(str(DataDir(data_dir).window_lock))
        self._lock.setStaleLockTime(0)  # only a dead holder's lock is stale, however old
        self._data_dir = data_dir

    def acquire(self) -> None:
        if self._lock.tryLock(0):
            return
        info = self._lock.getLockInfo()  # (pid, host, app name) in PySide6
        holder = f" (process {info[0]} on {info[1]})" if isinstance(info, tuple) and len(info) == 3 else ""
        raise DatabaseError(
            f"Truceline is already open with the data in {self._data_dir}{holder}. Use that window, or close it first."
        )

    def release(self) -> None:
        self._lock.unlock()

    def __enter__(self) -> "InstanceLock":
        self.acquire()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.release()
