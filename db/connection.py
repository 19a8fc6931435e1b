"""The one function that opens every database connection, and the transaction helper.

Every connection gets the same safety settings (DESIGN.md §9): WAL, ``synchronous=FULL``,
foreign keys, ``trusted_schema=OFF`` and a busy timeout, and runs in autocommit mode so that each
write is an explicit ``BEGIN IMMEDIATE … COMMIT``.
"""

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from db.errors import DatabaseError

BUSY_TIMEOUT_MS = 5000
SQLITE_HEADER = b"SQLite format 3\x00"


def connect(path: Path | str, *, readonly: bool = False) -> sqlite3.Connection:
    """Open ``path`` (``":memory:"`` allowed) with Truceline's pragmas; no migration here."""
    target = str(path)
    if target != ":memory:":
        _refuse_foreign_file(Path(target))
    try:
        if readonly:
            conn = sqlite3.connect(f"file:{target}?mode=ro", uri=True, isolation_level=None, check_same_thread=False)
        else:
            conn = sqlite3.connect(
                target, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
            )
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if not readonly and target != ":memory:":
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode.lower() != "wal":
                raise DatabaseError(f"{target}: could not switch the database to WAL mode (got {mode})")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA trusted_schema = OFF")
        conn.execute("PRAGMA recursive_triggers = ON")
    except sqlite3.DatabaseError as error:
        raise DatabaseError(f"{target}: cannot open the database: {error}") from error
    return conn


def _refuse_foreign_file(path: Path) -> None:
    """A file that exists but is not SQLite is never opened, so SQLite cannot touch it."""
    if not path.exists() or path.stat().st_size == 0:
        return
    with path.open("rb") as handle:
        header = handle.read(len(SQLITE_HEADER))
    if header != SQLITE_HEADER:
        raise DatabaseError(f"{path}: this file is not a Truceline database (it is not SQLite)")


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` … ``COMMIT``; any exception rolls everything back."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


BULK_CACHE_KIB = 131_072
BULK_CHECKPOINT_PAGES = 65_536


@contextmanager
def bulk_writes(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Settings for many rows at once: a large page cache (indexes on random keys need it) and
    rarer checkpoints (a hot index page is then copied into the database once, not per batch).
    Durability is unchanged: every commit is still synced to the WAL."""
    previous = conn.execute("PRAGMA cache_size").fetchone()[0]
    conn.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
    conn.execute(f"PRAGMA wal_autocheckpoint = {BULK_CHECKPOINT_PAGES}")
    try:
        yield conn
    finally:
        conn.execute(f"PRAGMA cache_size = {previous}")
        conn.execute("PRAGMA wal_autocheckpoint = 1000")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def checkpoint(conn: sqlite3.Connection) -> None:
    """Copy the WAL into the database now, when nobody is waiting (the window calls it when idle),
    so that a monitor's save does not pay for a large automatic checkpoint. Never blocks writers."""
    if not conn.in_transaction:
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
