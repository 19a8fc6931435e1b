"""A look at the data directory before the first read-write connection, so nothing is written
over what is found there without a word.

A read-write connection is not harmless: SQLite replays whatever ``-wal`` file lies beside the
database into it when the last connection closes, and a start on a missing database creates an
empty one (and a new device key) in its place. So before :func:`db.storage.store.open_store` opens the
database for writing, this module looks with read-only connections only:

- a database that is missing or empty while the directory holds a device key, backups, drafts
  or a journal is a lost database, not a first start: it is refused and the restore offered;
- a file that is not a whole number of pages was cut short (``quick_check`` can miss that);
- a ``-wal`` journal must continue the database, not replace it: the state seen through it must
  keep the database's device and its newest version (versions are append-only). A journal left
  by another database fails that and is refused before SQLite can replay it.

It runs before this process holds any connection to the database, so reading sizes here cannot
drop another connection's locks.
"""

from dataclasses import dataclass
from pathlib import Path

from db.core.errors import DamagedDatabaseError, DatabaseError
from db.core.sql_driver import sqlite3
from db.storage import paths
from db.storage.backup import list_backups
from db.storage.connection import open_file
from db.storage.paths import DataDir

WAL_HEADER_BYTES = 32
BUSY_TIMEOUT_S = 5.0


class LostDatabaseError(DamagedDatabaseError):
    """The database vanished (or is empty) while the data directory shows it held records."""


@dataclass(frozen=True)
class _State:
    """What a read-only look at the database saw: enough to tell a continuation from a stranger."""

    page_size: int
    tables: frozenset[str]
    device_id: str | None
    last_version: tuple[str, str] | None  # (version_id, chain_sha256) of the newest stored row
    probed: tuple[str, str] | None = None  # the same for the version asked about, if held


def look_before_opening(directory: Path, *, quick: bool = False) -> bool:
    """Raise :class:`DamagedDatabaseError` (or a subclass) if opening ``directory``'s database for
    writing would replace or rewrite something without a word; ``quick`` also runs ``quick_check``
    (read-only, so a damaged file is never written to, not even by the checkpoint at close).

    Returns whether ``quick_check`` ran and passed (not when there is no file yet, or one SQLite
    cannot read at all: connect() refuses that with its own words)."""
    database = directory / paths.DATABASE_NAME
    wal = Path(f"{database}-wal")
    if _size(database) == 0:
        refuse_lost_database(directory)
        return False
    main = _look(database, immutable=True)
    if main is None:
        return False  # not readable as SQLite: connect() and the checks say why, with their own words
    size = _size(database)
    if size % main.page_size:
        raise DamagedDatabaseError(
            f"{database}: the file is {size:,} bytes, not a whole number of {main.page_size:,}-byte pages: it was cut "
            "short and was not changed. Run 'truceline restore' to put the latest verified backup in its place"
        )
    if _size(wal) > WAL_HEADER_BYTES or quick:
        current = _look_through_wal(database, quick=quick, probe=main.last_version)
        if _size(wal) > WAL_HEADER_BYTES:
            _refuse_foreign_wal(database, main, current)
    return quick


def refuse_lost_database(directory: Path) -> None:
    """A missing or empty database is a first start only in a directory that holds nothing else."""
    held = what_is_held(directory)
    if held:
        raise LostDatabaseError(
            f"{directory / paths.DATABASE_NAME} is missing or empty, yet this data directory holds "
            f"{', '.join(held)}: it was not recreated and nothing was changed; run 'truceline restore' to put the "
            "latest verified backup back (or open the window to start empty)"
        )


def what_is_held(directory: Path) -> list[str]:
    """What shows that ``directory`` held a database: the device key, backups, drafts, a journal."""
    held = []
    if DataDir(directory).device_key.exists():
        held.append("this laptop's device key")
    backups = len(list_backups(DataDir(directory).backups))
    if backups:
        held.append(f"{backups} backup{'s' if backups != 1 else ''}")
    try:
        drafts = sum(1 for _ in DataDir(directory).drafts.glob("*.json"))
    except OSError:
        drafts = 1  # a drafts folder that cannot be read may still hold someone's notes
    if drafts:
        held.append(f"{drafts} draft{'s' if drafts != 1 else ''}")
    if _size(Path(f"{directory / paths.DATABASE_NAME}-wal")) > 0:
        held.append(f"a journal ({paths.DATABASE_NAME}-wal)")
    return held


