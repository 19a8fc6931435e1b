"""Damage found while Truceline runs: recognise it, and remember it until a person has dealt with it.

When SQLite reports that the file is corrupt, not a database, or that the disk failed to read or
write it, nothing more may be written to that file (a write on a damaged b-tree spreads the
damage). The window stops writing and says so; the note written here makes the next start (window
or command) refuse the file and offer the restore, instead of carrying on as if nothing happened.
``truceline check`` clears the note when the full check finds the file sound (a disk that came
back, a transient I/O error), and a restore or a fresh start clears it too.
"""

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from db.core.atomic_file import write_atomically
from db.core.errors import DamagedDatabaseError
from db.core.sql_driver import sqlite3
from db.storage.paths import DataDir

# Primary result codes (the low byte of the extended code) that mean the file cannot be trusted.
SQLITE_IOERR = 10
SQLITE_CORRUPT = 11
SQLITE_NOTADB = 26
DAMAGE_CODES = {SQLITE_IOERR, SQLITE_CORRUPT, SQLITE_NOTADB}
DAMAGE_WORDS = ("malformed", "not a database", "disk i/o error", "database corrupt")


def is_damage(error: BaseException) -> bool:
    """Whether ``error`` (or what caused it) is SQLite reporting a corrupt file or a failing disk.

    A full disk, a busy database or a read-only directory is not damage: nothing is wrong with
    the file, and the user is told how to fix those where they happen.
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, DamagedDatabaseError):
            return True
        if isinstance(current, sqlite3.Error):
            code = getattr(current, "sqlite_errorcode", None)
            if isinstance(code, int) and code & 0xFF in DAMAGE_CODES:
                return True
            if any(word in str(current).lower() for word in DAMAGE_WORDS):
                return True
        current = current.__cause__ or current.__context__
    return False


_listeners: list[Callable[[str], None]] = []
_listeners_lock = threading.Lock()


def add_listener(listener: Callable[[str], None]) -> None:
    """``listener(what)`` is called, from whatever thread met it, each time damage is seen."""
    with _listeners_lock:
        _listeners.append(listener)


def remove_listener(listener: Callable[[str], None]) -> None:
    with _listeners_lock:
        if listener in _listeners:
            _listeners.remove(listener)


def damage_seen(error: BaseException) -> bool:
    """Tell the listeners if ``error`` is damage; code that catches and shows database errors calls
    this, so that damage stops the application even where the error itself was handled."""
    if not is_damage(error):
        return False
    with _listeners_lock:
        listeners = list(_listeners)
    for listener in listeners:
        listener(str(error))
    return True


def note_path(data_dir: Path) -> Path:
    return DataDir(data_dir).damage_note


def record_damage(data_dir: Path, what: str) -> None:
    """Remember that damage was found (kept if a note is already there: the first report counts)."""
    path = note_path(data_dir)
    if path.exists():
        return
    found = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    text = f"{found}\n{what}\n"
    try:
        write_atomically(path, text.encode("utf-8"))
    except OSError:
        pass  # a disk that cannot take a small file is itself reported by the window, once


def damage_noted(data_dir: Path) -> str | None:
    """The note's text ("<time>: <what>"), or None when no damage is on record."""
    path = note_path(data_dir)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (FileNotFoundError, NotADirectoryError):
        return None  # no note (a data directory that cannot exist is open_store's to report)
    except OSError as error:
        return f"(the note {path} could not be read: {error.strerror})"
    return f"{lines[0]}: {' '.join(lines[1:])}" if lines else "(empty note)"


def clear_damage(data_dir: Path) -> None:
    note_path(data_dir).unlink(missing_ok=True)
