"""Removing what interrupted work left in the data directory, at the next start.

A backup, a draft or the device key killed while being written leaves a temporary file: a
backup's ``*.partial`` (with its journal files) can be as large as the database. None of them
holds anything that is not elsewhere (the database, the previous draft or key under its own
name), and none is ever counted as a backup. A file another process is still writing is left
alone (see :func:`db.core.atomic_file.remove_abandoned`).
"""

from pathlib import Path

from db.core.atomic_file import remove_abandoned
from db.storage.paths import DataDir

PARTIAL_BACKUP = ".partial"
SQLITE_SIDE_FILES = ("-journal", "-wal", "-shm")


def remove_leftovers(data_dir: Path) -> list[Path]:
    """Remove interrupted backups, drafts and key files in ``data_dir``; returns what went."""
    removed = remove_partial_backups(DataDir(data_dir).backups)
    for folder in (data_dir, DataDir(data_dir).drafts):
        if folder.is_dir():
            removed += [p for p in folder.glob(".*.part") if p.is_file() and remove_abandoned(p)]
    return removed


def remove_partial_backups(backups: Path) -> list[Path]:
    """Remove the ``*.partial`` files (and their SQLite journal files) of backups that were killed."""
    if not backups.is_dir():
        return []
    removed: list[Path] = []
    for partial in backups.glob(f"*{PARTIAL_BACKUP}"):
        if not remove_abandoned(partial):
            continue
        removed.append(partial)
    # Journal files whose backup is gone (just removed, or removed by a run that was killed).
    for suffix in SQLITE_SIDE_FILES:
        for side in backups.glob(f"*{PARTIAL_BACKUP}{suffix}"):
            owner = Path(str(side)[: -len(suffix)])
            if not owner.exists():
                try:
                    side.unlink(missing_ok=True)
                except OSError:
                    continue
                removed.append(side)
    return removed