def _refuse_foreign_wal(database: Path, main: _State, current: _State) -> None:
    """The journal must continue the database: the same device, the newest version still there.

    Both facts hold for any state the journal can lead to (versions are append-only; the device
    changes only by a restore, which leaves no journal), even when another process is copying the
    journal into the file while this looks: each page then comes from a committed state."""
    wrong = ""
    if main.device_id is not None and current.device_id != main.device_id:
        wrong = f"it belongs to device {current.device_id}, the database to device {main.device_id}"
    elif main.last_version is not None and current.probed != main.last_version:
        wrong = "versions stored in the database are missing or different through it"
    if wrong:
        raise DamagedDatabaseError(
            f"{database}-wal does not belong to this database ({wrong}); neither file was changed. "
            "Run 'truceline restore': both are kept as found in damaged/"
        )


def _look_through_wal(database: Path, *, quick: bool, probe: tuple[str, str] | None) -> _State:
    """The database as SQLite sees it with its journal, read-only (no checkpoint can follow)."""
    try:
        state = _look(database, immutable=False, quick=quick, probe=probe)
    except sqlite3.OperationalError as error:
        if "locked" in str(error) or "busy" in str(error):
            raise DatabaseError(
                f"{database}: the database is busy: another Truceline is using it; try again in a moment"
            ) from error
        raise _damaged(database, error) from error
    except sqlite3.DatabaseError as error:
        raise _damaged(database, error) from error
    if state is None:  # pragma: no cover - _look raises when not immutable
        raise _damaged(database, "unreadable")
    return state


def _damaged(database: Path, error: object) -> DamagedDatabaseError:
    return DamagedDatabaseError(
        f"{database}: the database is damaged or unreadable ({error}); it was not changed. "
        "Run 'truceline restore' to put the latest verified backup in its place"
    )


def _look(
    database: Path, *, immutable: bool, quick: bool = False, probe: tuple[str, str] | None = None
) -> _State | None:
    """Read-only facts about ``database``: ``immutable`` reads the main file alone (no journal, no
    locks) and returns None if it cannot; otherwise SQLite errors are raised to the caller."""
    try:
        conn = open_file(database, query="mode=ro&immutable=1" if immutable else "mode=ro", timeout=BUSY_TIMEOUT_S)
        try:
            if quick:
                result = conn.execute("PRAGMA quick_check").fetchone()[0]
                if result != "ok":
                    raise DamagedDatabaseError(
                        f"{database}: the database is damaged (it failed its start-up check): {result}"
                    )
            return _state(conn, probe)
        finally:
            conn.close()
    except sqlite3.Error:
        if immutable:
            return None
        raise


def _state(conn: sqlite3.Connection, probe: tuple[str, str] | None) -> _State:
    page_size = int(conn.execute("PRAGMA page_size").fetchone()[0])
    tables = frozenset(r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"))
    device_id = None
    if "meta" in tables:
        row = conn.execute("SELECT value FROM meta WHERE key = 'local_device_id'").fetchone()
        device_id = row[0] if row else None
    last_version = probed = None
    if "incident_versions" in tables:
        row = conn.execute(
            "SELECT version_id, chain_sha256 FROM incident_versions ORDER BY rowid DESC LIMIT 1"
        ).fetchone()
        last_version = (row[0], row[1]) if row else None
        if probe is not None:
            row = conn.execute(
                "SELECT version_id, chain_sha256 FROM incident_versions WHERE version_id = ?", (probe[0],)
            ).fetchone()
            probed = (row[0], row[1]) if row else None
    return _State(page_size, tables, device_id, last_version, probed)


def _size(path: Path) -> int:
    """The size of ``path`` (0 when absent), from the directory entry: no descriptor is opened."""
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0
