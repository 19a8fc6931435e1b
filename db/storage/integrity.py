"""Checks that the stored history is intact and the projection agrees with it.

``truceline check`` and the start-up check use these. Each problem names the device, the
sequence number and the version at fault, so a broken record can be found and explained.
"""

import base64
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from db.core.errors import BusyError
from db.core.hashing import GENESIS_CHAIN, canonical_json, chain_hash, sha256_hex, version_hash
from db.core.sql_driver import sqlite3
from db.model.incident import Incident
from db.model.payload_check import MAX_PAYLOAD_BYTES, load_capped_json, shape_problems
from db.storage.chain import SignedHead, head_is_valid
from db.storage.device import META_DEVICE_ID
from db.storage.meta import get_meta
from db.storage.projection import PROJECTION_COLUMNS, Calendar, kept_incident_count, project_group
from db.storage.rollup_schema import ROLLUPS, Rollup, measure_source, rollup_source
from db.storage.versions import SELECT_VERSIONS, Version

CHECK_BUSY = (
    "the database is busy: another Truceline is writing to it, so the check could not finish "
    "(nothing is known to be wrong); try again in a moment"
)


@dataclass(frozen=True)
class Problem:
    """One thing found wrong, in a sentence a supervisor can act on.

    ``damage`` is False for what is reported but is no damage, such as the versions of another
    laptop that have not arrived yet (bundles may come in any order). ``derived`` marks damage to
    what is derived from the versions (the incident table, its heads and count, rollups, search
    index), which ``truceline check --rebuild`` mends without losing anything.
    """

    what: str
    version_id: str | None = None
    damage: bool = True
    derived: bool = False

    def __str__(self) -> str:
        return self.what


@dataclass
class CheckReport:
    """What ``truceline check`` found."""

    integrity: str = "ok"
    versions: int = 0
    incidents: int = 0
    devices: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def damage(self) -> list[Problem]:
        return [p for p in self.problems if p.damage]

    @property
    def notes(self) -> list[Problem]:
        return [p for p in self.problems if not p.damage]

    @property
    def ok(self) -> bool:
        return self.integrity == "ok" and not self.damage

    @property
    def only_derived(self) -> bool:
        """Damage found, all of it in what the versions derive (a rebuild mends it), none in the file or versions."""
        return self.integrity == "ok" and bool(self.damage) and all(p.derived for p in self.damage)


def verify_version(version: Version, previous_chain: str | None) -> list[str]:
    """What is wrong with one version given the chain hash before it (empty when intact)."""
    return check_version(version, previous_chain)[0]


def check_version(version: Version, previous_chain: str | None) -> tuple[list[str], Incident | None]:
    """:func:`verify_version`, also returning the incident read from the payload (None if unreadable).

    A bundle import projects the incidents it has just verified; handing the parsed content on
    saves reading every payload twice.
    """
    wrong = []
    incident: Incident | None = None
    if sha256_hex(version.payload.encode()) != version.payload_sha256:
        wrong.append("its content does not match its payload hash")
    else:
        try:
            payload = load_capped_json(version.payload.encode(), max_bytes=MAX_PAYLOAD_BYTES, max_depth=1)
            shape = shape_problems(payload)
            if shape:
                wrong.append(f"its payload is not an incident ({shape[0]})")
            else:
                incident = Incident.from_payload(payload)
                if canonical_json(incident.to_payload()).decode() != version.payload:
                    wrong.append("its payload is not in canonical form")
        except (ValueError, TypeError) as error:
            wrong.append(f"its payload cannot be read ({error})")
    expected = version_hash(
        version_id=version.version_id,
        incident_id=version.incident_id,
        parent_ids=version.parent_ids,
        device_id=version.device_id,
        device_seq=version.device_seq,
        author_id=version.author_id,
        recorded_at=version.recorded_at,
        reason=version.reason,
        payload_sha256=version.payload_sha256,
    )
    if expected != version.version_sha256:
        wrong.append("its columns do not match its version hash")
    if chain_hash(previous_chain, version.version_sha256) != version.chain_sha256:
        wrong.append("its chain link does not follow from the previous version")
    if version.parent_ids and not version.reason:
        wrong.append("it changes the incident without a reason")
    return wrong, incident


