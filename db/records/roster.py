"""The mission's roster: which laptops belong to the mission, and who may act as a supervisor, on which laptop.

A laptop's key proves which laptop wrote something, never that it was allowed to (DESIGN.md §11).
What it may claim comes from the mission authority (headquarters or the chief supervisor), whose
Ed25519 public key every laptop is given at set-up (:mod:`db.exchange.mission`). The authority
signs a numbered *roster*: the laptops (device id, public key, label), the supervisors (person,
name, the laptops they decide on) and revocations (a lost laptop's versions from a sequence
number on). Newer numbers replace older ones; the roster travels in bundles and is kept, as
received, in ``rosters`` (schema step m008).

This module reads and checks a signed roster and says what the roster in force allows. It is
checked against the authority's signature every time it is read, so editing the ``rosters``
table (or ``monitors.role``) gives nobody a role: a roster that no longer matches its signature
allows no decision at all. Loading rosters, and what happens to versions it does not allow, is
:mod:`db.exchange.roster_file` and :mod:`db.exchange.quarantine`.
"""

import base64
import binascii
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from db.core.errors import TrucelineError
from db.core.hashing import canonical_json
from db.core.sql_driver import sqlite3
from db.core.untrusted_text import escaped
from db.model.payload_check import MAX_JSON_INT, load_capped_json

KIND = "truceline-roster"
SIGNED_KIND = "truceline-signed-roster"
META_AUTHORITY = "mission_authority_key"
MAX_ROSTER_BYTES = 1 << 20
# signed file > roster > supervisors > a supervisor > its devices
MAX_ROSTER_DEPTH = 5
MAX_ENTRIES = 5000
NO_ROSTER = "roles cannot be checked until the mission's roster is loaded"
_DOCUMENT_KEYS = {"kind", "mission", "number", "issued_at", "laptops", "supervisors", "revoked"}
_ID = re.compile(r"[0-9A-Za-z][0-9A-Za-z._:-]{0,99}")
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


class RosterError(TrucelineError):
    """A roster was refused (or the one kept here no longer holds); the message says which and why."""


@dataclass(frozen=True)
class RosterLaptop:
    """A laptop of the mission; ``revoked_from`` is the first of its sequence numbers no longer accepted."""

    device_id: str
    public_key: str  # base64, as devices.public_key
    label: str
    revoked_from: int | None = None


@dataclass(frozen=True)
class RosterSupervisor:
    """A person the authority names supervisor, and the laptops on which their decisions count."""

    monitor_id: str
    name: str
    devices: tuple[str, ...]


@dataclass(frozen=True)
class Roster:
    """A checked roster: its number, its laptops and its supervisors."""

    number: int
    issued_at: str
    mission: str
    laptops: tuple[RosterLaptop, ...]
    supervisors: tuple[RosterSupervisor, ...]

    @cached_property
    def _by_device(self) -> dict[str, RosterLaptop]:
        # Asked once per imported version: a lookup, not a walk through thousands of laptops.
        return {laptop.device_id: laptop for laptop in self.laptops}

    def laptop(self, device_id: str) -> RosterLaptop | None:
        return self._by_device.get(device_id)

    def laptop_refusal(self, device_id: str, device_seq: int) -> str | None:
        """Why this roster does not accept version ``device_seq`` of ``device_id`` (None when it does)."""
        laptop = self.laptop(device_id)
        if laptop is None:
            return f"laptop {escaped(device_id)} is not on the mission's roster {self.number}"
        if laptop.revoked_from is not None and device_seq >= laptop.revoked_from:
            return (
                f"laptop {escaped(laptop.label)} ({escaped(device_id)}) is revoked from version "
                f"{laptop.revoked_from} on by the mission's roster {self.number}"
            )
        return None

    def supervises(self, monitor_id: str, device_id: str) -> bool:
        return any(s.monitor_id == monitor_id and device_id in s.devices for s in self.supervisors)

    def summary(self) -> str:
        revoked = sum(1 for laptop in self.laptops if laptop.revoked_from is not None)
        text = (
            f"roster {self.number} of {self.issued_at}: {len(self.laptops)} laptop{_s(len(self.laptops))}, "
            f"{len(self.supervisors)} supervisor{_s(len(self.supervisors))}"
        )
        return text + (f", {revoked} revoked" if revoked else "")


