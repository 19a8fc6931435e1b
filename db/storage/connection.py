"""The one function that opens every database connection, and the transaction helper.

Nothing here (nor anywhere in a process that may hold a connection) opens the database, its
``-wal`` or ``-shm`` with ordinary file I/O: closing any descriptor of a file drops every POSIX lock
the process holds on it, after which another process closing its last connection believes it is
alone, checkpoints and deletes the WAL under our open connections (SQLite's "How To Corrupt An
SQLite Database File", §2.2). A foreign file is recognised through SQLite itself.
``tests/test_no_plain_file_access.py`` fails if such an open appears again.

Every connection gets the same safety settings (ARCHITECTURE.md §4): WAL, ``synchronous=FULL``,
foreign keys, ``trusted_schema=OFF`` and a busy timeout, and runs in autocommit mode so that each
write is an explicit ``BEGIN IMMEDIATE … COMMIT``.
"""

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from db.core.errors import DamagedDatabaseError, DatabaseError, DiskFullError
from db.core.sql_driver import sqlite3
from db.storage.cipher import DataKey, data_key_for
from db.storage.damage import damage_seen, is_damage

BUSY_TIMEOUT_MS = 5000
ENCRYPTED_CACHE_KIB = 65_536
WAL_CHECKPOINT_BYTES = 1000 * 4096  # SQLite's default for its default page size


def connect(path: Path | str, *, readonly: bool = False) -> sqlite3.Connection:
    """Open ``path`` (``":memory:"`` allowed) with Truceline's pragmas; no migration here."""
    target = str(path)
    conn: sqlite3.Connection | None = None
    try:
        if readonly:
            conn = open_file(path, query="mode=ro", isolation_level=None, check_same_thread=False)
        else:
            conn = open_file(path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000)
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
        close_quietly(conn)
        if "file is not a database" in str(error):
            # SQLite reads the header before anything else and writes nothing to a file whose header
            # is not its own, so a foreign file is recognised here without being touched.
            raise DamagedDatabaseError(f"{target}: this file is not a Truceline database (it is not SQLite)") from error
        if "malformed" in str(error):
            raise DamagedDatabaseError(f"{target}: the database is damaged or not a database: {error}") from error
        raise DatabaseError(f"{target}: cannot open the database: {error}") from error
    except BaseException:
        close_quietly(conn)
        raise
    return conn


def open_file(
    path: Path | str, *, query: str = "", key: DataKey | None = None, plain: bool = False, **options: Any
) -> sqlite3.Connection:
    """A bare connection to ``path`` (URI ``query`` such as ``mode=ro&immutable=1``), keyed if the file
    lies in an unlocked encrypted data directory (db/storage/cipher.py): backups, set-aside copies and
    read-only looks need the key exactly as the live connection does. ``key`` keys it with a key not
    held yet (a conversion's copy); ``plain`` opens it without one. Beyond the key, only the cache and
    checkpoint size an encrypted file needs; the rest is :func:`connect`'s."""
    target = f"file:{path}?{query}" if query else str(path)
    conn = sqlite3.connect(target, uri=bool(query), **options)
    try:
        # SQLCipher writes its own error lines to stderr on a wrong key; the caller reports it in words.
        conn.execute("PRAGMA cipher_log_level = NONE")
        data_key = None if plain else key or data_key_for(path)
        if data_key is not None:
            for pragma in data_key.pragmas():
                conn.execute(pragma)
            # A page read from the OS cache must be decrypted and authenticated again on every miss of
            # SQLite's own cache (2 MB by default, and no mmap for encrypted files): a larger one keeps
            # index walks (the table's pages, a CSV export in time order) near plain speed. Memory is
            # taken only as pages are read.
            conn.execute(f"PRAGMA cache_size = -{ENCRYPTED_CACHE_KIB}")
            # Checkpoint after as many bytes of WAL as a plain database (1,000 pages of 4 KiB), not 1,000
            # larger pages: the save that runs the checkpoint waits for it.
            conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_BYTES // data_key.database.page_size}")
    except BaseException:
        conn.close()
        raise
    return conn


def close_quietly(conn: sqlite3.Connection | None) -> None:
    """Close a half-set-up connection after a failure; a second error must not hide the first."""
    if conn is not None:
        try:
            conn.close()
        except sqlite3.Error:
            pass


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` … ``COMMIT``; any exception rolls everything back.

    A full disk or a database held by another writer becomes a :class:`DatabaseError` that says
    so; the transaction is rolled back first, so nothing of it was written.
    """
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as error:
        raise storage_error(error) from error
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException as error:
        if conn.in_transaction:
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass  # SQLite rolls back by itself when it cannot; the first error is the one to report
        if isinstance(error, sqlite3.DatabaseError) and damage_seen(error):
            raise storage_error(error) from error
        if isinstance(error, sqlite3.OperationalError):
            raise storage_error(error) from error
        raise


def storage_error(error: sqlite3.Error) -> DatabaseError:
    """The user's sentence for an SQLite failure to write: full disk, busy, read-only or I/O."""
    text = str(error).lower()
    if is_damage(error):
        return DamagedDatabaseError(
            f"the database reported damage ({error}): this write was not saved and nothing more will be written to it"
        )
    if "full" in text:
        return DiskFullError("the disk is full: nothing was saved. Free some space, then try again")
    if "locked" in text or "busy" in text:
        return DatabaseError(
            "the database is busy: another Truceline (window or command) is writing to it; nothing was saved. "
            "Try again in a moment"
        )
    if "readonly" in text or "read-only" in text:
        return DatabaseError(
            "the database is read-only here: nothing was saved. Check the data directory's permissions"
        )
    if "i/o" in text:
        return DatabaseError(
            f"the disk reported an error ({error}): nothing was saved. Check the disk, then run 'truceline check'"
        )
    return DatabaseError(f"the database refused the write ({error}): nothing was saved")


BULK_CACHE_KIB = 131_072
BULK_CHECKPOINT_PAGES = 65_536


@contextmanager
def bulk_writes(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Settings for many rows at once: a large page cache (indexes on random keys need it) and
    rarer checkpoints (a hot index page is then copied into the database once, not per batch).
    Durability is unchanged: every commit is still synced to the WAL."""
    previous = conn.execute("PRAGMA cache_size").fetchone()[0]
    checkpoint = conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
    conn.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
    conn.execute(f"PRAGMA wal_autocheckpoint = {BULK_CHECKPOINT_PAGES}")
    try:
        yield conn
    finally:
        conn.execute(f"PRAGMA cache_size = {previous}")
        conn.execute(f"PRAGMA wal_autocheckpoint = {int(checkpoint)}")
        # Committed work is safe in the WAL whether or not this copy succeeds (a later checkpoint
        # does it), so its failure (on the full disk that stopped the work, say) is no error and
        # never hides the one that is.
        with suppress(sqlite3.Error):
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
