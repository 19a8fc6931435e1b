"""Writing a file so that it is either complete under its final name or not there at all.

Drafts, exports, plots and the device key are written the same way: to a temporary file beside
the target (a dot name ending in ``.part``, so nothing mistakes it for the real file), flushed
and synced, renamed over the target, and the rename made durable by syncing the directory. Any
failure removes the temporary file and leaves the target as it was.
"""

import errno
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

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
