"""The mission's sealing key: made once by headquarters, its public half trusted on every laptop.

Bundles are sealed (:mod:`db.exchange.sealed`) to an X25519 key whose private half only
headquarters or the supervisor hold. :func:`create_seal_key` writes the pair into a directory of
its own (a stick kept safe): the public half as a small file given to every laptop
(:func:`trust_seal_key`, stored in ``meta``, its fingerprint read aloud to compare), the private
half encrypted under a passphrase with scrypt (memory-hard, so a stolen file resists guessing)
and ChaCha20-Poly1305. The passphrase is never stored. A supervisor's laptop may hold a copy of
the encrypted private file in its data directory (:func:`hold_seal_key`); it is unlocked only
for an import, with the passphrase typed then.

Like the mission authority, a laptop trusts one sealing key: a second one is refused, since
whoever slipped in their own key could then read every bundle the laptop writes.
"""

import base64
import binascii
import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from db.core.atomic_file import write_atomically
from db.core.errors import TrucelineError
from db.core.hashing import canonical_json
from db.core.sql_driver import sqlite3
from db.exchange.mission import fingerprint
from db.exchange.sealed import (
    DEVICE,
    MAX_RECIPIENTS,
    MISSION,
    Recipient,
    device_seal_key,
    device_seal_public,
    raw_public,
)
from db.model.payload_check import read_capped_json
from db.storage.cipher import passphrase_problem
from db.storage.connection import transaction
from db.storage.device import DeviceIdentity
from db.storage.paths import DataDir

PUBLIC_KIND = "truceline-mission-seal-key"
PRIVATE_KIND = "truceline-mission-seal-private-key"
PUBLIC_FILE = "mission-seal.pub"
KEY_FILE = "mission-seal-key.json"  # the private half, passphrase-protected; also its name in a data directory
META_SEAL = "mission_seal_key"
META_HELD = "mission_seal_key_held"  # this laptop holds the private half: it seals back to every laptop
# scrypt's cost: 2**17 × 128 × 8 bytes = 128 MiB and about half a second; a file may ask for less
# (tests) or a little more, never enough to exhaust a laptop.
SCRYPT_LOG_N = 17
_LOG_N_RANGE = range(10, 19)
_SCRYPT_R = 8
_MAX_FILE = 4096


class SealKeyError(TrucelineError):
    """The sealing key could not be made, read, unlocked or trusted; the message names the file and why."""


def create_seal_key(directory: Path, passphrase: str, *, log_n: int | None = None) -> str:
    """Write a new sealing key pair into ``directory`` (never over an existing one); return its fingerprint."""
    log_n = SCRYPT_LOG_N if log_n is None else log_n
    private_path, public_path = directory / KEY_FILE, directory / PUBLIC_FILE
    check_new_passphrase(passphrase)
    for path in (private_path, public_path):
        if path.exists():
            raise SealKeyError(f"{path}: a mission sealing key is already there; it was left as it is")
    key = X25519PrivateKey.generate()
    public = raw_public(key.public_key())
    salt, nonce = os.urandom(16), os.urandom(12)
    header = {"kind": PRIVATE_KIND, "kdf": "scrypt", "log_n": log_n, "salt": _b64(salt), "public_key": _b64(public)}
    cipher = ChaCha20Poly1305(_derive(passphrase, salt, log_n))
    secret = cipher.encrypt(nonce, _private_bytes(key), canonical_json(header))
    document = {**header, "nonce": _b64(nonce), "sealed_key": _b64(secret)}
    try:
        directory.mkdir(parents=True, exist_ok=True)
        write_atomically(private_path, canonical_json(document) + b"\n", private=True)
        write_atomically(public_path, canonical_json({"kind": PUBLIC_KIND, "public_key": _b64(public)}) + b"\n")
    except OSError as error:
        private_path.unlink(missing_ok=True)
        raise SealKeyError(f"{directory}: the mission sealing key cannot be written there: {error.strerror}") from None
    return fingerprint(public)


def check_new_passphrase(passphrase: str) -> None:
    """The same rule as for a data directory's passphrase (one rule, in :mod:`db.storage.cipher`)."""
    problem = passphrase_problem(passphrase)
    if problem is not None:
        raise SealKeyError(problem)


def read_seal_public_file(path: Path) -> bytes:
    """The sealing key's public half from its file, checked (a small JSON object of the right kind)."""
    document = _read_document(path, PUBLIC_KIND, "mission seal-key create")
    return _key_field(document, "public_key", path)


def unlock_seal_key(path: Path, passphrase: str) -> X25519PrivateKey:
    """The private half from its file; a wrong passphrase is refused with a sentence that says so."""
    document = _read_document(path, PRIVATE_KIND, "mission seal-key create")
    public = _key_field(document, "public_key", path)
    log_n, salt, nonce = document.get("log_n"), _unb64(document.get("salt")), _unb64(document.get("nonce"))
    if type(log_n) is not int or log_n not in _LOG_N_RANGE or len(salt) != 16 or len(nonce) != 12:
        raise SealKeyError(f"{path}: the sealing key file's parameters are not valid")
    header = {k: document[k] for k in ("kind", "kdf", "log_n", "salt", "public_key") if k in document}
    try:
        raw = ChaCha20Poly1305(_derive(passphrase, salt, log_n)).decrypt(
            nonce, _unb64(document.get("sealed_key")), canonical_json(header)
        )
    except InvalidTag:
        raise SealKeyError(f"{path}: the passphrase does not unlock this mission sealing key") from None
    key = X25519PrivateKey.from_private_bytes(raw)
    if raw_public(key.public_key()) != public:
        raise SealKeyError(f"{path}: the sealing key file does not match its own public key (damaged)")
    return key


