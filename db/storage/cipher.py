"""The data directory's key: a random key wrapped by the passphrase, and who in this process holds it.

An encrypted data directory keeps ``key.json`` beside its database: the Argon2id parameters and
random salt, and a random 256-bit data key sealed (ChaCha20-Poly1305) under the key Argon2id makes
from the passphrase. The passphrase is never stored. Everything at rest is encrypted with the data
key or a key derived from it: the database, its WAL, backups and ``damaged/`` copies (SQLCipher, raw
key, so no second KDF runs per connection), drafts (:func:`seal`) and the device's private key (a
PEM encrypted with a derived password).

Why a wrapped key rather than the passphrase's key itself: changing the passphrase re-wraps the
data key, verified before the old ``key.json`` is replaced, so backups and set-aside copies stay
readable after a change; and destroying ``key.json`` (:func:`erase_key`) makes every one of those
files unreadable at once (crypto-erase).

Once :func:`unlock` or :func:`create_key` succeeded, the data key is held in memory for the
directory; :func:`key_for` finds it for any file under the directory, which is how the one
function that opens connections (db/storage/connection.py) keys every connection.

``key.json`` also records SQLCipher's page size and HMAC (:class:`DatabaseCipher`), which every
connection must be given with the key. New directories use 4 KiB pages and HMAC-SHA256. SQLCipher
encrypts and authenticates every page a commit writes, and a save writes about fifty (the row, its
indexes, versions, full text and rollups): 8 KiB pages doubled those bytes and put a save at 1.4x
plain, 4 KiB keeps it near 1.2x. HMAC-SHA256 instead of SQLCipher's default HMAC-SHA512 because
CPUs have SHA-256 instructions (a page read cost about five times a plain one with the default).
Whatever ``key.json`` records is what is used: a directory encrypted with 8 KiB pages (by an
earlier build) keeps them, and a ``key.json`` without the field was written by an earlier version,
for a database with SQLCipher 4's defaults, which it keeps.
"""

import base64
import json
import os
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from db.core.atomic_file import fsync_directory, write_atomically
from db.core.errors import DatabaseError, WrongPassphraseError
from db.storage.paths import DataDir

KEY_FILE = DataDir(Path()).cipher_key.name
# Left by an emergency erase, so the directory is never mistaken for a plain (or damaged) one afterwards.
ERASED_NOTE = DataDir(Path()).erased_note.name
FORMAT = "truceline-key-1"
# Set by tests, demonstrations and training machines: new data directories are created plain.
ENV_PLAIN = "TRUCELINE_PLAIN"
KEY_BYTES = 32
# The word an emergency erase must be confirmed with, in the window and on the command line.
ERASE_WORD = "ERASE"
MIN_PASSPHRASE = 10
_WRAP_CONTEXT = b"truceline data key v1"
_SEALED_MAGIC = b"TLSEALED1\n"


@dataclass(frozen=True)
class KdfParams:
    """Argon2id's cost: about half a second and 64 MiB on a field laptop (RFC 9106's second choice)."""

    time_cost: int = 3
    memory_kib: int = 65_536
    parallelism: int = 4


DEFAULT_KDF = KdfParams()
_PAGE_SIZES = (4096, 8192, 16384, 32768, 65536)
_HMACS = ("HMAC_SHA1", "HMAC_SHA256", "HMAC_SHA512")


@dataclass(frozen=True)
class DatabaseCipher:
    """SQLCipher's settings for every database file of a directory (given with the key, never guessed)."""

    page_size: int = 4096
    hmac: str = "HMAC_SHA256"

    def pragmas(self, schema: str = "") -> list[str]:
        """The statements that set them on a connection (``schema``: an attached database), before any read."""
        prefix = f"{schema}." if schema else ""
        return [
            f"PRAGMA {prefix}cipher_page_size = {self.page_size}",
            f"PRAGMA {prefix}cipher_hmac_algorithm = {self.hmac}",
        ]


NEW_DATABASES = DatabaseCipher()
SQLCIPHER_4_DEFAULTS = DatabaseCipher(4096, "HMAC_SHA512")  # directories encrypted before key.json said


@dataclass(frozen=True)
class DataKey:
    """A directory's data key and its databases' SQLCipher settings."""

    key: bytes = field(repr=False)
    database: DatabaseCipher = NEW_DATABASES

    def pragmas(self) -> list[str]:
        """Key (raw: no SQLCipher KDF per connection) and settings, in the order SQLCipher needs them.
        An attached database is keyed by ``ATTACH … KEY`` and given ``database.pragmas(schema)``."""
        return [sqlcipher_key_pragma(self.key), *self.database.pragmas()]


