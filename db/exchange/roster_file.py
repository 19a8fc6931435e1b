"""Making, loading and passing on the mission's signed roster (DESIGN.md §11, README "Mission roster").

Headquarters writes the roster as plain JSON (the laptops, the supervisors, the revocations, and a
number higher than the last one issued) and signs it with the authority's private key
(:func:`sign_roster`, ``truceline mission roster sign``), away from the field laptops. A laptop
loads it from a file (:func:`load_roster`, ``truceline mission roster load``) or from any bundle
that carries a newer one (:func:`adopt_roster`, called by the import). Either way the signature
is checked against the authority this laptop trusts, the number must be higher than the one in
force (an older or equal one is refused: no replay), and the versions kept apart that the new
roster allows are released in the same transaction.
"""

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from db.core.atomic_file import write_atomically
from db.core.clock import utc_now_text
from db.core.hashing import canonical_json
from db.core.sql_driver import sqlite3
from db.core.untrusted_text import escaped
from db.exchange.quarantine import release
from db.model.payload_check import read_capped_json
from db.records.roster import (
    KIND,
    MAX_ROSTER_BYTES,
    MAX_ROSTER_DEPTH,
    Roster,
    RosterError,
    SignedRoster,
    parse_document,
    read_signed_roster,
    roster_in_force,
    signed_text,
    trusted_authority,
)
from db.storage.connection import transaction
from db.storage.projection import Calendar

_MAX_KEY_FILE = 16 << 10


@dataclass(frozen=True)
class Loaded:
    """A roster now in force here, and how many versions kept apart it released."""

    roster: Roster
    released: int

    def summary(self) -> str:
        text = f"The mission's {self.roster.summary()} is now in force here."
        if self.released:
            text += f" {self.released:,} version{'s' if self.released != 1 else ''} kept apart released."
        return text


def sign_roster(source: Path, key_file: Path, out: Path) -> Roster:
    """Check the roster JSON of ``source``, sign it with the authority's key of ``key_file``, write ``out``.

    ``issued_at`` is filled in with the time of signing when ``source`` has none. Nothing is
    written unless the roster is valid and the key is an Ed25519 private key.
    """
    document = _read_json(source, "roster", max_depth=MAX_ROSTER_DEPTH - 1)
    if isinstance(document, dict) and "kind" not in document:
        document = {"kind": KIND, **document}
    if isinstance(document, dict) and "issued_at" not in document:
        document = {**document, "issued_at": utc_now_text()}
    roster = parse_document(document, str(source))
    key = _private_key(key_file)
    text = signed_text(document, key.sign(canonical_json(document)))
    try:
        write_atomically(out, text.encode("utf-8") + b"\n")
    except OSError as error:
        raise RosterError(f"{out}: the signed roster cannot be written there: {error.strerror}") from None
    return roster


def load_roster(conn: sqlite3.Connection, calendar: Calendar, path: Path) -> Loaded:
    """Load the signed roster of ``path``: checked, newer than the one in force, then kept and applied."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_ROSTER_BYTES + 1)
    except OSError as error:
        raise RosterError(f"{path}: cannot read the roster: {error.strerror}") from None
    with transaction(conn):
        loaded = adopt_roster(conn, calendar, data, str(path), refuse_older=True)
    assert loaded is not None
    return loaded


def adopt_roster(
    conn: sqlite3.Connection, calendar: Calendar, data: bytes, where: str, *, refuse_older: bool
) -> Loaded | None:
    """Keep the signed roster ``data`` if it is newer than the one in force (caller holds the transaction).

    An older or equal number is refused (RosterError) when ``refuse_older`` (a file the person
    chose), and passed over otherwise (a bundle carries whatever roster its laptop had): None.
    """
    authority = trusted_authority(conn)
    if authority is None:
        raise RosterError(
            f"{where}: this laptop trusts no mission authority yet, so a roster cannot be checked "
            "(truceline mission trust FILE first)"
        )
    signed = read_signed_roster(data, authority, where)
    current = roster_in_force(conn)
    if current is not None and signed.roster.number <= current.number:
        if not refuse_older:
            return None
        raise RosterError(
            f"{where}: roster {signed.roster.number} is not newer than roster {current.number} in force here: "
            "refused (a roster's number must go up)"
        )
    _keep(conn, signed, where)
    released = release(conn, calendar, signed.roster)
    return Loaded(signed.roster, released)


def held_roster_text(conn: sqlite3.Connection) -> str | None:
    """The newest signed roster kept here, as received (what an export passes on)."""
    row = conn.execute("SELECT signed FROM rosters ORDER BY number DESC LIMIT 1").fetchone()
    return None if row is None else str(row[0])


def _keep(conn: sqlite3.Connection, signed: SignedRoster, where: str) -> None:
    text = signed.text
    conn.execute(
        "INSERT INTO rosters (number, signed, sha256, loaded_at, source) VALUES (?, ?, ?, ?, ?)",
        (
            signed.roster.number,
            text,
            hashlib.sha256(text.encode("utf-8")).hexdigest(),
            utc_now_text(),
            escaped(where)[:300],
        ),
    )


def _read_json(path: Path, what: str, *, max_depth: int) -> Any:
    try:
        return read_capped_json(path, max_bytes=MAX_ROSTER_BYTES, max_depth=max_depth)
    except OSError as error:
        raise RosterError(f"{path}: cannot read the {what}: {error.strerror}") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise RosterError(f"{path}: not a {what} in JSON ({escaped(error)})") from None


def _private_key(path: Path) -> Ed25519PrivateKey:
    try:
        with path.open("rb") as handle:
            pem = handle.read(_MAX_KEY_FILE + 1)
    except OSError as error:
        raise RosterError(f"{path}: cannot read the mission authority's key: {error.strerror}") from None
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError):
        key = None
    if not isinstance(key, Ed25519PrivateKey):
        raise RosterError(f"{path}: not the mission authority's private key (made by 'truceline mission init')")
    return key
