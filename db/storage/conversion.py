"""Turning a plain data directory into an encrypted one, so that an interruption at any point loses nothing.

The conversion has one commit point, the appearance of ``key.json``:

1. Before it (undoable): a new data key is wrapped into ``.key.json.pending``; the plain database is
   checkpointed and copied with ``sqlcipher_export`` into ``truceline.db.encrypting``, which is then
   opened with the key and given the full check (``integrity_check``, chains, signed heads,
   projection, full-text index). A crash here leaves the plain directory as it was; the next
   attempt removes the two partial files first.
2. The commit: ``.key.json.pending`` is renamed to ``key.json``.
3. After it (redone until finished, by :func:`finish_conversion`, which :func:`db.storage.store.open_store`
   runs on every encrypted directory): the verified copy replaces the plain database; plain backups
   and ``damaged/`` copies are re-written encrypted, each verified before it replaces its plain
   original; drafts are sealed; the device key is re-written as an encrypted PEM.

The plain files are replaced (renamed over), not wiped: a disk may still hold their old blocks,
which the README says.
"""

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from db.core.atomic_file import fsync_directory, write_atomically
from db.core.errors import DatabaseError
from db.core.sql_driver import sqlite3
from db.model.theatre import default_theatre, parse_theatre
from db.storage import cipher, paths
from db.storage.connection import connect, open_file
from db.storage.device import protect_device_key
from db.storage.drafts import seal_plain_drafts
from db.storage.integrity import check_database
from db.storage.paths import DataDir
from db.storage.projection import Calendar
from db.storage.usage_lock import using_data_dir

log = logging.getLogger(__name__)

STAGED_SUFFIX = ".encrypting"
PENDING_KEY = ".key.json.pending"
# Steps before the commit point that a progress bar counts: the key, the copy and its check.
BEFORE_COMMIT = 3


@dataclass(frozen=True)
class Conversion:
    """What the conversion encrypted, and the copies it could not read (left as they were)."""

    backups: int
    damaged_copies: int
    drafts: int
    left_plain: tuple[Path, ...]


@dataclass(frozen=True)
class Step:
    """Where a conversion is, for a progress bar: ``done`` of ``total`` steps, and ``what`` runs now.

    ``sqlcipher_export`` copies the database in one statement, so steps are all there is to count.
    """

    what: str
    done: int
    total: int


OnStep = Callable[[Step], None]


class StepCounter:
    """Counts the steps of one conversion and reports each as it starts."""

    def __init__(self, on_step: OnStep | None, total: int, done: int = 0) -> None:
        self.on_step, self.total, self.done = on_step, total, done

    def start(self, what: str) -> None:
        if self.on_step is not None:
            self.on_step(Step(what, min(self.done, self.total), self.total))
        self.done += 1


def encrypt_directory(
    directory: Path,
    passphrase: str,
    params: cipher.KdfParams = cipher.DEFAULT_KDF,
    on_step: OnStep | None = None,
) -> Conversion:
    """Encrypt the plain data directory ``directory`` under ``passphrase`` (nobody else may be using it).

    Raises :class:`~db.core.errors.InUseError` at once, changing nothing, if another process has the
    directory open; ``on_step`` hears each step as it starts (the window's progress dialog).
    """
    problem = cipher.passphrase_problem(passphrase)
    if problem is not None:
        raise DatabaseError(f"passphrase: {problem}")
    if cipher.is_encrypted(directory):
        raise DatabaseError(f"{directory}: this data directory is already encrypted; nothing was changed")
    database = directory / paths.DATABASE_NAME
    if not database.exists():
        raise DatabaseError(f"{database}: there is no database to encrypt here")
    staged, pending = _staged(directory), directory / PENDING_KEY
    with using_data_dir(directory, alone=True):
        steps = StepCounter(on_step, BEFORE_COMMIT + after_commit_steps(directory))
        for leftover in (staged, pending):
            leftover.unlink(missing_ok=True)
        try:
            data_key = _stage_copy(directory, passphrase, params, steps)
        except BaseException:
            # A full disk must not stay full of a half copy: the plain directory goes on being used.
            for partial in (staged, pending):
                partial.unlink(missing_ok=True)
            raise
        os.replace(pending, cipher.key_file(directory))  # the commit point
        fsync_directory(directory)
        cipher.hold(directory, data_key)
        log.info("encrypted the data directory %s", directory)
        return finish_conversion(directory, steps)


def _stage_copy(directory: Path, passphrase: str, params: cipher.KdfParams, steps: StepCounter) -> cipher.DataKey:
    """Before the commit point: the wrapped key set aside, the encrypted copy written and fully checked."""
    steps.start("making the key from the passphrase")
    document, data_key = cipher.new_wrapped_key(passphrase, params)
    write_atomically(directory / PENDING_KEY, document, private=True)
    steps.start("copying the records into an encrypted database")
    conn = connect(directory / paths.DATABASE_NAME)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        export_encrypted(conn, _staged(directory), data_key)
    finally:
        conn.close()
    steps.start("checking the encrypted copy as 'truceline check' does")
    _verify_copy(_staged(directory), data_key, full=True)
    return data_key


