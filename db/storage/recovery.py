"""Recovering from a damaged database: keep the file aside, restore a verified backup, and say
what the backup lacks.

Nothing here deletes or overwrites a damaged file: it is moved, with its WAL and shared-memory
files, into ``damaged/<time>/`` in the data directory, where it stays for whoever wants to
examine it. The restored laptop continues under a new device identity: versions it wrote after
the backup may already sit on other laptops under the old identity's sequence numbers, and
reusing those numbers for different versions would look like tampering when the bundles meet.
"""

import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from db.core.errors import DamagedDatabaseError, DatabaseError
from db.core.sql_driver import sqlite3
from db.storage import paths
from db.storage.backup import BackupInfo, list_backups
from db.storage.connection import open_file
from db.storage.damage import clear_damage
from db.storage.device import META_DEVICE_ID, META_RETIRED_DEVICE, set_key_aside
from db.storage.usage_lock import using_data_dir

log = logging.getLogger(__name__)

DAMAGED_DIR = paths.DAMAGED_DIR


@dataclass(frozen=True)
class DeviceRange:
    """The versions of one device that the restored database holds."""

    device_id: str
    label: str
    last_seq: int
    this_laptop: bool


@dataclass(frozen=True)
class Recovery:
    """What a restore did and what the user should do next."""

    backup: BackupInfo
    kept_aside: Path | None
    devices: tuple[DeviceRange, ...]
    last_import_at: str | None

    def advice(self) -> list[str]:
        """Plain sentences: what happened, and which bundles bring back what came after the backup."""
        taken = self.backup.taken_at.strftime("%Y-%m-%d %H:%M UTC")
        lines = [f"Restored the verified backup taken {taken} ({self.backup.path.name})."]
        if self.kept_aside is not None:
            lines.append(f"The damaged database was kept, unchanged, in {self.kept_aside}.")
        lines.append(f"Anything recorded, reviewed or imported after {taken} is not in the restored database.")
        for device in self.devices:
            who = "this laptop (before the restore)" if device.this_laptop else f"laptop '{device.label}'"
            lines.append(
                f"- {who}: versions 1–{device.last_seq} are here; import any bundle from it with later versions."
            )
        if any(d.this_laptop for d in self.devices):
            lines.append(
                "- If this laptop sent bundles after the backup, ask the supervisor for a bundle holding them "
                "and import it: that brings this laptop's own later records back."
            )
        if self.last_import_at:
            lines.append(f"- The last bundle imported before the backup was imported at {self.last_import_at}.")
        lines.append(
            "This laptop now records under a new device identity, so its new records can never be confused with "
            "the lost ones."
        )
        return lines


def set_aside(data_dir: Path) -> Path | None:
    """Move the database and its WAL/SHM files into ``damaged/<time>/``; None if there was none."""
    database = data_dir / paths.DATABASE_NAME
    files = [Path(str(database) + suffix) for suffix in ("", "-wal", "-shm", "-journal")]
    present = [f for f in files if f.exists()]
    if not present:
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = paths.DataDir(data_dir).damaged / stamp
    try:
        target.mkdir(parents=True)
        for file in present:
            os.replace(file, target / file.name)
    except OSError as error:
        raise DatabaseError(f"{data_dir}: cannot move the damaged database aside: {error.strerror}") from error
    return target


def verified_backups(data_dir: Path) -> list[BackupInfo]:
    """Backups whose file passes ``quick_check``, newest first."""
    return [b for b in list_backups(paths.DataDir(data_dir).backups) if _passes_check(b.path)]


def restore_backup(data_dir: Path, backup: BackupInfo | None = None) -> Recovery:
    """Put ``backup`` (default: the newest that passes its check) in place of the database.

    The current database, damaged or not, is first moved aside (never deleted). The device key is
    retired into the same folder so that the next start creates a new device identity. Refused
    while any store of this data directory is open, in this process or another (db/storage/usage_lock.py).
    """
    with using_data_dir(data_dir, alone=True):
        return _restore_backup(data_dir, backup)


