"""This laptop's identity: a device id and an Ed25519 key pair, created on first use.

The device id lives in the database's ``meta`` table and the public key in ``devices``; the
private key is a PEM file in the data directory (mode 0600) so that it never travels inside a
database backup or bundle. If the key file is lost, the laptop starts a new device identity:
the old device's versions stay verifiable by its recorded public key. A key file the database
does not name is set aside, never overwritten.
"""

import base64
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from db.core.atomic_file import write_atomically
from db.core.clock import new_id, utc_now_text
from db.core.errors import DatabaseError
from db.core.sql_driver import sqlite3
from db.storage import cipher, paths
from db.storage.connection import transaction
from db.storage.meta import get_meta, set_meta

META_DEVICE_ID = "local_device_id"
META_RETIRED_DEVICE = "retired_device_id"


@dataclass(frozen=True)
class DeviceIdentity:
    """The local device: its id, its signing key, and the public half as stored in ``devices``."""

    device_id: str
    private_key: Ed25519PrivateKey
    public_key_b64: str


def public_key_text(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def load_or_create_device(conn: sqlite3.Connection, key_path: Path, label: str = "") -> DeviceIdentity:
    """Return this laptop's identity, creating the id and key pair the first time."""
    existing = get_meta(conn, META_DEVICE_ID)
    if existing is not None and key_path.exists():
        key = _read_key(key_path)
        device_id = existing
        stored = conn.execute("SELECT public_key FROM devices WHERE device_id = ?", (device_id,)).fetchone()
        if stored is None or stored[0] != public_key_text(key):
            raise DatabaseError(
                f"{key_path}: this device key does not belong to the database's device {device_id}; "
                "restore the matching key file or move it aside to start a new device identity"
            )
        return DeviceIdentity(device_id, key, stored[0])
    key = Ed25519PrivateKey.generate()
    device_id = new_id()
    if key_path.exists():
        set_key_aside(key_path)  # a key the database does not name is still never overwritten
    _write_key(key_path, key)
    public = public_key_text(key)
    with transaction(conn):
        conn.execute(
            "INSERT INTO devices (device_id, label, public_key, first_seen) VALUES (?, ?, ?, ?)",
            (device_id, label or os.uname().nodename, public, utc_now_text()),
        )
        set_meta(conn, META_DEVICE_ID, device_id)
        # A restored database names its previous identity under the retired key (db/storage/recovery.py).
        previous = existing or get_meta(conn, META_RETIRED_DEVICE)
        if previous is not None:
            _register_again(conn, previous, device_id)
    return DeviceIdentity(device_id, key, public)


def _register_again(conn: sqlite3.Connection, old_device: str, new_device: str) -> None:
    """After a new identity (the key was lost), the people of this laptop get records of the new device.

    A monitor belongs to the laptop that registered it (db/records/monitor_records.py): other laptops would
    refuse the new device's versions under the old device's monitors as impersonation. Their old
    records stay, with the old versions; the local profile moves to the new record.
    """
    now = utc_now_text()
    for (monitor_id,) in conn.execute("SELECT monitor_id FROM monitors WHERE device_id = ?", (old_device,)).fetchall():
        again = new_id()
        conn.execute(
            "INSERT INTO monitors (monitor_id, name, callsign, role, created_at, device_id) "
            "SELECT ?, name, callsign, role, ?, ? FROM monitors WHERE monitor_id = ?",
            (again, now, new_device, monitor_id),
        )
        conn.execute("UPDATE meta SET value = ? WHERE key = 'local_monitor_id' AND value = ?", (again, monitor_id))


def device_label(conn: sqlite3.Connection, device_id: str) -> str:
    """The label people know a laptop by ("" for a device this database has not seen)."""
    row = conn.execute("SELECT label FROM devices WHERE device_id = ?", (device_id,)).fetchone()
    return str(row[0]) if row else ""


def set_device_label(conn: sqlite3.Connection, device_id: str, label: str) -> None:
    with transaction(conn):
        conn.execute("UPDATE devices SET label = ? WHERE device_id = ?", (label, device_id))


def set_key_aside(key_path: Path, folder: Path | None = None) -> Path:
    """Move the device key into ``folder`` (default ``damaged/<time>/`` beside it) as
    ``retired-device_key.pem``: a key is the laptop's identity and is never deleted or overwritten."""
    if folder is None:
        folder = paths.DataDir(key_path.parent).damaged / datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    retired = folder / f"retired-{key_path.name}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        os.replace(key_path, retired)
    except OSError as error:
        raise DatabaseError(f"{key_path}: cannot set the device key aside: {error.strerror}") from error
    return retired


def protect_device_key(path: Path) -> bool:
    """Re-write a plain device key of an encrypted directory as an encrypted PEM; whether it was plain."""
    try:
        pem = path.read_bytes()
    except FileNotFoundError:
        return False
    except OSError as error:
        raise DatabaseError(f"{path}: cannot read this laptop's device key: {error.strerror}") from error
    if b"ENCRYPTED" in pem:
        return False
    _write_key(path, _read_key(path))
    return True


def _pem_password(path: Path) -> bytes | None:
    """The device key's PEM password in an encrypted directory: derived from the data key, so changing
    the passphrase leaves the PEM as it is and erasing the key makes it unreadable too."""
    if cipher.key_for(path.parent) is None:
        return None
    return cipher.derived_key(path.parent, "device key").hex().encode("ascii")


def _read_key(path: Path) -> Ed25519PrivateKey:
    try:
        pem = path.read_bytes()
        key = serialization.load_pem_private_key(pem, password=_pem_password(path) if b"ENCRYPTED" in pem else None)
    except (OSError, ValueError, TypeError) as error:
        raise DatabaseError(f"{path}: cannot read this laptop's device key: {error}") from error
    if not isinstance(key, Ed25519PrivateKey):
        raise DatabaseError(f"{path}: the device key is not an Ed25519 key")
    return key


def _write_key(path: Path, key: Ed25519PrivateKey) -> None:
    """Write the key with owner-only permissions, atomically, and flushed to disk."""
    password = _pem_password(path)
    protection: serialization.KeySerializationEncryption = (
        serialization.NoEncryption() if password is None else serialization.BestAvailableEncryption(password)
    )
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, protection)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, pem, private=True)