def trust_seal_key(conn: sqlite3.Connection, public_key: bytes) -> str:
    """Make this laptop seal its bundles to ``public_key``; return the fingerprint. Another key is refused."""
    with transaction(conn):
        current = trusted_seal_key(conn)
        if current is not None and current != public_key:
            raise SealKeyError(
                f"this laptop already seals its bundles to the mission key {fingerprint(current)}; "
                f"another key ({fingerprint(public_key)}) was refused"
            )
        conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", (META_SEAL, _b64(public_key))
        )
    return fingerprint(public_key)


def trusted_seal_key(conn: sqlite3.Connection) -> bytes | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (META_SEAL,)).fetchone()
    return None if row is None else base64.b64decode(row[0])


def hold_seal_key(conn: sqlite3.Connection, data_dir: Path, key_file: Path, passphrase: str) -> str:
    """Keep the (still encrypted) private file in ``data_dir`` after checking that ``passphrase`` unlocks it.

    Its public half becomes the key this laptop seals to, so a supervisor's own bundles stay
    readable by the mission. Returns the fingerprint.
    """
    key = unlock_seal_key(key_file, passphrase)
    shown = trust_seal_key(conn, raw_public(key.public_key()))
    held = DataDir(data_dir).held_seal_key
    if held.exists() and held.resolve() != key_file.resolve():
        raise SealKeyError(f"{held}: a mission sealing key is already held here; it was left as it is")
    try:
        with key_file.open("rb") as source:
            write_atomically(held, source.read(_MAX_FILE + 1), private=True)
    except OSError as error:
        raise SealKeyError(f"{held}: the sealing key cannot be kept there: {error.strerror}") from None
    with transaction(conn):
        conn.execute("INSERT INTO meta (key, value) VALUES (?, '1') ON CONFLICT (key) DO NOTHING", (META_HELD,))
    return shown


def held_seal_key(data_dir: Path) -> Path | None:
    """The private sealing key file this laptop holds, if it is a supervisor's."""
    path = DataDir(data_dir).held_seal_key
    return path if path.exists() else None


def seal_recipients(conn: sqlite3.Connection, device: DeviceIdentity) -> list[Recipient]:
    """Whom this laptop's bundles are sealed for; nobody (a plain bundle) while it trusts no sealing key.

    A monitor's laptop seals for the mission and itself. The laptop holding the mission's private
    key (the supervisor's) seals its bundle back for the mission and every laptop it knows, so
    that the monitors can import what it merged; until the mission's roster says which laptops
    belong, "every laptop it knows" is every device whose bundle it imported.
    """
    mission = trusted_seal_key(conn)
    if mission is None:
        return []
    own = device_seal_key(device.private_key).public_key()
    recipients = [Recipient(MISSION, X25519PublicKey.from_public_bytes(mission)), Recipient(DEVICE, own)]
    if conn.execute("SELECT 1 FROM meta WHERE key = ?", (META_HELD,)).fetchone() is not None:
        for device_id, public in conn.execute("SELECT device_id, public_key FROM devices ORDER BY device_id"):
            other = device_seal_public(_unb64(public)) if device_id != device.device_id else None
            if other is not None:
                recipients.append(Recipient(DEVICE, other))
    return recipients[:MAX_RECIPIENTS]


def opening_keys(device: DeviceIdentity, mission: X25519PrivateKey | None = None) -> tuple[X25519PrivateKey, ...]:
    """The keys an import tries on a sealed bundle: this laptop's own, then the mission's if it was unlocked."""
    own = device_seal_key(device.private_key)
    return (own,) if mission is None else (own, mission)


def _derive(passphrase: str, salt: bytes, log_n: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=1 << log_n, r=_SCRYPT_R, p=1).derive(passphrase.encode("utf-8"))


def _private_bytes(key: X25519PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())


def _read_document(path: Path, kind: str, made_by: str) -> dict[str, object]:
    try:
        document = read_capped_json(path, max_bytes=_MAX_FILE, max_depth=1)
    except OSError as error:
        raise SealKeyError(f"{path}: cannot read the sealing key file: {error.strerror}") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise SealKeyError(f"{path}: not a mission sealing key file ({error})") from None
    if not isinstance(document, dict) or document.get("kind") != kind:
        raise SealKeyError(f"{path}: not the mission sealing key file expected (made by 'truceline {made_by}')")
    return document


def _key_field(document: dict[str, object], name: str, path: Path) -> bytes:
    key = _unb64(document.get(name))
    if len(key) != 32:
        raise SealKeyError(f"{path}: the file does not hold an X25519 public key")
    return key


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: object) -> bytes:
    try:
        return base64.b64decode(str(text).encode("ascii"), validate=True) if isinstance(text, str) else b""
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return b""
