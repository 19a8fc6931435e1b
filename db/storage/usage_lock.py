"""Who is using a data directory: many readers and writers at once, or one restore alone.

SQLite lets the window and any number of commands read and write one database at the same time
(each write is one transaction; the device sequence is handed out inside it). What it cannot
allow is a restore moving the database aside while another process has it open: that process
would go on writing into the file now in ``damaged/``. So every command holds a shared lock on
``truceline.users`` while it runs, the window holds one while it is open, and a restore needs the
lock alone. The lock is ``flock`` on that small file, never a lock on the database or its WAL
(SQLite's own POSIX locks must not be disturbed).
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from db.core.errors import DatabaseError, InUseError
from db.storage.paths import DataDir


@contextmanager
def using_data_dir(data_dir: Path, *, alone: bool = False) -> Iterator[None]:
    """Hold the data directory shared (``alone=False``) or exclusively for the block.

    Raises DatabaseError at once, never waits: a command refused says why in one sentence.
    """
    handle = _take(data_dir, alone=alone)
    try:
        yield
    finally:
        if handle is not None:
            handle.close()  # closing the file releases the flock


class UsageLock:
    """The same lock held for the life of an object (the window), released by :meth:`release`."""

    def __init__(self, data_dir: Path) -> None:
        self._handle = _take(data_dir, alone=False)

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def _take(data_dir: Path, *, alone: bool) -> IO[bytes] | None:
    if os.name != "posix":
        return None  # Windows: the window's lock file still keeps a restore from running under it
    import fcntl

    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        handle = open(DataDir(data_dir).users_lock, "ab")  # noqa: SIM115 (held until released)
    except OSError:
        return None  # a read-only or missing directory is reported by open_store in its own words
    try:
        fcntl.flock(handle.fileno(), (fcntl.LOCK_EX if alone else fcntl.LOCK_SH) | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        if alone:
            raise InUseError(
                f"{data_dir}: another Truceline (the window or a command) is using this data; "
                "close the window and wait for running commands to finish, then try again"
            ) from None
        raise DatabaseError(
            f"{data_dir}: a restore is replacing the database right now; try again when it has finished"
        ) from None
    return handle