def verify_chains(conn: sqlite3.Connection) -> list[Problem]:
    """Recompute every hash and chain link, device by device in sequence order.

    After a sequence gap the first version's link is checked from the chain hash its bundle
    carried (``chain_anchors``), when one was kept; otherwise it cannot be checked. A gap in
    another laptop's sequence is reported but is no damage: its bundles may arrive in any order.
    This laptop's own versions are all written here, so a gap in them is.
    """
    problems: list[Problem] = []
    local_device = get_meta(conn, META_DEVICE_ID)
    anchors = {
        (device_id, seq): previous
        for device_id, seq, previous in conn.execute(
            "SELECT device_id, device_seq, previous_chain_sha256 FROM chain_anchors"
        )
    }
    rows = conn.execute(f"{SELECT_VERSIONS} ORDER BY device_id, device_seq")
    for device_id, group in groupby((Version.from_row(r) for r in rows), key=lambda v: v.device_id):
        previous: str | None = GENESIS_CHAIN
        expected_seq = 1
        for version in group:
            if version.device_seq != expected_seq and _kept_apart(
                conn, device_id, expected_seq, version.device_seq - 1
            ):
                # Held, only kept apart by the mission's roster (db/exchange/quarantine.py): no gap, and the
                # link is checked from the version kept apart before this one.
                previous = _apart_chain(conn, device_id, version.device_seq - 1)
            elif version.device_seq != expected_seq:
                last = version.device_seq - 1
                span = f"{expected_seq}" if last == expected_seq else f"{expected_seq}–{last}"
                if device_id == local_device:
                    problems.append(Problem(f"device {device_id} (this laptop): versions {span} missing"))
                else:
                    note = f"device {device_id}: versions {span} missing (not received yet: an open sequence gap)"
                    problems.append(Problem(note, damage=False))
                # Across a gap the link is checked from the kept anchor, if any; the rest still can be.
                previous = anchors.get((device_id, version.device_seq))
            for reason in verify_version(version, previous) if previous is not None else []:
                problems.append(
                    Problem(
                        f"device {device_id}, version {version.device_seq} ({version.version_id}): {reason}",
                        version.version_id,
                    )
                )
            previous = version.chain_sha256
            expected_seq = version.device_seq + 1
    return problems


def _kept_apart(conn: sqlite3.Connection, device_id: str, first: int, last: int) -> bool:
    count = conn.execute(
        "SELECT count(*) FROM quarantined_versions WHERE device_id = ? AND device_seq BETWEEN ? AND ?",
        (device_id, first, last),
    ).fetchone()[0]
    return bool(count == last - first + 1)


def _apart_chain(conn: sqlite3.Connection, device_id: str, seq: int) -> str | None:
    row = conn.execute(
        "SELECT chain_sha256 FROM quarantined_versions WHERE device_id = ? AND device_seq = ?", (device_id, seq)
    ).fetchone()
    return None if row is None else str(row[0])


def verify_signed_heads(conn: sqlite3.Connection) -> list[Problem]:
    """Every chain head a device signed (kept to relay its versions) still matches them and its key."""
    problems: list[Problem] = []
    rows = conn.execute(
        "SELECT h.device_id, h.device_seq, h.chain_sha256, h.signature, d.public_key, v.chain_sha256 "
        "FROM chain_heads h JOIN devices d USING (device_id) "
        "LEFT JOIN incident_versions v ON v.device_id = h.device_id AND v.device_seq = h.device_seq"
    )
    for device_id, seq, chain, signature, public_key, held_chain in rows:
        try:
            head = SignedHead(device_id, seq, chain, base64.b64decode(signature, validate=True))
            valid = head_is_valid(base64.b64decode(public_key, validate=True), head)
        except ValueError:  # damaged base64 text
            valid = False
        if not valid:
            problems.append(Problem(f"device {device_id}: the signature of chain head {seq} does not match its key"))
        elif held_chain is not None and held_chain != chain:
            problems.append(Problem(f"device {device_id}: version {seq} does not match the chain head it signed"))
    return problems


def _derived(what: str) -> Problem:
    """Damage to what the versions derive: a rebuild from the versions mends it."""
    return Problem(what, derived=True)


def check_projection(conn: sqlite3.Connection, calendar: Calendar) -> list[Problem]:
    """Derive the projection from the versions and compare it with the stored tables, streaming."""
    problems: list[Problem] = []
    versions = conn.execute(f"{SELECT_VERSIONS} ORDER BY incident_id, version_id")
    derived = (
        (incident_id, *project_group(list(group), calendar))
        for incident_id, group in groupby((Version.from_row(r) for r in versions), key=lambda v: v.incident_id)
    )
    stored = conn.execute(f"SELECT {', '.join(PROJECTION_COLUMNS)} FROM incidents ORDER BY incident_id")
    stored_heads = conn.execute(
        "SELECT incident_id, group_concat(version_id) FROM "
        "(SELECT incident_id, version_id FROM incident_heads ORDER BY incident_id, version_id) GROUP BY incident_id"
    )
    heads_by_id = _SortedLookup(stored_heads)
    rows_by_id = _SortedLookup(stored)
    for incident_id, row_of_versions, head_ids in derived:
        row = rows_by_id.get(incident_id)
        if row is None:
            problems.append(_derived(f"incident {incident_id} is missing from the incidents table"))
            continue
        differing = [c for c, a, b in zip(PROJECTION_COLUMNS, row, row_of_versions, strict=True) if a != b]
        if differing:
            problems.append(_derived(f"incident {incident_id}: {', '.join(differing)} differ from its versions"))
        heads = heads_by_id.get(incident_id)
        if heads is None or sorted(str(heads[1]).split(",")) != head_ids:
            problems.append(_derived(f"incident {incident_id}: its heads differ from its versions"))
    orphans = conn.execute(
        "SELECT incident_id FROM incidents WHERE incident_id NOT IN (SELECT incident_id FROM incident_versions)"
    )
    problems.extend(_derived(f"incident {r[0]} is in the incidents table but has no versions") for r in orphans)
    problems.extend(_check_count(conn))
    stale = conn.execute("SELECT count(*) FROM rollup_stale").fetchone()[0]
    if stale:
        problems.append(_derived(f"the timeline rollups were not refreshed after {stale} change(s) to the incidents"))
    for rollup in ROLLUPS:
        problems.extend(_check_rollup(conn, rollup))
    return problems


