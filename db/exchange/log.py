"""What the exchange leaves behind to read: the import log, sequence gaps, and the state hash.

The state hash is what lets two laptops (or a test) prove they hold the same history. Versions
are immutable and the projection is derived from them, so equal state hashes mean equal
databases, whatever order the bundles were imported in. It is computed from what every insert
already maintains, each device's hash chain (ARCHITECTURE.md §3): a version's ``chain_sha256``
covers its own hash and, link by link, every earlier version of its device. So the runs of
sequence numbers held of each device, with the chain hash at the end of each run, name exactly
the versions held: milliseconds on a million versions, where hashing every version took seconds.
"""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from db.core.clock import new_id, utc_now_text
from db.core.sql_driver import sqlite3


@dataclass(frozen=True)
class ImportRecord:
    """One imported bundle, as the import log shows it."""

    import_id: str
    bundle_sha256: str
    device_id: str
    device_label: str
    seq_from: int | None
    seq_to: int | None
    added: int
    duplicate: int
    conflicting: int
    imported_at: str
    quarantined: int = 0


@dataclass(frozen=True)
class Gap:
    """Versions of one device that this laptop has not received (the device's later ones have arrived)."""

    device_id: str
    device_label: str
    first: int
    last: int

    def __str__(self) -> str:
        name = f"{self.device_label} ({self.device_id})" if self.device_label else self.device_id
        span = f"version {self.first}" if self.first == self.last else f"versions {self.first}–{self.last}"
        return f"device {name}: {span} missing"


def state_hash(conn: sqlite3.Connection) -> str:
    """SHA-256 over the lines "device_id first last chain_sha256" of every run of versions held, in order.

    A device with no gap is one run, from 1 to its last sequence number, found by an index look-up;
    only a device with gaps is read in full, to find its runs. Import verifies every chain link it
    can (and ``truceline check`` all of them), so the chain hash ending a run stands for the run.
    """
    digest = hashlib.sha256()
    for device_id, first, last, chain in _runs(conn):
        digest.update(f"{device_id} {first} {last} {chain}\n".encode("ascii"))
    return digest.hexdigest()


def _runs(conn: sqlite3.Connection) -> list[tuple[str, int, int, str]]:
    """(device, first, last, chain hash at last) of each run of consecutive sequence numbers held."""
    heads = conn.execute(
        "SELECT d.device_id, (SELECT max(device_seq) FROM incident_versions v WHERE v.device_id = d.device_id) "
        "FROM devices d ORDER BY d.device_id"
    ).fetchall()
    heads = [(device_id, last) for device_id, last in heads if last is not None]
    held = conn.execute("SELECT count(*) FROM incident_versions").fetchone()[0]
    # Sequence numbers start at 1 and are unique per device: no device has a gap exactly when the
    # versions held number as many as the devices' last sequence numbers added up.
    gapless = held == sum(last for _, last in heads)
    runs = []
    for device_id, last in heads:
        spans = [(1, last)] if gapless else _spans(conn, device_id)
        for first, end in spans:
            chain = conn.execute(
                "SELECT chain_sha256 FROM incident_versions WHERE device_id = ? AND device_seq = ?", (device_id, end)
            ).fetchone()[0]
            runs.append((device_id, first, end, str(chain)))
    return runs


def _spans(conn: sqlite3.Connection, device_id: str) -> list[tuple[int, int]]:
    """The runs of consecutive sequence numbers held of one device (its index read in order)."""
    rows = conn.execute(
        "SELECT min(device_seq), max(device_seq) FROM (SELECT device_seq, "
        "device_seq - row_number() OVER (ORDER BY device_seq) AS run FROM incident_versions WHERE device_id = ?) "
        "GROUP BY run ORDER BY 1",
        (device_id,),
    )
    return [(int(first), int(last)) for first, last in rows]


def sequence_gaps(conn: sqlite3.Connection, device_ids: Iterable[str] | None = None) -> list[Gap]:
    """Missing sequence ranges of each device (of ``device_ids``, or all), before its latest version held.

    Versions kept apart (db/exchange/quarantine.py) are held, not missing."""
    ids = list(device_ids) if device_ids is not None else [r[0] for r in conn.execute("SELECT device_id FROM devices")]
    labels = dict(conn.execute("SELECT device_id, label FROM devices").fetchall())
    gaps: list[Gap] = []
    for device_id in sorted(ids):
        rows = conn.execute(
            "SELECT previous + 1, device_seq - 1 FROM (SELECT device_seq, "
            "coalesce(lag(device_seq) OVER (ORDER BY device_seq), 0) AS previous "
            "FROM (SELECT device_seq FROM incident_versions WHERE device_id = ? "
            "UNION ALL SELECT device_seq FROM quarantined_versions WHERE device_id = ?)) "
            "WHERE device_seq > previous + 1",
            (device_id, device_id),
        )
        gaps.extend(Gap(device_id, labels.get(device_id, ""), first, last) for first, last in rows)
    return gaps


def log_import(
    conn: sqlite3.Connection,
    bundle_sha256: str,
    device_id: str,
    seq_range: tuple[int, int] | None,
    added: int,
    duplicate: int,
    conflicting: int,
    quarantined: int = 0,
) -> ImportRecord:
    """Record an applied bundle (inside the import's transaction, so the log never lies)."""
    first, last = seq_range if seq_range else (None, None)
    record = ImportRecord(
        new_id(), bundle_sha256, device_id, "", first, last, added, duplicate, conflicting, utc_now_text(), quarantined
    )
    conn.execute(
        "INSERT INTO imports (import_id, bundle_sha256, device_id, seq_from, seq_to, added, duplicate, conflicting, "
        "imported_at, quarantined) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            record.import_id,
            bundle_sha256,
            device_id,
            first,
            last,
            added,
            duplicate,
            conflicting,
            record.imported_at,
            quarantined,
        ),
    )
    return record


def import_log(conn: sqlite3.Connection, limit: int = 1000) -> list[ImportRecord]:
    """The latest imports first, with the exporting device's label."""
    rows = conn.execute(
        "SELECT i.import_id, i.bundle_sha256, i.device_id, coalesce(d.label, ''), i.seq_from, i.seq_to, i.added, "
        "i.duplicate, i.conflicting, i.imported_at, i.quarantined FROM imports i LEFT JOIN devices d USING (device_id) "
        "ORDER BY i.imported_at DESC, i.import_id DESC LIMIT ?",
        (limit,),
    )
    return [ImportRecord(*row) for row in rows]
