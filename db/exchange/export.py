"""Exporting a bundle: everything this laptop holds that the destination may lack, signed.

By default a bundle carries every version stored since the last bundle was exported (the
``incident_versions`` rowid at that export is remembered in ``meta``; versions are never deleted,
so rowids only grow), or every version with ``everything=True``. That includes versions this
laptop received from others: the supervisor's bundle back to the monitors carries all of them.

Each device's versions travel as runs that end at a head the device signed (see
:mod:`db.storage.chain`); this laptop signs its own heads now, and passes on the signatures it
received for other devices, extending a run to the next signed head when needed (duplicates cost
the receiver nothing). The file is written to a temporary name, renamed, then read back through
the same verification an import uses; only a bundle that passes moves the "last exported" mark.

Progress is one rising scale over the three passes (reading the versions from the database,
compressing them into the file, verifying the file), reported every thousand versions or
megabyte, so the bar never stands still for seconds and Cancel is answered promptly.
"""

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from db.core.clock import utc_now_text
from db.core.errors import DatabaseError, TrucelineError
from db.core.hashing import GENESIS_CHAIN, b64, canonical_json, sha256_hex
from db.core.sql_driver import sqlite3
from db.exchange.bundle_file import FORMAT, FORMAT_VERSION, VERSIONS, BundleError, version_line, write_bundle_file
from db.exchange.roster_file import held_roster_text
from db.exchange.seal_keys import seal_recipients
from db.exchange.sealed import device_seal_key
from db.exchange.verify import BundleCancelled, verify_bundle
from db.records.monitor_records import sign_own_monitors
from db.storage.chain import SignedHead, sign_head, store_heads, stored_anchor, stored_head, stored_head_seqs
from db.storage.connection import transaction
from db.storage.device import DeviceIdentity
from db.storage.meta import get_meta
from db.storage.store import current_theatre
from db.storage.versions import SELECT_VERSIONS, VERSION_COLUMNS, Version

META_LAST_EXPORT = "last_export_rowid"
PASS_WEIGHTS = (1, 1, 12)  # the shares of progress of reading, writing and verifying (see _Progress)
_READ_CHUNK = 1000  # versions read between progress reports: a few per second on a slow laptop


class NothingToExport(TrucelineError):
    """No version was stored since the last bundle; there is nothing new to send."""


@dataclass(frozen=True)
class ExportResult:
    """What was written: the file, its hash, and how many versions of how many devices."""

    path: Path
    sha256: str
    versions: int
    devices: int
    sealed: bool = False  # encrypted for the mission (and this laptop) only

    def summary(self) -> str:
        return (
            f"Exported {self.versions:,} version{'s' if self.versions != 1 else ''} from {self.devices} "
            f"device{'s' if self.devices != 1 else ''} to {self.path}"
            + (", sealed for the mission" if self.sealed else "")
            + f" (SHA-256 {self.sha256[:16]}…)"
        )


def export_bundle(
    conn: sqlite3.Connection,
    device: DeviceIdentity,
    out: Path,
    *,
    everything: bool = False,
    progress: Callable[[int, int], bool] | None = None,
) -> ExportResult:
    """Write a signed bundle to ``out`` and verify it; remember what was exported.

    ``progress(done, total)`` rises through reading, writing and verifying (:class:`_Progress`);
    returning False stops with :class:`~db.exchange.verify.BundleCancelled`, removes the file and
    leaves the "last exported" mark where it was.
    """
    cancelled = BundleCancelled(f"{out}: export cancelled; no bundle was written")
    with transaction(conn):
        sign_own_monitors(conn, device)
    with _snapshot(conn):
        since = 0 if everything else last_exported_rowid(conn)
        top = conn.execute("SELECT coalesce(max(rowid), 0) FROM incident_versions").fetchone()[0]
        selected: dict[str, list[int]] = {}
        for device_id, seq in conn.execute(
            "SELECT device_id, device_seq FROM incident_versions WHERE rowid BETWEEN ? AND ? "
            "ORDER BY device_id, device_seq",
            (since + 1, top),
        ):
            selected.setdefault(device_id, []).append(seq)
        if not selected:
            raise NothingToExport("nothing new to export: every version here was already in the last bundle exported")
        plan = _plan(conn, device, selected)
        steps = _Progress(progress, sum(last - first + 1 for _d, runs in plan for first, last in runs), cancelled)
        content = _collect(conn, device, plan, steps)
        own_label = conn.execute("SELECT label FROM devices WHERE device_id = ?", (device.device_id,)).fetchone()[0]
        monitors = _monitors(conn, content.authors)
        theatre = current_theatre(conn)
        roster = held_roster_text(conn)
    versions_bytes = b"".join(content.lines)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": utc_now_text(),
        "exporter": {"device_id": device.device_id, "label": own_label, "public_key": device.public_key_b64},
        "devices": content.entries,
        "monitors": monitors,
        "files": {VERSIONS: {"sha256": sha256_hex(versions_bytes), "versions": len(content.lines)}},
    }
    if roster is not None:
        # The newest roster held travels with every bundle (as received: its own signature proves it).
        manifest["roster"] = roster
    manifest_bytes = canonical_json(manifest)
    seal_to = seal_recipients(conn, device)
    sha = write_bundle_file(out, manifest_bytes, versions_bytes, device.private_key, steps.writing, seal_to)
    try:
        own = (device_seal_key(device.private_key),)  # a sealed bundle is read back with this laptop's own key
        verify_bundle(out, steps.verifying if progress is not None else None, theatre=theatre, keys=own)
    except BundleCancelled:
        out.unlink(missing_ok=True)
        raise cancelled from None
    except BundleError as error:
        out.unlink(missing_ok=True)
        raise DatabaseError(f"{out}: the bundle written did not pass verification and was removed: {error}") from error
    with transaction(conn):
        store_heads(conn, content.own_heads)
        conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (META_LAST_EXPORT, str(max(top, last_exported_rowid(conn)))),
        )
    return ExportResult(out, sha, len(content.lines), len(content.entries), sealed=bool(seal_to))