def _restore_backup(data_dir: Path, backup: BackupInfo | None) -> Recovery:
    if backup is None:
        candidates = verified_backups(data_dir)
        if not candidates:
            raise DatabaseError(f"{data_dir / 'backups'}: there is no verified backup to restore")
        backup = candidates[0]
    elif not _passes_check(backup.path):
        raise DamagedDatabaseError(f"{backup.path}: this backup fails its check and was not restored")
    database = data_dir / paths.DATABASE_NAME
    temp = database.with_name(database.name + ".restoring")
    temp.unlink(missing_ok=True)
    try:
        source = open_file(backup.path, query="mode=ro")
        target = open_file(temp)
        try:
            source.backup(target)
            # The next start sees no local device and creates a new one; the old one is remembered
            # so that the advice can tell this laptop's earlier versions from other laptops'.
            target.execute("DELETE FROM meta WHERE key = ?", (META_RETIRED_DEVICE,))
            target.execute("UPDATE meta SET key = ? WHERE key = ?", (META_RETIRED_DEVICE, META_DEVICE_ID))
            target.commit()
        finally:
            source.close()
            target.close()
        with temp.open("rb") as handle:
            os.fsync(handle.fileno())
    except (OSError, sqlite3.Error) as error:
        temp.unlink(missing_ok=True)
        raise DatabaseError(f"{backup.path}: could not be restored ({error}); nothing was changed") from error
    kept = set_aside(data_dir)
    _retire_key(data_dir, kept)
    os.replace(temp, database)
    clear_damage(data_dir)
    log.info("restored %s from %s; the previous database was kept in %s", database, backup.path, kept)
    return Recovery(backup, kept, *_what_is_there(database))


def start_empty(data_dir: Path) -> Path | None:
    """Move the database and the device key aside so that the next start begins with no data.

    Returns the folder they went to. Records come back by importing bundles from other laptops.
    An empty database is left in place: it says that starting empty was chosen, so the next start
    does not take the missing file for a lost one (db/storage/preflight.py).
    """
    with using_data_dir(data_dir, alone=True):
        kept = set_aside(data_dir)
        _retire_key(data_dir, kept)
        try:
            fresh = open_file(data_dir / paths.DATABASE_NAME)
            try:
                fresh.execute("PRAGMA journal_mode = WAL")  # writes the file's header
            finally:
                fresh.close()
        except sqlite3.Error as error:
            raise DatabaseError(f"{data_dir}: cannot create the new empty database: {error}") from error
        clear_damage(data_dir)
    return kept


def _retire_key(data_dir: Path, kept: Path | None) -> None:
    key = paths.DataDir(data_dir).device_key
    if key.exists():
        set_key_aside(key, kept)


def _passes_check(path: Path) -> bool:
    try:
        conn = open_file(path, query="mode=ro")
        try:
            return bool(conn.execute("PRAGMA quick_check").fetchone()[0] == "ok")
        finally:
            conn.close()
    except sqlite3.Error:
        return False


def _what_is_there(database: Path) -> tuple[tuple[DeviceRange, ...], str | None]:
    conn = open_file(database, query="mode=ro")
    try:
        own = conn.execute("SELECT value FROM meta WHERE key = ?", (META_RETIRED_DEVICE,)).fetchone()
        rows = conn.execute(
            "SELECT v.device_id, coalesce(d.label, ''), max(v.device_seq) FROM incident_versions v "
            "LEFT JOIN devices d ON d.device_id = v.device_id GROUP BY v.device_id ORDER BY 2"
        ).fetchall()
        last_import = conn.execute("SELECT max(imported_at) FROM imports").fetchone()[0]
    finally:
        conn.close()
    retired = own[0] if own else None
    devices = tuple(DeviceRange(r[0], r[1], r[2], r[0] == retired) for r in rows)
    return devices, last_import