_unlocked: dict[Path, DataKey] = {}


def key_file(directory: Path) -> Path:
    return DataDir(directory).cipher_key


def is_encrypted(directory: Path) -> bool:
    """Whether ``directory`` holds (or held, before an erase left the database behind) an encrypted store."""
    return key_file(directory).exists() or is_erased(directory)


def is_erased(directory: Path) -> bool:
    return DataDir(directory).erased_note.exists() and not key_file(directory).exists()


def new_directories_plain() -> bool:
    """Whether a new data directory is created without encryption (tests, demonstrations, training)."""
    return os.environ.get(ENV_PLAIN, "") not in ("", "0")


def passphrase_problem(passphrase: str) -> str | None:
    """Why ``passphrase`` cannot be used (too short, blank), or None."""
    if not passphrase.strip():
        return "the passphrase is empty"
    if len(passphrase) < MIN_PASSPHRASE:
        return f"the passphrase is too short: use at least {MIN_PASSPHRASE} characters (several words are best)"
    return None


def strength_hint(passphrase: str) -> str:
    """A rough, honest hint: length and variety, the things a guessing attack pays for."""
    if len(passphrase) < MIN_PASSPHRASE:
        return f"too short (at least {MIN_PASSPHRASE} characters)"
    kinds = sum(
        any(test(c) for c in passphrase) for test in (str.islower, str.isupper, str.isdigit, str.isspace)
    ) + any(not c.isalnum() and not c.isspace() for c in passphrase)
    words = len(passphrase.split())
    if len(passphrase) >= 20 or words >= 4:
        return "strong"
    if len(passphrase) >= 12 and kinds >= 2:
        return "fair: a longer phrase of several words is stronger"
    return "weak: add words or characters"


def create_key(directory: Path, passphrase: str, params: KdfParams = DEFAULT_KDF) -> None:
    """Make a new data key for ``directory``, wrap it with ``passphrase`` and hold it unlocked."""
    problem = passphrase_problem(passphrase)
    if problem is not None:
        raise DatabaseError(f"passphrase: {problem}")
    if is_encrypted(directory):
        raise DatabaseError(f"{key_file(directory)}: this data directory already has a key; it was not replaced")
    if (directory / "truceline.db").exists():
        raise DatabaseError(f"{directory}: this data directory already holds a database; encrypt it instead")
    document, data_key = new_wrapped_key(passphrase, params)
    directory.mkdir(parents=True, exist_ok=True)
    write_atomically(key_file(directory), document, private=True)
    hold(directory, data_key)


def new_wrapped_key(passphrase: str, params: KdfParams = DEFAULT_KDF) -> tuple[bytes, DataKey]:
    """A new random data key and the ``key.json`` text that holds it wrapped by ``passphrase``."""
    data_key = DataKey(secrets.token_bytes(KEY_BYTES), NEW_DATABASES)
    return _wrap(data_key, passphrase, params), data_key


def hold(directory: Path, data_key: DataKey) -> None:
    """Key every connection to files under ``directory`` with ``data_key`` from now on."""
    _unlocked[_norm(directory)] = data_key


def unlock(directory: Path, passphrase: str) -> None:
    """Hold ``directory``'s data key; :class:`WrongPassphraseError` (nothing changed) if it does not open."""
    _unlocked[_norm(directory)] = _unwrap(key_file(directory), passphrase)


def is_unlocked(directory: Path) -> bool:
    return _norm(directory) in _unlocked


def check_passphrase(directory: Path, passphrase: str) -> bool:
    """Whether ``passphrase`` opens ``directory``'s key (the lock screen asks this)."""
    try:
        return _unwrap(key_file(directory), passphrase) == _unlocked.get(_norm(directory))
    except WrongPassphraseError:
        return False


def forget(directory: Path) -> None:
    """Drop the data key from this process (the store closed, or the key was erased)."""
    _unlocked.pop(_norm(directory), None)


def key_for(path: Path | str) -> bytes | None:
    """The data key for a file at ``path`` (the database, a backup, a copy in ``damaged/``), if unlocked."""
    held = data_key_for(path)
    return None if held is None else held.key


