"""Importing bundles: verify everything, compare with what is held, then union in one transaction.

The order of work is what makes a merge exact and repeatable:

1. :func:`db.exchange.verify.verify_bundle` checks the file (size caps, member names, zip bombs),
   the exporter's signature, every payload, version and chain hash, and each device's signed head.
2. Against this database: a device already known with another public key is refused (keys are
   trusted on first sight and remembered); a version id held with a different hash, or a device
   sequence number held with a different version, is refused as tampering; a run's first link
   must follow from the version held before it, and the version held after it must follow from
   the run's last one.
3. Only then, in one transaction: new devices (with their labels) and authors, the versions not
   yet held, the signed heads, the projection of every touched incident, and a line in the log.

A refusal at any step applies nothing from that bundle. Re-importing adds nothing (every version
is a duplicate), and since versions are immutable and the projection is derived from them, any
order of the same bundles ends in the same database (:func:`db.exchange.log.state_hash`).
"""

import json
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from db.core.clock import utc_now_text
from db.core.hashing import chain_hash
from db.core.sql_driver import sqlite3
from db.exchange.authors import check_authors
from db.exchange.bundle_file import BundleError
from db.exchange.log import Gap, log_import, sequence_gaps
from db.exchange.quarantine import Gate, held_apart, keep_apart, project_versions
from db.exchange.roster_file import Loaded, adopt_roster
from db.exchange.verify import BundleCancelled, DeviceEntry, VerifiedBundle, verify_bundle
from db.records.roster import NO_ROSTER, RosterError, roster_in_force, trusted_authority
from db.storage.chain import store_anchor, store_heads
from db.storage.connection import bulk_writes, transaction
from db.storage.device import META_DEVICE_ID
from db.storage.meta import get_meta
from db.storage.projection import Calendar
from db.storage.store import current_theatre
from db.storage.versions import Version, insert_versions

# progress(done, total) -> False asks to stop; nothing from the bundle is then applied.
Progress = Callable[[int, int], bool]
_LOOKUP_CHUNK = 50_000
# From this many versions on, a merge gets the bulk settings (large page cache, rarer checkpoints).
BULK_VERSIONS = 10_000


@dataclass(frozen=True)
class ImportResult:
    """What one bundle changed here, in the words of the import log."""

    path: Path
    bundle_sha256: str
    exporter_id: str
    exporter_label: str
    added: int
    duplicate: int
    conflicting: int
    incidents_touched: int
    gaps: tuple[Gap, ...]
    kept_apart: int = 0
    roster: Loaded | None = None  # a newer roster the bundle carried, now in force
    note: str | None = None  # what this laptop could not check (no roster yet)

    def summary(self) -> str:
        name = self.exporter_label or self.exporter_id
        text = f"{self.path.name} from {name}: {self.added:,} added, {self.duplicate:,} already here"
        if self.conflicting:
            text += f", {self.conflicting:,} incident{'s' if self.conflicting != 1 else ''} in conflict"
        if self.kept_apart:
            text += f", {self.kept_apart:,} kept apart (not shown or counted; see truceline check)"
        return text


def import_bundle(
    conn: sqlite3.Connection,
    calendar: Calendar,
    path: Path,
    progress: Progress | None = None,
    keys: Sequence[X25519PrivateKey] = (),
) -> ImportResult:
    """Verify ``path`` and merge its versions; a BundleError (nothing applied) when anything is wrong.

    Every version is validated against this laptop's theatre, as its form would validate it. A
    sealed bundle is opened with one of ``keys`` (see :func:`db.exchange.seal_keys.opening_keys`).
    """
    bundle = verify_bundle(
        path,
        progress=None if progress is None else lambda done, n: progress(done, 2 * n + 1),
        theatre=current_theatre(conn),
        keys=keys,
    )
    total = 2 * bundle.count + 1
    _tick(progress, bundle.count, total)
    added = apart = 0
    touched: set[str] = set()
    with bulk_writes(conn) if bundle.count >= BULK_VERSIONS else nullcontext(conn), transaction(conn):
        # Checked inside the write transaction: nothing can arrive between the check and the write.
        _check_keys(conn, bundle)
        signed_authors = check_authors(conn, bundle)
        anchors = _check_links(conn, bundle, path)
        _add_devices_and_authors(conn, bundle, signed_authors)
        # A newer roster first, so that this bundle's versions are judged by it (and what it allows is released).
        loaded = _adopt_bundle_roster(conn, calendar, bundle)
        gate = _gate(conn, bundle)
        done = bundle.count
        # The versions are read again from the file, a chunk at a time (memory stays bounded); the
        # read is refused at its end if the file changed since it was verified, and with it the
        # whole transaction.
        for chunk in bundle.chunks(_LOOKUP_CHUNK):
            new, kept = gate.split(_new_versions(conn, chunk, path))
            insert_versions(conn, new)
            keep_apart(conn, kept, bundle.sha256)
            touched.update(project_versions(conn, calendar, new))
            added += len(new)
            apart += len(kept)
            done += len(chunk)
            _tick(progress, done, total)
        store_heads(conn, [run.head for device in bundle.devices for run in device.runs])
        for device_id, seq, previous in anchors:
            store_anchor(conn, device_id, seq, previous)
        conflicting = _count_conflicts(conn, sorted(touched))
        mine = next((d for d in bundle.devices if d.device_id == bundle.exporter.device_id), None)
        log_import(
            conn,
            bundle.sha256,
            bundle.exporter.device_id,
            (mine.seq_from, mine.seq_to) if mine else None,
            added,
            bundle.count - added - apart,
            conflicting,
            apart,
        )
        gaps = sequence_gaps(conn, [d.device_id for d in bundle.devices])
        _tick(progress, total, total)
    return ImportResult(
        path,
        bundle.sha256,
        bundle.exporter.device_id,
        bundle.exporter.label,
        added,
        bundle.count - added - apart,
        conflicting,
        len(touched),
        tuple(gaps),
        apart,
        loaded,
        _note(conn, gate),
    )


