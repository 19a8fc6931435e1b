"""Appending immutable versions: per-device sequence numbers and the per-device hash chain.

``incident_versions`` is the truth (ARCHITECTURE.md §3); triggers refuse UPDATE and DELETE on it.
:func:`append_versions` must run inside a write transaction (``db.storage.connection.transaction``), so
that the sequence numbers and chain links it hands out cannot be taken by another writer.
"""

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from db.core.clock import new_id, utc_now_text
from db.core.hashing import chain_hash, version_hash
from db.core.sql_driver import sqlite3
from db.model.incident import Incident


@dataclass(frozen=True)
class Writer:
    """Who writes: this laptop's device and the monitor signed in on it."""

    device_id: str
    author_id: str


@dataclass(frozen=True, slots=True)
class VersionDraft:
    """A version about to be written: everything the caller decides."""

    incident_id: str
    parent_ids: tuple[str, ...]
    reason: str | None
    incident: Incident


@dataclass(frozen=True, slots=True)
class Version:
    """One stored, immutable version of an incident."""

    version_id: str
    incident_id: str
    parent_ids: tuple[str, ...]
    device_id: str
    device_seq: int
    author_id: str
    recorded_at: str
    reason: str | None
    payload: str
    payload_sha256: str
    version_sha256: str
    chain_sha256: str

    def incident(self) -> Incident:
        return Incident.from_payload(json.loads(self.payload))

    def as_row(self) -> tuple[object, ...]:
        return (
            self.version_id,
            self.incident_id,
            json.dumps(list(self.parent_ids)) if self.parent_ids else "[]",
            self.device_id,
            self.device_seq,
            self.author_id,
            self.recorded_at,
            self.reason,
            self.payload,
            self.payload_sha256,
            self.version_sha256,
            self.chain_sha256,
        )

    @classmethod
    def from_row(cls, row: Sequence[object]) -> "Version":
        values = list(row)
        values[2] = tuple(json.loads(str(values[2])))
        return cls(*values)  # type: ignore[arg-type]


VERSION_COLUMNS = (
    "version_id",
    "incident_id",
    "parent_ids",
    "device_id",
    "device_seq",
    "author_id",
    "recorded_at",
    "reason",
    "payload",
    "payload_sha256",
    "version_sha256",
    "chain_sha256",
)
SELECT_VERSIONS = f"SELECT {', '.join(VERSION_COLUMNS)} FROM incident_versions"
_INSERT = (
    f"INSERT INTO incident_versions ({', '.join(VERSION_COLUMNS)}) VALUES ({', '.join('?' * len(VERSION_COLUMNS))})"
)


def device_head(conn: sqlite3.Connection, device_id: str) -> tuple[int, str | None]:
    """The device's last sequence number and chain hash (0 and None before its first version)."""
    row = conn.execute(
        "SELECT device_seq, chain_sha256 FROM incident_versions WHERE device_id = ? ORDER BY device_seq DESC LIMIT 1",
        (device_id,),
    ).fetchone()
    return (0, None) if row is None else (row[0], row[1])


def append_versions(conn: sqlite3.Connection, writer: Writer, drafts: Sequence[VersionDraft]) -> list[Version]:
    """Hash, chain and insert ``drafts`` in order; call inside a write transaction."""
    if not conn.in_transaction:
        raise RuntimeError("append_versions must run inside a write transaction")
    seq, chain = device_head(conn, writer.device_id)
    recorded_at = utc_now_text()
    out: list[Version] = []
    for draft in drafts:
        seq += 1
        payload = draft.incident.payload_json
        payload_sha = draft.incident.payload_sha256
        version_id = new_id()
        this_hash = version_hash(
            version_id=version_id,
            incident_id=draft.incident_id,
            parent_ids=draft.parent_ids,
            device_id=writer.device_id,
            device_seq=seq,
            author_id=writer.author_id,
            recorded_at=recorded_at,
            reason=draft.reason,
            payload_sha256=payload_sha,
        )
        chain = chain_hash(chain, this_hash)
        out.append(
            Version(
                version_id,
                draft.incident_id,
                draft.parent_ids,
                writer.device_id,
                seq,
                writer.author_id,
                recorded_at,
                draft.reason,
                payload,
                payload_sha,
                this_hash,
                chain,
            )
        )
    insert_versions(conn, out)
    return out


def insert_versions(conn: sqlite3.Connection, versions: Iterable[Version]) -> None:
    """The one INSERT into ``incident_versions``: versions written here and versions merged from a bundle."""
    conn.executemany(_INSERT, (v.as_row() for v in versions))


def versions_of(conn: sqlite3.Connection, incident_id: str) -> list[Version]:
    """Every version of one incident, oldest first."""
    rows = conn.execute(f"{SELECT_VERSIONS} WHERE incident_id = ? ORDER BY version_id", (incident_id,))
    return [Version.from_row(row) for row in rows]