def data_key_for(path: Path | str) -> DataKey | None:
    """:func:`key_for` with the SQLCipher settings that go with it."""
    if str(path) == ":memory:" or not _unlocked:
        return None
    here = _norm(Path(path))
    for candidate in (here, *here.parents):
        if candidate in _unlocked:
            return _unlocked[candidate]
    return None


def change_passphrase(directory: Path, old: str, new: str, params: KdfParams = DEFAULT_KDF) -> None:
    """Wrap the same data key with ``new``; the new ``key.json`` is read back and opened with ``new``
    before it replaces the old one, so an interruption leaves the old passphrase working."""
    problem = passphrase_problem(new)
    if problem is not None:
        raise DatabaseError(f"new passphrase: {problem}")
    path = key_file(directory)
    data_key = _unwrap(path, old)
    staged = path.with_name(f".{KEY_FILE}.new")
    write_atomically(staged, _wrap(data_key, new, params), private=True)
    try:
        if _unwrap(staged, new) != data_key:
            raise DatabaseError(f"{path}: the re-wrapped key did not read back; the passphrase was not changed")
        os.replace(staged, path)
        fsync_directory(directory)
    finally:
        staged.unlink(missing_ok=True)
    _unlocked[_norm(directory)] = data_key


def erase_key(directory: Path) -> bool:
    """Destroy the key material: overwrite ``key.json`` with random bytes, sync, remove it.

    Returns whether there was a key to destroy. Overwriting first matters on disks that keep the
    old blocks of a deleted file; flash may keep them anyway, which is why the data key is random
    and only ever on disk wrapped by the passphrase.
    """
    forget(directory)
    found = False
    for path in (key_file(directory), key_file(directory).with_name(f".{KEY_FILE}.new")):
        try:
            size = max(path.stat().st_size, 1024)
        except FileNotFoundError:
            continue
        found = True
        with path.open("r+b") as out:
            out.write(secrets.token_bytes(size))
            out.flush()
            os.fsync(out.fileno())
        path.unlink()
    if found:
        note = "The key of this data directory was destroyed on purpose (emergency erase); its encrypted files "
        note += "cannot be read by anyone.\n"
        write_atomically(directory / ERASED_NOTE, note.encode("utf-8"))
    return found


def derived_key(directory: Path, purpose: str) -> bytes:
    """A key for one purpose (drafts, the device key) derived from the data key, so erasing one erases all."""
    data_key = key_for(directory)
    if data_key is None:
        raise DatabaseError(f"{directory}: the data directory is locked")
    return HKDF(hashes.SHA256(), KEY_BYTES, salt=None, info=f"truceline {purpose}".encode()).derive(data_key)


def seal(directory: Path, purpose: str, plaintext: bytes) -> bytes:
    """``plaintext`` encrypted and authenticated with the ``purpose`` key of an unlocked directory."""
    nonce = secrets.token_bytes(12)
    sealed = ChaCha20Poly1305(derived_key(directory, purpose)).encrypt(nonce, plaintext, purpose.encode())
    return _SEALED_MAGIC + nonce + sealed


def is_sealed(data: bytes) -> bool:
    return data.startswith(_SEALED_MAGIC)


def open_sealed(directory: Path, purpose: str, data: bytes) -> bytes:
    """The plaintext of :func:`seal`'s output; ValueError if it was altered or sealed with another key."""
    body = data[len(_SEALED_MAGIC) :]
    try:
        return ChaCha20Poly1305(derived_key(directory, purpose)).decrypt(body[:12], body[12:], purpose.encode())
    except InvalidTag as error:
        raise ValueError("the encrypted file was altered or belongs to another key") from error


def sqlcipher_key_pragma(data_key: bytes) -> str:
    """SQLCipher's raw-key form: the key is used as is, without SQLCipher's own PBKDF2 per connection."""
    return f"PRAGMA key = \"x'{data_key.hex()}'\""


def _norm(path: Path) -> Path:
    return Path(os.path.abspath(path))


def _kek(passphrase: str, salt: bytes, params: KdfParams) -> bytes:
    return hash_secret_raw(
        passphrase.encode("utf-8"),
        salt,
        time_cost=params.time_cost,
        memory_cost=params.memory_kib,
        parallelism=params.parallelism,
        hash_len=KEY_BYTES,
        type=Type.ID,
    )