def _adopt_bundle_roster(conn: sqlite3.Connection, calendar: Calendar, bundle: VerifiedBundle) -> Loaded | None:
    """Load the roster the bundle carries when it is newer than the one here and this laptop can check it."""
    if bundle.roster is None or trusted_authority(conn) is None:
        return None
    try:
        return adopt_roster(conn, calendar, bundle.roster, f"the roster in {bundle.path}", refuse_older=False)
    except RosterError as error:
        raise BundleError(f"{bundle.path}: {error}; nothing from this bundle was applied") from None


def _gate(conn: sqlite3.Connection, bundle: VerifiedBundle) -> Gate:
    try:
        roster = roster_in_force(conn)
    except RosterError as error:
        raise BundleError(f"{bundle.path}: {error}; nothing from this bundle was applied") from None
    local = conn.execute("SELECT value FROM meta WHERE key = ?", (META_DEVICE_ID,)).fetchone()
    labels = {d.device_id: d.name for d in (bundle.exporter, *bundle.devices)}
    return Gate(conn, bundle.path, roster, None if local is None else str(local[0]), bundle.judged, labels)


def _note(conn: sqlite3.Connection, gate: Gate) -> str | None:
    """Said in the import log while no roster is in force and the bundle carried decisions from elsewhere."""
    if gate.roster is not None or not any(fate is not None for fate in gate.planned.values()):
        return None
    return f"Decisions from other laptops were kept apart: {NO_ROSTER}."


def _new_versions(conn: sqlite3.Connection, chunk: Sequence[Version], path: Path) -> list[Version]:
    """The versions of ``chunk`` not held here; refuses one held with other content or a forked sequence."""
    ids = [v.version_id for v in chunk]
    held = {**_held_hashes(conn, ids, path), **held_apart(conn, ids)}
    for version in chunk:
        known = held.get(version.version_id)
        if known is not None and known != version.version_sha256:
            raise BundleError(
                f"{path}: version {version.version_id} (device {version.device_id}, {version.device_seq}) is "
                "held here with different content: refused as tampering, nothing from this bundle was applied"
            )
    new = [v for v in chunk if v.version_id not in held]
    for device_id, group in groupby(new, key=lambda v: v.device_id):
        seqs = [v.device_seq for v in group]
        # Against the versions held and those kept apart (db/exchange/quarantine.py), each through its index.
        clash = conn.execute(
            "SELECT min(s) FROM (SELECT min(device_seq) AS s FROM incident_versions WHERE device_id = ?1 "
            "AND device_seq IN (SELECT value FROM json_each(?2)) UNION ALL SELECT min(device_seq) "
            "FROM quarantined_versions WHERE device_id = ?1 AND device_seq IN (SELECT value FROM json_each(?2)))",
            (device_id, json.dumps(seqs)),
        ).fetchone()[0]
        if clash is not None:
            raise BundleError(
                f"{path}: device {device_id} version {clash} differs from the one held here (a forked chain): "
                "refused as tampering, nothing from this bundle was applied"
            )
    return new


def _tick(progress: Progress | None, done: int, total: int) -> None:
    if progress is not None and progress(done, total) is False:
        raise BundleCancelled("import cancelled; nothing from the bundle being read was applied")