class _Progress:
    """One scale for the three passes of an export: reading, writing, verifying.

    Each pass reports its own ``done`` of ``total``; this maps it onto its share of the scale and
    never goes back, so the bar only rises. The shares follow the time each pass takes (20,000
    demo versions: reading 0.6 s, writing 0.45 s, verifying with the theatre's checks 7.1 s), so
    the bar moves at an even pace. The caller's False becomes ``cancelled``, raised.
    """

    def __init__(self, progress: Callable[[int, int], bool] | None, versions: int, cancelled: BundleCancelled) -> None:
        self._progress = progress
        self._size = max(versions, 1)
        self._cancelled = cancelled
        self._reached = 0

    def report(self, step: int, done: int, total: int) -> bool:
        """Pass ``step`` (0 reading, 1 writing, 2 verifying) has done ``done`` of ``total``; False to stop."""
        if self._progress is None:
            return True
        before, share = sum(PASS_WEIGHTS[:step]) * self._size, PASS_WEIGHTS[step] * self._size
        value = before + share * min(done, total) // max(total, 1)
        self._reached = max(self._reached, value)
        return self._progress(self._reached, sum(PASS_WEIGHTS) * self._size)

    def reading(self, done: int, total: int) -> None:
        if not self.report(0, done, total):
            raise self._cancelled

    def writing(self, done: int, total: int) -> None:
        if not self.report(1, done, total):
            raise self._cancelled

    def verifying(self, done: int, total: int) -> bool:
        return self.report(2, done, total)


@dataclass
class _Content:
    """What a bundle carries, gathered from one snapshot of the database."""

    entries: list[dict[str, object]] = field(default_factory=list)
    lines: list[bytes] = field(default_factory=list)
    own_heads: list[SignedHead] = field(default_factory=list)
    authors: set[str] = field(default_factory=set)


@contextmanager
def _snapshot(conn: sqlite3.Connection) -> Iterator[None]:
    """One read transaction: a save made meanwhile is either wholly in the bundle or left for the next."""
    conn.execute("BEGIN")
    try:
        yield
    finally:
        conn.execute("COMMIT")


_SELECT_APART = f"SELECT {', '.join(VERSION_COLUMNS)} FROM quarantined_versions"


def _plan(
    conn: sqlite3.Connection, device: DeviceIdentity, selected: dict[str, list[int]]
) -> list[tuple[str, list[tuple[int, int]]]]:
    """Each selected device with the runs of sequence numbers to send: known before reading, so progress has a total."""
    return [(device_id, _covered_runs(conn, device, device_id, seqs)) for device_id, seqs in selected.items()]


