"""Writing a file so that it is either complete under its final name or not there at all.

Drafts, exports, plots and the device key are written the same way: to a temporary file beside
the target (a dot name ending in ``.part``, so nothing mistakes it for the real file), flushed
and synced, renamed over the target, and the rename made durable by syncing the directory. Any
failure removes the temporary file and leaves the target as it was.

A process killed while writing cannot remove its temporary file, so the next run removes what
such runs left (:func:`remove_abandoned`). A file still being written is marked with an ``flock``
(independent of the POSIX locks SQLite uses, and released by the kernel when its writer dies), so
the clean-up never takes a file from under a writer in another process.
"""

import errno
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

_FULL = (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)


@contextmanager
def atomic_output(path: Path, *, private: bool = False) -> Iterator[BinaryIO]:
    """A binary file to write that becomes ``path`` when the block ends without an exception.

    ``private`` keeps it readable by its owner only (drafts, the device key); otherwise it gets
    the usual ``rw-r--r--`` of a file meant to be shared.
    """
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    temp = Path(temp_name)
    try:
        mark_in_use(handle)
        if not private:
            os.chmod(temp, 0o644)
        with os.fdopen(handle, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    fsync_directory(path.parent)


def mark_in_use(fd: int) -> None:
    """Mark the temporary file open on ``fd`` as being written until ``fd`` is closed."""
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def remove_abandoned(path: Path) -> bool:
    """Delete ``path``, a temporary file, unless a live process is still writing it; True if it went.

    Only temporary files go through here, never a database: opening one cannot drop a lock that
    SQLite holds.
    """
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return False  # its writer is alive
            try:
                path.unlink(missing_ok=True)
            except OSError:
                return False  # a folder we may not change: left for a later run, never an error
            return True
    finally:
        os.close(fd)
    try:  # pragma: no cover - Windows: a file open in another process cannot be deleted
        path.unlink(missing_ok=True)
    except OSError:
        return False
    return True  # pragma: no cover


def remove_abandoned_beside(target: Path) -> list[Path]:
    """Remove the temporary files that interrupted writes of ``target`` left beside it."""
    try:
        candidates = list(target.parent.glob(f".{_glob_escape(target.name)}.*.part"))
    except OSError:
        return []
    return [c for c in candidates if remove_abandoned(c)]


def _glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def write_atomically(path: Path, data: bytes, *, private: bool = False) -> None:
    with atomic_output(path, private=private) as out:
        out.write(data)


def fsync_directory(directory: Path) -> None:
    """Make a rename durable; without it a power cut can bring the old file back."""
    if os.name != "posix":
        return  # Windows cannot open a directory; NTFS journals the rename itself
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def why_not_written(error: OSError) -> str:
    """The reason a write failed, in the user's words ("the drive is full" rather than EFBIG)."""
    return "the drive is full" if error.errno in _FULL else (error.strerror or str(error))
