"""Backups with the SQLite backup API, each checked with ``integrity_check`` before it counts.

A backup is written under a temporary name, verified, switched to a self-contained rollback
journal file, and only then renamed to ``truceline-<UTC time>-<label>.db``; a failed or
interrupted backup never leaves a file that looks like a good one.
"""

import os
import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from db.errors import DatabaseError

_NAME = re.compile(r"^truceline-(\d{8}T\d{6}Z)-([a-z0-9-]+)\.db$")


@dataclass(frozen=True)
class BackupInfo:
    """A verified backup file."""

    path: Path
    taken_at: datetime
    label: str
    size: int


def backup_to(conn: sqlite3.Connection, dest: Path) -> Path:
    """Copy the live database to ``dest`` and verify the copy; raises DatabaseError on any failure."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    temp = dest.with_name(dest.name + ".partial")
    temp.unlink(missing_ok=True)
    try:
        target = sqlite3.connect(temp)
        try:
            conn.backup(target)
            result = target.execute("PRAGMA integrity_check").fetchone()[0]
            if result != "ok":
                raise DatabaseError(f"{dest}: the backup copy failed its integrity check: {result}")
            target.execute("PRAGMA journal_mode = DELETE")
        finally:
            target.close()
        with temp.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temp, dest)
    except (OSError, sqlite3.Error) as error:
        temp.unlink(missing_ok=True)
        raise DatabaseError(f"{dest}: the backup could not be written: {error}") from error
    finally:
        for suffix in ("-journal", "-wal", "-shm"):
            Path(str(temp) + suffix).unlink(missing_ok=True)
    return dest


def make_backup(conn: sqlite3.Connection, backups: Path, label: str = "manual") -> BackupInfo:
    """A new verified backup in ``backups`` named by the time it was taken."""
    taken = datetime.now(UTC).replace(microsecond=0)
    name = f"truceline-{taken.strftime('%Y%m%dT%H%M%SZ')}-{label}.db"
    path = backup_to(conn, backups / name)
    return BackupInfo(path, taken, label, path.stat().st_size)


def list_backups(backups: Path) -> list[BackupInfo]:
    """Verified backups, newest first (files whose names do not match are ignored)."""
    out: list[BackupInfo] = []
    if not backups.is_dir():
        return out
    for path in backups.iterdir():
        match = _NAME.match(path.name)
        if match:
            taken = datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            out.append(BackupInfo(path, taken, match.group(2), path.stat().st_size))
    return sorted(out, key=lambda b: b.taken_at, reverse=True)