def _collect(
    conn: sqlite3.Connection,
    device: DeviceIdentity,
    plan: list[tuple[str, list[tuple[int, int]]]],
    steps: _Progress,
) -> _Content:
    """Each planned device's versions as signed runs, their JSON Lines, and their authors."""
    content = _Content()
    total = sum(last - first + 1 for _device_id, runs in plan for first, last in runs)
    steps.reading(0, total)
    for device_id, planned in plan:
        label, public_key = conn.execute(
            "SELECT label, public_key FROM devices WHERE device_id = ?", (device_id,)
        ).fetchone()
        runs = []
        for first, last in planned:
            version: Version | None = None
            # Another laptop's versions kept apart here travel on too, to complete a signed run:
            # every laptop applies its own roster to them.
            for row in conn.execute(
                f"{SELECT_VERSIONS} WHERE device_id = ? AND device_seq BETWEEN ? AND ? UNION ALL "
                f"{_SELECT_APART} WHERE device_id = ? AND device_seq BETWEEN ? AND ? ORDER BY device_seq",
                (device_id, first, last, device_id, first, last),
            ):
                version = Version.from_row(row)
                content.lines.append(version_line(version))
                content.authors.add(version.author_id)
                if len(content.lines) % _READ_CHUNK == 0:
                    steps.reading(len(content.lines), total)
            assert version is not None  # a planned run holds at least one version (see _covered_runs)
            head = _head(conn, device, device_id, version)
            if device_id == device.device_id:
                content.own_heads.append(head)
            runs.append(
                {
                    "seq_from": first,
                    "seq_to": last,
                    "previous_chain": _previous_chain(conn, device_id, first),
                    "chain_sha256": head.chain_sha256,
                    "signature": b64(head.signature),
                }
            )
            steps.reading(len(content.lines), total)
        content.entries.append(
            {
                "device_id": device_id,
                "label": label,
                "public_key": public_key,
                "seq_from": runs[0]["seq_from"],
                "seq_to": runs[-1]["seq_to"],
                "runs": runs,
            }
        )
    return content


def last_exported_rowid(conn: sqlite3.Connection) -> int:
    value = get_meta(conn, META_LAST_EXPORT)
    return int(value) if value else 0


def _contiguous(seqs: Iterable[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for seq in sorted(set(seqs)):
        if runs and seq == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], seq)
        else:
            runs.append((seq, seq))
    return runs


def _covered_runs(
    conn: sqlite3.Connection, device: DeviceIdentity, device_id: str, seqs: list[int]
) -> list[tuple[int, int]]:
    """The selected sequence numbers as runs, each extended to end at a head the device signed.

    This laptop signs its own heads, so its runs end where they end. Another device's versions
    arrived here in runs that ended at its signed heads, and this laptop holds every version of
    such a run, so the next signed head at or after a run's end is always reachable.
    """
    runs = _contiguous(seqs)
    if device_id == device.device_id:
        return runs
    heads = stored_head_seqs(conn, device_id)
    extended: list[int] = []
    for first, last in runs:
        end = next((s for s in heads if s >= last and _holds_all(conn, device_id, last, s)), None)
        if end is None:
            raise DatabaseError(
                f"cannot export device {device_id}'s versions {first}–{last}: no chain head signed by that device "
                "covers them (run 'truceline check')"
            )
        extended.extend(range(first, end + 1))
    return _contiguous(extended)


def _holds_all(conn: sqlite3.Connection, device_id: str, first: int, last: int) -> bool:
    count = conn.execute(
        "SELECT (SELECT count(*) FROM incident_versions WHERE device_id = ?1 AND device_seq BETWEEN ?2 AND ?3) + "
        "(SELECT count(*) FROM quarantined_versions WHERE device_id = ?1 AND device_seq BETWEEN ?2 AND ?3)",
        (device_id, first, last),
    ).fetchone()[0]
    return bool(count == last - first + 1)


def _head(conn: sqlite3.Connection, device: DeviceIdentity, device_id: str, last: Version) -> SignedHead:
    if device_id == device.device_id:
        return sign_head(device.private_key, device_id, last.device_seq, last.chain_sha256)
    head = stored_head(conn, device_id, last.device_seq)
    if head is None or head.chain_sha256 != last.chain_sha256:
        raise DatabaseError(f"device {device_id}: no signed chain head for version {last.device_seq}")
    return head


def _previous_chain(conn: sqlite3.Connection, device_id: str, first: int) -> str:
    """The chain hash before a run: the version held before it, else the anchor kept when it arrived."""
    if first == 1:
        return GENESIS_CHAIN
    row = conn.execute(
        "SELECT chain_sha256 FROM incident_versions WHERE device_id = ?1 AND device_seq = ?2 UNION ALL "
        "SELECT chain_sha256 FROM quarantined_versions WHERE device_id = ?1 AND device_seq = ?2",
        (device_id, first - 1),
    ).fetchone()
    anchor = row[0] if row else stored_anchor(conn, device_id, first)
    if anchor is None:
        raise DatabaseError(f"device {device_id}: the chain before version {first} is unknown here")
    return str(anchor)


def _monitors(conn: sqlite3.Connection, ids: set[str]) -> list[dict[str, str]]:
    """The authors' records as their laptops signed them (db/records/monitor_records.py)."""
    rows = conn.execute(
        "SELECT monitor_id, name, callsign, role, coalesce(device_id, ''), coalesce(signature, '') FROM monitors "
        "WHERE monitor_id IN (SELECT value FROM json_each(?)) ORDER BY monitor_id",
        (json.dumps(sorted(ids)),),
    )
    keys = ("monitor_id", "name", "callsign", "role", "device_id", "signature")
    return [dict(zip(keys, row, strict=True)) for row in rows]
