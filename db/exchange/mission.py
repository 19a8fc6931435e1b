"""The mission authority's key: created once off the field laptops, trusted on each laptop at set-up.

The trust model (README, "Trust: what a bundle can claim"): headquarters (or the chief
supervisor) holds an Ed25519 key that will sign the
mission's roster (which laptops belong to the mission, who is a supervisor). This module makes
that key (:func:`create_authority`, kept on a stick or a headquarters machine, never in a
laptop's data directory) and lets a laptop trust its public half (:func:`trust_authority`), from a
small file whose fingerprint is shown so that two people can compare it by voice. A laptop trusts
one mission authority; replacing it is refused.
"""

import base64
import binascii
import hashlib
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from db.core.atomic_file import write_atomically
from db.core.errors import TrucelineError
from db.core.hashing import canonical_json
from db.core.sql_driver import sqlite3
from db.model.payload_check import read_capped_json
from db.records.roster import META_AUTHORITY, trusted_authority
from db.storage.connection import transaction

KIND = "truceline-mission-authority"
KEY_FILE = "mission-authority-key.pem"
PUBLIC_FILE = "mission-authority.pub"
_MAX_PUBLIC_FILE = 4096


class MissionError(TrucelineError):
    """The mission authority's key could not be made, read or trusted; the message says which file and why."""


def fingerprint(public_key: bytes) -> str:
    """Twenty hex groups of the key's SHA-256, short enough to read aloud and compare."""
    digest = hashlib.sha256(public_key).hexdigest().upper()[:40]
    return " ".join(digest[i : i + 4] for i in range(0, 40, 4))


def create_authority(directory: Path) -> str:
    """Write a new authority key pair into ``directory`` (never over an existing one); return its fingerprint."""
    private_path, public_path = directory / KEY_FILE, directory / PUBLIC_FILE
    for path in (private_path, public_path):
        if path.exists():
            raise MissionError(f"{path}: a mission authority key is already there; it was left as it is")
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    try:
        directory.mkdir(parents=True, exist_ok=True)
        write_atomically(private_path, pem, private=True)
        write_atomically(public_path, canonical_json({"kind": KIND, "public_key": _b64(public)}) + b"\n")
    except OSError as error:
        private_path.unlink(missing_ok=True)
        raise MissionError(
            f"{directory}: the mission authority key cannot be written there: {error.strerror}"
        ) from None
    return fingerprint(public)


def read_public_file(path: Path) -> bytes:
    """The authority's public key from its file, checked (a small JSON object of the right kind)."""
    try:
        document = read_capped_json(path, max_bytes=_MAX_PUBLIC_FILE, max_depth=1)
    except OSError as error:
        raise MissionError(f"{path}: cannot read the mission authority file: {error.strerror}") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise MissionError(f"{path}: not a mission authority file ({error})") from None
    if not isinstance(document, dict) or document.get("kind") != KIND:
        raise MissionError(f"{path}: not a mission authority file (made by 'truceline mission init')")
    try:
        public = base64.b64decode(str(document.get("public_key", "")).encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        public = b""
    if len(public) != 32:
        raise MissionError(f"{path}: the mission authority file does not hold an Ed25519 public key")
    return public


def trust_authority(conn: sqlite3.Connection, public_key: bytes) -> str:
    """Make this laptop trust ``public_key`` as its mission's authority; return the fingerprint.

    Trusting the same key again changes nothing; another key is refused, since whoever held it
    could then name supervisors here.
    """
    with transaction(conn):
        current = trusted_authority(conn)
        if current is not None and current != public_key:
            raise MissionError(
                f"this laptop already trusts the mission authority {fingerprint(current)}; "
                f"another authority ({fingerprint(public_key)}) was refused"
            )
        conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
            (META_AUTHORITY, _b64(public_key)),
        )
    return fingerprint(public_key)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