@dataclass(frozen=True)
class SignedRoster:
    """A roster with the authority's signature, and the file's exact text (what is kept and passed on)."""

    roster: Roster
    text: str


def parse_document(document: Any, where: str) -> Roster:
    """A roster from its JSON document, every field checked; RosterError naming the field otherwise."""
    if not isinstance(document, dict) or document.get("kind") != KIND:
        raise RosterError(f'{where}: not a roster (an object with "kind": "{KIND}")')
    unknown = sorted(set(document) - _DOCUMENT_KEYS)
    if unknown:
        raise RosterError(f"{where}: unknown field {escaped(unknown[0])}")
    number = document.get("number")
    if type(number) is not int or not 1 <= number <= MAX_JSON_INT:
        raise RosterError(f"{where}: field number must be a whole number from 1 up")
    issued = document.get("issued_at")
    if not isinstance(issued, str) or not _TIME.fullmatch(issued):
        raise RosterError(f"{where}: field issued_at must be a UTC time such as 2026-05-01T09:00:00Z")
    mission = _text(document.get("mission", ""), "mission", where, empty=True)
    laptops = [_laptop(entry, f"laptops[{i}]", where) for i, entry in enumerate(_list(document, "laptops", where))]
    ids = [laptop.device_id for laptop in laptops]
    twice = next((i for i in ids if ids.count(i) > 1), None)
    if twice is not None:
        raise RosterError(f"{where}: laptop {escaped(twice)} is listed twice")
    revoked: dict[str, int] = {}
    for i, entry in enumerate(_list(document, "revoked", where)):
        device_id, first = _revocation(entry, f"revoked[{i}]", where)
        if device_id not in ids:
            raise RosterError(f"{where}: revoked[{i}]: laptop {escaped(device_id)} is not in laptops")
        revoked[device_id] = min(first, revoked.get(device_id, first))
    supervisors = [
        _supervisor(entry, f"supervisors[{i}]", where, set(ids))
        for i, entry in enumerate(_list(document, "supervisors", where))
    ]
    people = [s.monitor_id for s in supervisors]
    twice = next((i for i in people if people.count(i) > 1), None)
    if twice is not None:
        raise RosterError(f"{where}: supervisor {escaped(twice)} is listed twice")
    return Roster(
        number,
        issued,
        mission,
        tuple(RosterLaptop(lap.device_id, lap.public_key, lap.label, revoked.get(lap.device_id)) for lap in laptops),
        tuple(supervisors),
    )


def read_signed_roster(data: bytes, authority: bytes, where: str) -> SignedRoster:
    """Check a signed roster file's bytes: size and depth, then the authority's signature, then every field."""
    try:
        signed = load_capped_json(data, max_bytes=MAX_ROSTER_BYTES, max_depth=MAX_ROSTER_DEPTH)
    except (ValueError, UnicodeDecodeError) as error:
        raise RosterError(f"{where}: not a signed roster ({escaped(error)})") from None
    if (
        not isinstance(signed, dict)
        or signed.get("kind") != SIGNED_KIND
        or set(signed)
        != {
            "kind",
            "roster",
            "signature",
        }
    ):
        raise RosterError(f"{where}: not a signed roster (made by 'truceline mission roster sign')")
    document = signed["roster"]
    try:
        signature = base64.b64decode(str(signed["signature"]).encode("ascii"), validate=True)
        Ed25519PublicKey.from_public_bytes(authority).verify(signature, canonical_json(document))
    except (InvalidSignature, ValueError, binascii.Error, UnicodeEncodeError, TypeError):
        raise RosterError(
            f"{where}: the roster is not signed by the mission authority this laptop trusts: it was altered, "
            "or signed with another key"
        ) from None
    roster = parse_document(document, where)
    return SignedRoster(roster, canonical_json(signed).decode("utf-8"))


def signed_text(document: dict[str, Any], signature: bytes) -> str:
    """The signed roster file's text for ``document`` and the authority's ``signature`` of it."""
    signed = {"kind": SIGNED_KIND, "roster": document, "signature": base64.b64encode(signature).decode("ascii")}
    return canonical_json(signed).decode("utf-8")


