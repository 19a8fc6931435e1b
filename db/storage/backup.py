"""Backups with the SQLite backup API, each checked with ``integrity_check`` before it counts.

A backup is written under a temporary name, verified, switched to a self-contained rollback
journal file, and only then renamed to ``truceline-<UTC time>-<label>.db``; a failed or
interrupted backup never leaves a file that looks like a good one.

Rolling backups (:func:`rolling_backup`) are taken only when the data changed since the newest
backup, and thinned the way backup tools do it: the last few, then one a day, one a week and one
a month. Backups a person asked for and those taken before a schema step are never thinned.
"""

import errno
import hashlib
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from db.core.atomic_file import mark_in_use
from db.core.errors import DatabaseError, DiskFullError
from db.core.sql_driver import sqlite3
from db.storage.connection import open_file
from db.storage.leftovers import remove_partial_backups

log = logging.getLogger(__name__)

# Labels of the backups the app takes by itself, which thinning may remove.
AUTOMATIC_LABELS = frozenset({"auto", "exit"})
KEEP_LAST = 6
KEEP_DAILY = 7
KEEP_WEEKLY = 5
KEEP_MONTHLY = 12
# Tables whose content is the data a backup protects (incident_versions is append-only, so its
# newest row stands for all of it; the projection and rollups are derived and left out).
_FINGERPRINT_TABLES = ("monitors", "devices", "meta", "zones", "sectors", "imports")

_NAME = re.compile(r"^truceline-(\d{8}T\d{6}Z)-([a-z0-9-]+)\.db$")


@dataclass(frozen=True)
class BackupInfo:
    """A verified backup file."""

    path: Path
    taken_at: datetime
    label: str
    size: int


Progress = Callable[[int, int], None]


def backup_to(conn: sqlite3.Connection, dest: Path, progress: Progress | None = None) -> Path:
    """Copy the live database to ``dest`` and verify the copy; raises DatabaseError on any failure.

    ``progress(done_pages, total_pages)`` is called as the copy proceeds; an exception it raises
    (a cancelled dialog) stops the backup, which then leaves no file behind.
    """
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DatabaseError(f"{dest.parent}: cannot create the backup folder: {error.strerror}") from error
    temp = dest.with_name(dest.name + ".partial")
    # What killed backups left goes first; a backup of the same name still being written stays.
    remove_partial_backups(dest.parent)
    if temp.exists():
        raise DatabaseError(f"{dest}: another backup of this name is being written; try again in a moment")
    finished = False
    marker: int | None = None
    try:
        # Held until the end, so that another process's clean-up leaves this file alone; closed
        # only after SQLite's own connection to it, whose locks it would otherwise drop.
        marker = os.open(temp, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
        mark_in_use(marker)
        target = open_file(temp)
        try:
            if progress is None:
                conn.backup(target)
            else:
                conn.backup(target, pages=2048, progress=lambda _status, left, total: progress(total - left, total))
            result = target.execute("PRAGMA integrity_check").fetchone()[0]
            if result != "ok":
                raise DatabaseError(f"{dest}: the backup copy failed its integrity check: {result}")
            target.execute("PRAGMA journal_mode = DELETE")
        finally:
            target.close()
        with temp.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temp, dest)
        finished = True
    except (OSError, sqlite3.Error) as error:
        if "full" in str(error).lower() or getattr(error, "errno", None) == errno.ENOSPC:
            raise DiskFullError(
                f"{dest.parent}: the disk is full: no backup was made (the database is unchanged)"
            ) from error
        hint = " (is the disk full?)" if "i/o" in str(error).lower() else ""
        raise DatabaseError(
            f"{dest.parent}: the backup could not be written: {error}{hint}; "
            "no backup was made (the database is unchanged)"
        ) from error
    finally:
        if marker is not None:  # only what this backup created; another's file is not ours to remove
            if not finished:
                temp.unlink(missing_ok=True)
            for suffix in ("-journal", "-wal", "-shm"):
                Path(str(temp) + suffix).unlink(missing_ok=True)
            os.close(marker)
    return dest