def _check_keys(conn: sqlite3.Connection, bundle: VerifiedBundle) -> None:
    """Trust on first sight: a device known here must present the key it was first seen with."""
    for device in (bundle.exporter, *bundle.devices):
        row = conn.execute("SELECT public_key, label FROM devices WHERE device_id = ?", (device.device_id,)).fetchone()
        if row is not None and row[0] != device.public_key:
            raise BundleError(
                f"{bundle.path}: WARNING: device {row[1] or device.device_id} ({device.device_id}) is known here with "
                "another key. This bundle may be forged, or that laptop's key was replaced; nothing was imported. "
                "Check with the laptop's owner before trusting it."
            )


def _held_hashes(conn: sqlite3.Connection, ids: Sequence[str], path: Path) -> dict[str, str]:
    held: dict[str, str] = {}
    for start in range(0, len(ids), _LOOKUP_CHUNK):
        rows = conn.execute(
            "SELECT version_id, version_sha256 FROM incident_versions "
            "WHERE version_id IN (SELECT value FROM json_each(?))",
            (json.dumps(ids[start : start + _LOOKUP_CHUNK]),),
        )
        held.update(rows.fetchall())
    return held


def _check_links(conn: sqlite3.Connection, bundle: VerifiedBundle, path: Path) -> list[tuple[str, int, str]]:
    """Each run against the versions held around it; returns the anchors to keep for runs after a gap."""
    anchors: list[tuple[str, int, str]] = []
    for device in bundle.devices:
        for run in device.runs:
            held = {
                seq: (version_id, version_sha, chain)
                for seq, version_id, version_sha, chain in conn.execute(
                    "SELECT device_seq, version_id, version_sha256, chain_sha256 FROM incident_versions "
                    "WHERE device_id = ? AND device_seq IN (?, ?)",
                    (device.device_id, run.seq_from - 1, run.seq_to + 1),
                )
            }
            _check_neighbours(device, run.seq_from, run.seq_to, run.previous_chain, run.head.chain_sha256, held, path)
            if run.seq_from > 1 and run.seq_from - 1 not in held:
                anchors.append((device.device_id, run.seq_from, run.previous_chain))
    return anchors


def _check_neighbours(
    device: DeviceEntry,
    first: int,
    last: int,
    previous_chain: str,
    last_chain: str,
    held: dict[int, tuple[str, str, str]],
    path: Path,
) -> None:
    before = held.get(first - 1)
    if before is not None and before[2] != previous_chain:
        raise BundleError(
            f"{path}: device {device.name} version {first} does not follow from version {first - 1} held here: "
            "refused as tampering, nothing from this bundle was applied"
        )
    after = held.get(last + 1)
    if after is not None and chain_hash(last_chain, after[1]) != after[2]:
        raise BundleError(
            f"{path}: device {device.name} version {last + 1} held here does not follow from version {last} of "
            "this bundle: refused as tampering, nothing from this bundle was applied"
        )


def _add_devices_and_authors(conn: sqlite3.Connection, bundle: VerifiedBundle, signed: set[str]) -> None:
    now = utc_now_text()
    conn.executemany(
        "INSERT INTO devices (device_id, label, public_key, first_seen) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [(d.device_id, d.label or d.device_id[:8], d.public_key, now) for d in (bundle.exporter, *bundle.devices)],
    )
    # A laptop names itself: its own bundle may rename it here, a relayed label never overrides.
    local = get_meta(conn, META_DEVICE_ID)
    if bundle.exporter.label and local != bundle.exporter.device_id:
        conn.execute(
            "UPDATE devices SET label = ? WHERE device_id = ?", (bundle.exporter.label, bundle.exporter.device_id)
        )
    # A record known here unsigned (kept from before records were signed) takes its laptop's signed one.
    conn.executemany(
        "INSERT INTO monitors (monitor_id, name, callsign, role, created_at, device_id, signature) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (monitor_id) DO UPDATE SET name = excluded.name, "
        "callsign = excluded.callsign, device_id = excluded.device_id, signature = excluded.signature "
        "WHERE monitors.signature IS NULL AND coalesce(monitors.device_id, excluded.device_id) = excluded.device_id "
        "AND excluded.device_id IS NOT (SELECT value FROM meta WHERE key = 'local_device_id')",
        [
            (a.monitor_id, a.name, a.callsign, a.role, now, a.device_id, a.signature)
            for a in bundle.authors
            if a.monitor_id in signed
        ],
    )


def _count_conflicts(conn: sqlite3.Connection, touched: Sequence[str]) -> int:
    count = 0
    for start in range(0, len(touched), _LOOKUP_CHUNK):
        count += conn.execute(
            "SELECT count(*) FROM incidents WHERE heads > 1 AND incident_id IN (SELECT value FROM json_each(?))",
            (json.dumps(list(touched[start : start + _LOOKUP_CHUNK])),),
        ).fetchone()[0]
    return count