def trusted_authority(conn: sqlite3.Connection) -> bytes | None:
    """The mission authority's public key this laptop was given at set-up, if any."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (META_AUTHORITY,)).fetchone()
    return None if row is None else base64.b64decode(row[0])


def roster_in_force(conn: sqlite3.Connection) -> Roster | None:
    """The newest roster kept here, checked again against the authority's signature; None before the first.

    A kept roster that no longer matches its signature (the database was edited) is a RosterError:
    nothing it would allow can be trusted.
    """
    row = conn.execute("SELECT number, signed FROM rosters ORDER BY number DESC LIMIT 1").fetchone()
    if row is None:
        return None
    authority = trusted_authority(conn)
    where = f"the mission's roster {row[0]} kept here"
    if authority is None:
        raise RosterError(f"{where} cannot be checked: this laptop trusts no mission authority")
    roster = read_signed_roster(str(row[1]).encode("utf-8"), authority, where).roster
    if roster.number != row[0]:
        raise RosterError(f"{where} does not match its signature")
    return roster


def _list(document: dict[str, Any], key: str, where: str) -> list[Any]:
    value = document.get(key, [])
    if not isinstance(value, list) or len(value) > MAX_ENTRIES:
        raise RosterError(f"{where}: field {key} must be a list of at most {MAX_ENTRIES} entries")
    return value


def _text(value: Any, field: str, where: str, *, empty: bool = False) -> str:
    if not isinstance(value, str) or len(value) > 100 or (not value and not empty) or not value.isprintable():
        raise RosterError(f"{where}: field {field} must be printable text of at most 100 characters")
    return value


def _id(value: Any, field: str, where: str) -> str:
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise RosterError(f"{where}: field {field} is not an id")
    return value


def _fields(entry: Any, keys: set[str], field: str, where: str) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise RosterError(f"{where}: {field} is not an object")
    unknown = sorted(set(entry) - keys)
    if unknown:
        raise RosterError(f"{where}: {field}: unknown field {escaped(unknown[0])}")
    return entry


def _laptop(entry: Any, field: str, where: str) -> RosterLaptop:
    fields = _fields(entry, {"device_id", "public_key", "label"}, field, where)
    device_id = _id(fields.get("device_id"), f"{field}.device_id", where)
    key = fields.get("public_key")
    try:
        raw = base64.b64decode(str(key).encode("ascii"), validate=True) if isinstance(key, str) else b""
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raw = b""
    if len(raw) != 32:
        raise RosterError(f"{where}: field {field}.public_key is not an Ed25519 public key (base64)")
    return RosterLaptop(device_id, str(key), _text(fields.get("label", ""), f"{field}.label", where, empty=True))


def _revocation(entry: Any, field: str, where: str) -> tuple[str, int]:
    fields = _fields(entry, {"device_id", "from_seq"}, field, where)
    device_id = _id(fields.get("device_id"), f"{field}.device_id", where)
    first = fields.get("from_seq")
    if type(first) is not int or not 1 <= first <= MAX_JSON_INT:
        raise RosterError(f"{where}: field {field}.from_seq must be a sequence number from 1 up")
    return device_id, first


def _supervisor(entry: Any, field: str, where: str, laptops: set[str]) -> RosterSupervisor:
    fields = _fields(entry, {"monitor_id", "name", "devices"}, field, where)
    monitor_id = _id(fields.get("monitor_id"), f"{field}.monitor_id", where)
    name = _text(fields.get("name"), f"{field}.name", where)
    devices = fields.get("devices")
    if not isinstance(devices, list) or not devices or len(devices) > MAX_ENTRIES:
        raise RosterError(f"{where}: field {field}.devices must list the laptops this supervisor uses")
    checked = tuple(_id(d, f"{field}.devices", where) for d in devices)
    stray = next((d for d in checked if d not in laptops), None)
    if stray is not None:
        raise RosterError(f"{where}: {field}.devices: laptop {escaped(stray)} is not in laptops")
    return RosterSupervisor(monitor_id, name, checked)


def _s(count: int) -> str:
    return "" if count == 1 else "s"
