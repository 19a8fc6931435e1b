"""Open a data directory: connection, migrations (backed up first), device identity and theatre.

The command line and the window both start with :func:`open_store`, so they see the same
database through the same checks.
"""

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from db.core.errors import DamagedDatabaseError, DatabaseError, LockedError
from db.core.sql_driver import sqlite3
from db.model.theatre import Theatre, default_theatre, parse_theatre
from db.storage import cipher, paths
from db.storage.backup import BackupInfo, make_backup
from db.storage.checkpointer import BACKSTOP_BYTES, Checkpointer
from db.storage.connection import connect, open_file, transaction
from db.storage.conversion import finish_conversion
from db.storage.damage import damage_noted
from db.storage.device import DeviceIdentity, load_or_create_device
from db.storage.leftovers import remove_leftovers
from db.storage.meta import get_meta, set_meta
from db.storage.paths import DataDir
from db.storage.preflight import look_before_opening
from db.storage.projection import Calendar, rebuild_projection
from db.storage.schema import migrations
from db.storage.usage_lock import UsageLock
from db.storage.versions import Writer

log = logging.getLogger(__name__)

META_THEATRE = "theatre_geojson"
META_THEATRE_SOURCE = "theatre_source"


@dataclass
class Store:
    """An open data directory: what every operation needs, passed explicitly.

    ``tz`` is for showing and entering times; ``calendar`` (time zone and reporting cut-off) is
    what writing and counting incidents need, since both kinds of day are stored with each row.
    """

    data_dir: Path
    conn: sqlite3.Connection
    device: DeviceIdentity
    theatre: Theatre
    usage: UsageLock | None = None
    # False for a plain (demonstration or training) directory: the title bar says so.
    encrypted: bool = False
    tz: ZoneInfo = field(init=False)
    calendar: Calendar = field(init=False)
    _before_close: list[Callable[[], None]] = field(init=False, default_factory=list, repr=False)
    closed: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        self.calendar = calendar_of(self.theatre)
        self.tz = self.calendar.tz

    @property
    def data(self) -> DataDir:
        """Every path of the data directory this store opened."""
        return DataDir(self.data_dir)

    def writer(self, author_id: str) -> Writer:
        return Writer(self.device.device_id, author_id)

    def before_close(self, stop: Callable[[], None]) -> None:
        """Run ``stop`` when the store closes, before its connection does.

        Whatever uses the connection later (a window's timers, worker threads, queued calls)
        registers here, so that closing the store (quitting, restoring a backup, switching the
        data directory) stops it first and nothing runs against a closed database.
        """
        self._before_close.append(stop)

    def checkpoint_in_background(self) -> Checkpointer:
        """Copy the WAL into the database on a thread of its own from now on, as the window does, so that
        no save waits for a checkpoint (db/storage/checkpointer.py); it stops when the store closes."""
        checkpointer = Checkpointer(self.data.database)
        page_size = int(self.conn.execute("PRAGMA page_size").fetchone()[0])
        self.conn.execute(f"PRAGMA wal_autocheckpoint = {BACKSTOP_BYTES // page_size}")
        self.before_close(checkpointer.stop)
        return checkpointer

    def close(self) -> None:
        """Stop everything registered with :meth:`before_close` (newest first), then close."""
        if self.closed:
            return
        self.closed = True
        try:
            while self._before_close:
                self._before_close.pop()()
        finally:
            self.conn.close()
            if self.usage is not None:
                self.usage.release()


def calendar_of(theatre: Theatre) -> Calendar:
    return Calendar(ZoneInfo(theatre.time_zone), theatre.reporting_cutoff)