class _SortedLookup:
    """Look rows up by their first column while walking keys in ascending order (a merge join)."""

    def __init__(self, rows: Iterator[Sequence[Any]]) -> None:
        self._rows = rows
        self._row = next(rows, None)

    def get(self, key: str) -> Sequence[Any] | None:
        while self._row is not None and self._row[0] < key:
            self._row = next(self._rows, None)
        return self._row if self._row is not None and self._row[0] == key else None


def _check_count(conn: sqlite3.Connection) -> list[Problem]:
    """The count the table shows unfiltered (``incident_count``, kept by triggers) against the rows themselves.

    A database of a release before m009 keeps none (``truceline encrypt`` checks its copy before
    any Truceline of today has opened it); opening it adds the count.
    """
    if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'incident_count'").fetchone() is None:
        return []
    kept = kept_incident_count(conn)
    rows = conn.execute("SELECT count(*) FROM incidents").fetchone()[0]
    if kept is None:
        return [_derived(f"the incident count kept for the table is missing (the incidents table holds {rows:,})")]
    if kept != rows:
        return [
            _derived(f"the incident count kept for the table says {kept:,}, but the incidents table holds {rows:,}")
        ]
    return []


def _check_rollup(conn: sqlite3.Connection, rollup: Rollup) -> list[Problem]:
    """Compare a rollup with a GROUP BY of the incidents computed here, independently of how it is kept."""
    keys = ", ".join(f"{rollup_source(c, 'incidents')} AS {c}" for c in rollup.key)
    sums = ", ".join(f"sum({measure_source(m, 'incidents')})" for m in rollup.measures)
    positions = ", ".join(str(n) for n in range(1, len(rollup.key) + 1))
    derived = f"SELECT {keys}, {sums} FROM incidents GROUP BY {positions}"
    stored = f"SELECT {', '.join((*rollup.key, *rollup.measures))} FROM {rollup.table}"
    extra = conn.execute(f"SELECT count(*) FROM ({derived} EXCEPT {stored})").fetchone()[0]
    missing = conn.execute(f"SELECT count(*) FROM ({stored} EXCEPT {derived})").fetchone()[0]
    if extra or missing:
        return [_derived(f"the rollup {rollup.table} disagrees with the incidents in {extra + missing} rows")]
    return []


def check_fts(conn: sqlite3.Connection) -> list[Problem]:
    try:
        conn.execute("INSERT INTO incidents_fts (incidents_fts, rank) VALUES ('integrity-check', 1)")
    except sqlite3.OperationalError as error:
        if "locked" in str(error) or "busy" in str(error):
            raise BusyError(CHECK_BUSY) from error  # another program's write, no damage
        return [_derived(f"the full-text index disagrees with the incidents: {error}")]
    except sqlite3.DatabaseError as error:
        return [_derived(f"the full-text index disagrees with the incidents: {error}")]
    return []


def unknown_devices(conn: sqlite3.Connection) -> list[Problem]:
    """Versions of a device ``devices`` does not know: no import or save stores those (a bundle
    brings the key of every device it carries), so they came from outside Truceline."""
    rows = conn.execute(
        "SELECT device_id, count(*) FROM incident_versions "
        "WHERE device_id NOT IN (SELECT device_id FROM devices) GROUP BY device_id"
    )
    return [
        Problem(f"device {device}: {count:,} versions of a device unknown to this database") for device, count in rows
    ]


def check_database(conn: sqlite3.Connection, calendar: Calendar) -> CheckReport:
    """Everything ``truceline check`` verifies: SQLite integrity, hashes and chains, projection."""
    report = CheckReport()
    report.integrity = "; ".join(r[0] for r in conn.execute("PRAGMA integrity_check"))
    report.versions = conn.execute("SELECT count(*) FROM incident_versions").fetchone()[0]
    report.incidents = conn.execute("SELECT count(*) FROM incidents").fetchone()[0]
    report.devices = conn.execute("SELECT count(DISTINCT device_id) FROM incident_versions").fetchone()[0]
    report.problems.extend(unknown_devices(conn))
    report.problems.extend(verify_chains(conn))
    report.problems.extend(verify_signed_heads(conn))
    report.problems.extend(check_projection(conn, calendar))
    report.problems.extend(check_fts(conn))
    return report
