"""Catch application code that opens a live database's files with ordinary file I/O.

Closing any descriptor of a file drops every POSIX lock the process holds on it; another process
closing its last connection then believes it is alone, checkpoints and deletes the WAL under our
open connections, and confirmed saves are lost. So no code in ``db/`` or ``desktop/`` may open
``truceline.db``, its ``-wal``, ``-shm`` or ``-journal`` with ``open``/``os.open`` (SQLite's own
opens are not Python calls and are not seen). The audit hook sees every such open of the process;
an open made by test code itself (checking a file is unchanged) is not the application's and is
let through.
"""

import sys
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parents[1]
APP_DIRS = tuple(str(ROOT / name) + "/" for name in ("db", "desktop"))
LIVE_NAMES = ("truceline.db", "truceline.db-wal", "truceline.db-shm", "truceline.db-journal")

violations: list[str] = []


def _application_caller(frame: FrameType | None) -> str | None:
    """The innermost caller in db/ or desktop/, unless test code called first."""
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename.startswith(APP_DIRS):
            return f"{filename}:{frame.f_lineno}"
        if filename.startswith(str(ROOT / "tests")):
            return None
        frame = frame.f_back
    return None


def _hook(event: str, args: tuple[object, ...]) -> None:
    if event != "open" or not args or not isinstance(args[0], str | bytes | Path):
        return
    name = Path(args[0].decode() if isinstance(args[0], bytes) else args[0]).name
    if name in LIVE_NAMES:
        caller = _application_caller(sys._getframe(1))
        if caller is not None:
            violations.append(f"{caller} opened {args[0]!r} with plain file I/O")


def install() -> None:
    """Audit hooks cannot be removed, so this is installed once for the whole test session."""
    sys.addaudithook(_hook)