def open_store(
    data_dir: Path | None = None, *, check: bool = True, despite_damage_note: bool = False, plain: bool = False
) -> Store:
    """Open (creating if needed) the data directory and its database, ready to use.

    A database that vanished while the directory shows it held records, a file cut short and a
    journal of another database are refused before anything is written (db/storage/preflight.py).
    ``check=False`` skips ``quick_check`` (it reads the whole file: seconds on a large database);
    the window runs it in the background right after it is shown (desktop/window/startup_check.py).
    A database on which damage was found while it was in use (db/storage/damage.py) is refused until a
    restore, or until ``truceline check`` (the one caller passing ``despite_damage_note``) finds it sound.

    An encrypted directory opens only once its key was unlocked in this process (db/storage/cipher.py);
    a new directory is encrypted unless ``plain`` (demonstration, training) or ``TRUCELINE_PLAIN`` says
    otherwise, so its key must have been created first. A conversion to encryption that was interrupted
    after its commit point is finished first (db/storage/conversion.py).
    """
    directory = data_dir or paths.data_dir()
    encrypted = ensure_unlocked(directory, plain=plain)
    noted = damage_noted(directory)
    if noted is not None and not despite_damage_note:
        raise DamagedDatabaseError(
            f"{directory / paths.DATABASE_NAME}: damage was found while Truceline was using this database "
            f"({noted}); nothing has been written to it since. Run 'truceline check': if it finds the file sound "
            "it clears this note, otherwise 'truceline restore' restores the latest verified backup"
        )
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DatabaseError(f"{directory}: cannot create the data directory: {error.strerror}") from error
    if not writable(directory):
        raise DatabaseError(
            f"{directory}: the data directory is read-only; Truceline must be able to write there "
            "(check the permissions, or choose another place with --data-dir)"
        )
    usage = UsageLock(directory)  # a restore cannot move the database away while this store is open
    try:
        refuse_foreign_schema(directory / paths.DATABASE_NAME)
        remove_leftovers(directory)
        # Read-only until the file is known to be whole and its journal its own (db/storage/preflight.py).
        checked = look_before_opening(directory, quick=check)
        conn = connect(directory / paths.DATABASE_NAME)
    except BaseException:
        usage.release()
        raise
    try:
        if check and not checked:
            quick_check(conn, directory / paths.DATABASE_NAME)
        migrate(conn, DataDir(directory).backups)
        device = load_or_create_device(conn, DataDir(directory).device_key)
        theatre = current_theatre(conn)
    except sqlite3.DatabaseError as error:
        # Damage the start-up check did not run for (or could not see) surfaces here; the file is
        # left exactly as it is.
        conn.close()
        usage.release()
        if isinstance(error, sqlite3.OperationalError) and "locked" in str(error):
            raise DatabaseError(
                f"{directory / paths.DATABASE_NAME}: the database is busy: another Truceline may be using it; "
                "try again in a moment"
            ) from error
        log.warning("refused to open %s: %s", directory / paths.DATABASE_NAME, error)
        raise DamagedDatabaseError(
            f"{directory / paths.DATABASE_NAME}: the database is damaged or unreadable ({error}); "
            "it was not changed. Run 'truceline check', then 'truceline restore' to restore the latest verified backup."
        ) from error
    except BaseException:
        conn.close()
        usage.release()
        raise
    log.info("opened %s (theatre %s)", directory / paths.DATABASE_NAME, theatre.name)
    return Store(directory, conn, device, theatre, usage, encrypted)


def ensure_unlocked(directory: Path, *, plain: bool = False) -> bool:
    """Whether ``directory`` is encrypted; raises :class:`LockedError` if its key is not held here, or
    if it is new, meant to be encrypted, and has no key yet."""
    if cipher.is_erased(directory):
        raise LockedError(
            f"{directory}: the key of this data directory was erased: its encrypted records cannot be read. "
            "Start with another (empty) data directory"
        )
    if cipher.is_encrypted(directory):
        if not cipher.is_unlocked(directory):
            raise LockedError(
                f"{directory}: this data directory is encrypted: its passphrase is needed "
                "(the command line asks on the terminal, or reads it with --passphrase-fd)"
            )
        finish_conversion(directory)
        return True
    if cipher.is_unlocked(directory):
        raise DatabaseError(
            f"{cipher.key_file(directory)}: the key file is gone (erased?): the encrypted data cannot be opened"
        )
    new = not (directory / paths.DATABASE_NAME).exists()
    if new and not plain and not cipher.new_directories_plain():
        raise LockedError(
            f"{directory}: a new data directory is encrypted: choose a passphrase first "
            "(the window asks for one; on the command line run 'truceline init')"
        )
    return False


def writable(directory: Path) -> bool:
    """Whether files can be created in ``directory`` (SQLite needs that for its WAL)."""
    return os.access(directory, os.W_OK | os.X_OK)


def quick_check(conn: sqlite3.Connection, path: Path) -> None:
    try:
        result = conn.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.DatabaseError as error:
        raise DamagedDatabaseError(f"{path}: the database is damaged or not a database: {error}") from error
    if result != "ok":
        raise DamagedDatabaseError(f"{path}: the database is damaged (it failed its start-up check): {result}")


def refuse_foreign_schema(path: Path) -> None:
    """An SQLite file of some other program is never opened for writing (that alone would change
    its header), let alone migrated into a Truceline database."""
    if not path.exists() or path.stat().st_size == 0:
        return
    try:
        conn = open_file(path, query="mode=ro")
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return  # damage is reported by connect() and the checks, with their own words
    if tables and "_sqlite_migrations" not in tables:
        raise DamagedDatabaseError(
            f"{path}: this SQLite file is not a Truceline database (it holds {', '.join(sorted(tables)[:5])}); "
            "it was not changed"
        )