def make_backup(
    conn: sqlite3.Connection, backups: Path, label: str = "manual", progress: Progress | None = None
) -> BackupInfo:
    """A new verified backup in ``backups`` named by the time it was taken."""
    taken = datetime.now(UTC).replace(microsecond=0)
    newest = list_backups(backups)
    if newest and newest[0].taken_at >= taken:
        taken = newest[0].taken_at + timedelta(seconds=1)  # names stay unique and in order
    name = f"truceline-{taken.strftime('%Y%m%dT%H%M%SZ')}-{label}.db"
    path = backup_to(conn, backups / name, progress)
    log.info("backed up the database to %s (verified)", path)
    return BackupInfo(path, taken, label, path.stat().st_size)


def data_fingerprint(conn: sqlite3.Connection) -> str:
    """A hash of what a backup protects: equal fingerprints mean a new backup would add nothing."""
    digest = hashlib.sha256()
    newest = conn.execute("SELECT max(rowid), count(*) FROM incident_versions").fetchone()
    digest.update(repr(tuple(newest)).encode())
    for table in _FINGERPRINT_TABLES:
        for row in conn.execute(f"SELECT * FROM {table} ORDER BY 1"):
            digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def backup_fingerprint(backup: BackupInfo) -> str | None:
    """The fingerprint of a backup file's data (None if it cannot be read)."""
    try:
        conn = open_file(backup.path, query="mode=ro&immutable=1")
    except sqlite3.Error:
        return None
    try:
        return data_fingerprint(conn)
    except sqlite3.Error:
        return None
    finally:
        conn.close()


def rolling_backup(
    conn: sqlite3.Connection, backups: Path, label: str = "auto", progress: Progress | None = None
) -> BackupInfo | None:
    """A verified backup if the data changed since the newest backup (else None), then thinning."""
    existing = list_backups(backups)
    if existing and backup_fingerprint(existing[0]) == data_fingerprint(conn):
        return None
    info = make_backup(conn, backups, label, progress)
    thin_backups(backups)
    return info


def backups_to_thin(backups: list[BackupInfo]) -> list[BackupInfo]:
    """Automatic backups that the schedule no longer keeps.

    Kept: the newest :data:`KEEP_LAST`; the newest of each of the last :data:`KEEP_DAILY` days,
    :data:`KEEP_WEEKLY` ISO weeks and :data:`KEEP_MONTHLY` months (UTC) that hold one, counted back from
    the newest, so a laptop left in a drawer keeps its history. Never thinned: backups a
    person asked for and those taken before a schema step.
    """
    automatic = sorted((b for b in backups if b.label in AUTOMATIC_LABELS), key=lambda b: b.taken_at, reverse=True)
    keep = {b.path for b in automatic[:KEEP_LAST]}
    buckets: list[tuple[Callable[[datetime], object], int]] = [
        (lambda t: t.date(), KEEP_DAILY),
        (lambda t: t.isocalendar()[:2], KEEP_WEEKLY),
        (lambda t: (t.year, t.month), KEEP_MONTHLY),
    ]
    for bucket_of, count in buckets:
        seen: list[object] = []
        for backup in automatic:  # newest first: the first of each bucket is its newest
            bucket = bucket_of(backup.taken_at)
            if bucket in seen:
                continue
            seen.append(bucket)
            if len(seen) > count:
                break
            keep.add(backup.path)
    return [b for b in automatic if b.path not in keep]


def thin_backups(backups: Path) -> list[Path]:
    """Delete the automatic backups the schedule no longer keeps; returns what was removed."""
    removed = []
    for backup in backups_to_thin(list_backups(backups)):
        try:
            backup.path.unlink()
        except OSError:
            continue  # kept one more round; never a reason to fail a backup
        removed.append(backup.path)
    return removed


def backup_info(path: Path) -> BackupInfo:
    """A backup file named by the user: refused unless it is one of Truceline's backups."""
    match = _NAME.match(path.name)
    if not match or not path.is_file():
        raise DatabaseError(f"{path}: not a Truceline backup (expected a file named truceline-<time>-<label>.db)")
    return _info(path, match)


def _info(path: Path, match: re.Match[str]) -> BackupInfo:
    taken = datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    return BackupInfo(path, taken, match.group(2), path.stat().st_size)


def list_backups(backups: Path) -> list[BackupInfo]:
    """Verified backups, newest first (files whose names do not match are ignored)."""
    out: list[BackupInfo] = []
    if not backups.is_dir():
        return out
    for path in backups.iterdir():
        match = _NAME.match(path.name)
        if match:
            out.append(_info(path, match))
    return sorted(out, key=lambda b: b.taken_at, reverse=True)