def export_encrypted(conn: sqlite3.Connection, target: Path, data_key: cipher.DataKey) -> None:
    """Copy the plain database of ``conn`` into a new encrypted file ``target`` (``sqlcipher_export``)."""
    conn.execute(f"ATTACH DATABASE ? AS encrypted KEY \"x'{data_key.key.hex()}'\"", (str(target),))
    try:
        for pragma in data_key.database.pragmas("encrypted"):  # before the first page is written
            conn.execute(pragma)
        conn.execute("SELECT sqlcipher_export('encrypted')")
        version = conn.execute("PRAGMA main.user_version").fetchone()[0]
        conn.execute(f"PRAGMA encrypted.user_version = {int(version)}")
    finally:
        conn.execute("DETACH DATABASE encrypted")
    with target.open("rb") as handle:
        os.fsync(handle.fileno())


def after_commit_steps(directory: Path) -> int:
    """How many steps :func:`finish_conversion` reports: the switch, each plain copy, drafts and keys."""
    return 2 + len(_plain_copies(directory))


def finish_conversion(directory: Path, steps: StepCounter | None = None) -> Conversion:
    """Everything after the commit point; does nothing on a directory with nothing left plain."""
    data_key = cipher.data_key_for(directory)
    if data_key is None:
        raise DatabaseError(f"{directory}: the data directory is locked")
    steps = steps or StepCounter(None, 0)
    staged, database = _staged(directory), directory / paths.DATABASE_NAME
    steps.start("switching to the encrypted database")
    if staged.exists():
        # The plain database's content is all in the verified copy (it was checkpointed and held alone).
        for suffix in ("-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        os.replace(staged, database)
        fsync_directory(directory)
    (directory / PENDING_KEY).unlink(missing_ok=True)
    backups = damaged = 0
    left: list[Path] = []
    for copy in _plain_copies(directory):
        steps.start(f"encrypting {copy.name}")
        try:
            _encrypt_copy(copy, data_key)
        except (sqlite3.Error, DatabaseError, OSError) as error:
            log.warning("could not encrypt %s (kept as it was): %s", copy, error)
            left.append(copy)
            continue
        if paths.DAMAGED_DIR in copy.parts:
            damaged += 1
        else:
            backups += 1
    steps.start("encrypting the drafts and the device key")
    drafts = seal_plain_drafts(DataDir(directory).drafts)
    for key in (DataDir(directory).device_key, *DataDir(directory).damaged.glob("*/retired-*.pem")):
        protect_device_key(key)
    return Conversion(backups, damaged, drafts, tuple(left))


def is_plain_database(path: Path) -> bool:
    """Whether ``path`` is an SQLite file readable without a key (asked of SQLite, not read by hand)."""
    try:
        conn = open_file(path, query="mode=ro&immutable=1", plain=True)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return True
        finally:
            conn.close()
    except sqlite3.Error:
        return False


def _plain_copies(directory: Path) -> list[Path]:
    found = sorted(DataDir(directory).backups.glob("truceline-*.db"))
    found += sorted(p for p in DataDir(directory).damaged.glob("*/*") if p.suffix == ".db" or p.name.endswith(".db"))
    return [p for p in found if p.is_file() and is_plain_database(p)]


def _encrypt_copy(path: Path, data_key: cipher.DataKey) -> None:
    temp = path.with_name(f".{path.name}.encrypting")
    temp.unlink(missing_ok=True)
    source = open_file(path, query="mode=ro", plain=True)
    try:
        export_encrypted(source, temp, data_key)
    finally:
        source.close()
    try:
        _verify_copy(temp, data_key, full=False)
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    for suffix in ("-wal", "-shm"):  # read into the encrypted copy; plain text must not stay beside it
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    fsync_directory(path.parent)


def _verify_copy(path: Path, data_key: cipher.DataKey, *, full: bool) -> None:
    """Open the encrypted copy with its key and check it; ``full`` adds the checks of ``truceline check``."""
    conn = open_file(path, key=data_key)
    try:
        result = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            raise DatabaseError(
                f"{path}: the encrypted copy failed its integrity check ({result}); nothing was changed"
            )
        if full:
            report = check_database(conn, _calendar(conn))
            if not report.ok:
                raise DatabaseError(
                    f"{path}: the encrypted copy failed the full check ({report.damage[0]}); nothing was changed"
                )
    finally:
        conn.close()


def _calendar(conn: sqlite3.Connection) -> Calendar:
    row = conn.execute("SELECT value FROM meta WHERE key = 'theatre_geojson'").fetchone()
    theatre = default_theatre() if row is None else parse_theatre(row[0], "database")
    return Calendar(ZoneInfo(theatre.time_zone), theatre.reporting_cutoff)


def _staged(directory: Path) -> Path:
    return directory / f"{paths.DATABASE_NAME}{STAGED_SUFFIX}"