def migrate(conn: sqlite3.Connection, backups: Path) -> list[str]:
    """Apply pending schema steps, after a verified backup if the database holds anything.

    A database that has steps this version does not know was written by a newer Truceline and
    is refused rather than used or migrated backwards.
    """
    db = Database(conn, execute_plugins=False, recursive_triggers=True)
    known = {m.name for m in migrations._migrations}
    unknown = [m.name for m in migrations.applied(db) if m.name not in known]
    if unknown:
        raise DatabaseError(
            f"this database was written by a newer version of Truceline (schema step {unknown[-1]}); "
            "update Truceline to open it"
        )
    pending = [m.name for m in migrations.pending(db)]
    if not pending:
        return []
    has_data = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0] > 0
    if has_data:
        make_backup(conn, backups, label=f"before-{pending[0].replace('_', '-')}")
    migrations.apply(db)
    log.info("migrated the database: %s", ", ".join(pending))
    # A step that rebuilt indexes leaves a large WAL: copy it into the file now, not during the
    # first save a monitor makes afterwards.
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return pending


def current_theatre(conn: sqlite3.Connection) -> Theatre:
    """The theatre stored in the database, installing the default one on first use."""
    geojson = get_meta(conn, META_THEATRE)
    if geojson is None:
        theatre = default_theatre()
        install_theatre(conn, theatre, "default")
        return theatre
    return parse_theatre(geojson, get_meta(conn, META_THEATRE_SOURCE) or "database")


def install_theatre(conn: sqlite3.Connection, theatre: Theatre, source: str) -> None:
    """Make ``theatre`` the mission's: fill ``zones`` and ``sectors`` and keep its file in ``meta``."""
    with transaction(conn):
        _write_theatre(conn, theatre, source)


def _write_theatre(conn: sqlite3.Connection, theatre: Theatre, source: str) -> None:
    conn.execute("DELETE FROM zones")
    conn.execute("DELETE FROM sectors")
    conn.executemany(
        "INSERT INTO zones (zone_id, name, name_uk, lead_nation) VALUES (?, ?, ?, ?)",
        [(z.zone_id, z.name, z.name_uk, z.lead_nation) for z in theatre.zones],
    )
    conn.executemany(
        "INSERT INTO sectors (sector_id, name, name_uk) VALUES (?, ?, ?)",
        [(s.sector_id, s.name, s.name_uk) for s in theatre.sectors],
    )
    for key, value in ((META_THEATRE, theatre.geojson_text), (META_THEATRE_SOURCE, source)):
        set_meta(conn, key, value)


@dataclass(frozen=True)
class TheatreChange:
    """What switching theatres did: how many incidents were re-dated, how many are now unplaced."""

    rebuilt: int
    unknown_zone: int
    unknown_sector: int


def rebuild_from_versions(store: Store) -> tuple[BackupInfo, int]:
    """Derive the incident table, its heads and count, the rollups and the search index again from the
    versions (``truceline check --rebuild``), after a verified backup of the file as it is. The versions,
    which are the records, are not touched. Returns the backup and the number of incidents derived."""
    backup = make_backup(store.conn, store.data.backups, "before-rebuild")
    with transaction(store.conn):
        rebuilt = rebuild_projection(store.conn, store.calendar)
    log.info("rebuilt %d incidents from their versions (backup %s)", rebuilt, backup.path.name)
    return backup, rebuilt


def switch_theatre(store: Store, theatre: Theatre, source: str) -> TheatreChange:
    """Make ``theatre`` the mission's. A new time zone or reporting cut-off changes what "a day" is,
    so the projection (and its rollups) is rebuilt from the versions in the same transaction; the
    versions themselves never change. Incidents filed under zones or sectors the new file lacks are counted
    so the user can be told; they keep their ids."""
    rebuilt = 0
    calendar = calendar_of(theatre)
    with transaction(store.conn):
        _write_theatre(store.conn, theatre, source)
        if calendar != store.calendar:
            rebuilt = rebuild_projection(store.conn, calendar)
    store.theatre = theatre
    store.calendar = calendar
    store.tz = calendar.tz
    unknown_zone = store.conn.execute(
        "SELECT count(*) FROM incidents WHERE zone_id NOT IN (SELECT zone_id FROM zones)"
    ).fetchone()[0]
    unknown_sector = store.conn.execute(
        "SELECT count(*) FROM incidents "
        "WHERE sector_id IS NOT NULL AND sector_id NOT IN (SELECT sector_id FROM sectors)"
    ).fetchone()[0]
    return TheatreChange(rebuilt, unknown_zone, unknown_sector)