def _wrap(data_key: DataKey, passphrase: str, params: KdfParams) -> bytes:
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    wrapped = ChaCha20Poly1305(_kek(passphrase, salt, params)).encrypt(nonce, data_key.key, _WRAP_CONTEXT)
    document: dict[str, Any] = {
        "format": FORMAT,
        "kdf": {"name": "argon2id", **asdict(params), "salt": _b64(salt)},
        "wrapped_key": {"cipher": "chacha20-poly1305", "nonce": _b64(nonce), "data": _b64(wrapped)},
    }
    if data_key.database != SQLCIPHER_4_DEFAULTS:
        document["database"] = {"cipher_page_size": data_key.database.page_size, "hmac": data_key.database.hmac}
    return (json.dumps(document, indent=1) + "\n").encode("ascii")


def _unwrap(path: Path, passphrase: str) -> DataKey:
    """The data key in ``path``; the file is hostile input until every field is checked."""
    try:
        document = json.loads(path.read_bytes())
    except FileNotFoundError as error:
        erased = " (it was erased on purpose)" if is_erased(path.parent) else ""
        raise DatabaseError(f"{path}: the key file is missing{erased}: the encrypted data cannot be opened") from error
    except (OSError, ValueError) as error:
        raise DatabaseError(f"{path}: the key file cannot be read: {error}") from error
    try:
        kdf, wrapped = _fields(document)
        params = KdfParams(int(kdf["time_cost"]), int(kdf["memory_kib"]), int(kdf["parallelism"]))
        salt = base64.b64decode(kdf["salt"], validate=True)
        nonce = base64.b64decode(wrapped["nonce"], validate=True)
        sealed = base64.b64decode(wrapped["data"], validate=True)
        if not (1 <= params.time_cost <= 100 and 8 <= params.memory_kib <= 4_194_304 and 1 <= params.parallelism <= 64):
            raise ValueError("KDF parameters out of range")
        if len(salt) < 8 or len(nonce) != 12:
            raise ValueError("salt or nonce of the wrong size")
        database = _database_cipher(document.get("database"))
    except (KeyError, TypeError, ValueError) as error:
        raise DatabaseError(f"{path}: the key file is not a Truceline key file ({error})") from error
    try:
        data_key = ChaCha20Poly1305(_kek(passphrase, salt, params)).decrypt(nonce, sealed, _WRAP_CONTEXT)
    except InvalidTag as error:
        raise WrongPassphraseError("the passphrase is wrong: nothing was opened or changed") from error
    if len(data_key) != KEY_BYTES:
        raise DatabaseError(f"{path}: the key file holds a key of the wrong size")
    return DataKey(data_key, database)


def _database_cipher(field: object) -> DatabaseCipher:
    """The ``database`` field of ``key.json``: absent in files of earlier versions (SQLCipher 4's defaults)."""
    if field is None:
        return SQLCIPHER_4_DEFAULTS
    if not isinstance(field, dict) or set(field) != {"cipher_page_size", "hmac"}:
        raise ValueError("the database settings are not cipher_page_size and hmac")
    page_size, hmac = field["cipher_page_size"], field["hmac"]
    if page_size not in _PAGE_SIZES or isinstance(page_size, bool) or hmac not in _HMACS:
        raise ValueError(f"unknown database settings {page_size!r}, {hmac!r}")
    return DatabaseCipher(int(page_size), str(hmac))


def _fields(document: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(f"unknown format {document.get('format') if isinstance(document, dict) else None!r}")
    kdf, wrapped = document.get("kdf"), document.get("wrapped_key")
    if not isinstance(kdf, dict) or kdf.get("name") != "argon2id" or not isinstance(wrapped, dict):
        raise ValueError("no Argon2id parameters or wrapped key")
    return kdf, wrapped


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


class Throttle:
    """Wrong passphrases slow down: after the n-th wrong one in a row, the next try waits
    ``first × 2^(n-1)`` seconds (at most ``longest``). Kept in memory only: a wrong passphrase
    writes nothing, so it cannot be used to change or fill anything on disk."""

    def __init__(self, first: float = 1.0, longest: float = 60.0) -> None:
        self.first = first
        self.longest = longest
        self.failures = 0

    def failed(self) -> float:
        """Count a wrong passphrase; the seconds to wait before the next try."""
        self.failures += 1
        return float(min(self.first * 2 ** (self.failures - 1), self.longest))

    def succeeded(self) -> None:
        self.failures = 0
