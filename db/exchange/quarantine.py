"""Versions kept apart: held, listed, never shown or counted, until the mission's roster allows them.

A bundle's versions pass through :class:`Gate` on their way in (:mod:`db.exchange.importing`):

- from a laptop the roster in force does not name, or revoked from that sequence number on:
  kept apart (kind ``laptop``) until a roster names the laptop;
- a decision (a verification state beyond what a monitor sets, or a conflict resolution,
  :func:`db.records.roles.is_decision`): with a roster, refused with the whole bundle unless its
  author is a supervisor of the roster on the laptop that signed it; before any roster, kept
  apart (kind ``decision``) when it comes from another laptop, since nobody here can tell a
  supervisor's decision from a forged one;
- a version built on a decision kept apart is kept apart too (kind ``descent``): otherwise a
  monitor's later amendment would carry the unchecked state into the projection.

:func:`release` runs whenever a newer roster is loaded: what it allows moves into
``incident_versions`` and is projected; the rest stays, with the reason brought up to date.
Kept versions were verified like any other (hashes, chains, signed heads) when they arrived.
:func:`kept_apart_page` lists them for the window a page at a time, with the reason in a few words.
"""

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path

from db.core.clock import utc_now_text
from db.core.sql_driver import sqlite3
from db.core.untrusted_text import escaped
from db.exchange.bundle_file import BundleError
from db.records.roles import MONITOR_STATES, is_decision, parent_states
from db.records.roster import NO_ROSTER, Roster, RosterError, roster_in_force
from db.storage.projection import Calendar, device_tag, project_group, refresh_incidents, write_new
from db.storage.versions import VERSION_COLUMNS, Version, insert_versions

_COLUMNS = ", ".join(VERSION_COLUMNS)
_INSERT_APART = (
    f"INSERT INTO quarantined_versions ({_COLUMNS}, kind, why, bundle_sha256, quarantined_at) "
    f"VALUES ({', '.join('?' * (len(VERSION_COLUMNS) + 4))})"
)
_CHUNK = 50_000
_UNCHECKED_KINDS = ("decision", "descent")


@dataclass(frozen=True, slots=True)
class Judged:
    """What a bundle's reviewed or resolving version says, kept from the verifying pass (few per bundle)."""

    state: str
    author_id: str
    device_id: str
    device_seq: int
    parent_ids: tuple[str, ...]


@dataclass(frozen=True)
class Kept:
    """One version kept apart, as `truceline check` and the import log list it."""

    version_id: str
    device_id: str
    device_seq: int
    kind: str
    why: str


def needs_judging(state: str, parent_ids: Sequence[str]) -> bool:
    """Whether the verifying pass must remember a version for :class:`Gate` (it may be a decision)."""
    return state not in MONITOR_STATES or len(parent_ids) > 1


class Gate:
    """Decides, version by version, what goes in, what is kept apart and what refuses the bundle.

    Built inside the import's write transaction, after the bundle's roster (if newer) was loaded.
    ``judged`` are the bundle's possible decisions, so that a version's parent later in the file
    (versions are grouped by device) is known before the version is.
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        path: Path,
        roster: Roster | None,
        local_device: str | None,
        judged: Mapping[str, Judged],
        labels: Mapping[str, str],
    ) -> None:
        self.conn = conn
        self.path = path
        self.roster = roster
        self.local = local_device
        self.judged = dict(judged)
        self.labels = labels
        outside = sorted({p for j in judged.values() for p in j.parent_ids if p not in judged})
        self.held_states = _states(conn, outside)
        self.apart_unchecked = _apart(conn, outside, _UNCHECKED_KINDS)
        self.planned: dict[str, tuple[str, str] | None] = {}
        self._plan()

    def _plan(self) -> None:
        """Every possible decision's fate, parents first (iteratively: a chain may be long)."""
        for start in self.judged:
            stack = [start]
            while stack:
                vid = stack[-1]
                if vid in self.planned:
                    stack.pop()
                    continue
                pending = [p for p in self.judged[vid].parent_ids if p in self.judged and p not in self.planned]
                if pending:
                    stack.extend(pending)
                    continue
                stack.pop()
                self.planned[vid] = self._judge(vid)

    def _judge(self, vid: str) -> tuple[str, str] | None:
        entry = self.judged[vid]
        descent = self._descent(entry.parent_ids)
        if descent is not None:
            return descent
        before = self._state_before(entry.parent_ids)
        if len(entry.parent_ids) < 2 and not is_decision(before, entry.state):
            return None
        if self.roster is None:
            if entry.device_id == self.local:
                return None
            return ("decision", f"a decision by another laptop: {NO_ROSTER}")
        if self.roster.laptop_refusal(entry.device_id, entry.device_seq) is not None:
            return None  # kept apart as the laptop's anyway (see classify)
        if not self.roster.supervises(entry.author_id, entry.device_id):
            what = "resolves a conflict" if len(entry.parent_ids) > 1 else f"sets verification_state {entry.state}"
            name = self.labels.get(entry.device_id, entry.device_id)
            raise BundleError(
                f"{self.path}: laptop {escaped(name)}, version {entry.device_seq} ({vid}) {what}, but its author "
                f"({escaped(entry.author_id)}) is not a supervisor of this laptop on the mission's roster "
                f"{self.roster.number}: refused, nothing from this bundle was applied"
            )
        return None

    def _descent(self, parent_ids: Iterable[str]) -> tuple[str, str] | None:
        for parent in parent_ids:
            if parent in self.apart_unchecked or (parent in self.planned and self.planned[parent] is not None):
                return ("descent", f"builds on version {parent}, kept apart")
        return None

    def _state_before(self, parent_ids: Sequence[str]) -> str | None:
        if not parent_ids:
            return None
        parent = parent_ids[0]
        if parent in self.judged:
            return self.judged[parent].state
        # Not judged: held here (looked up), or in this bundle in a monitor's state, or missing.
        return self.held_states.get(parent)

    def split(self, versions: Sequence[Version]) -> tuple[list[Version], list[tuple[Version, str, str]]]:
        """The versions that go in, and those kept apart with their kind and reason."""
        others = [v for v in versions if v.version_id not in self.judged]
        parents = sorted({p for v in others for p in v.parent_ids})
        states = _states(self.conn, parents)
        apart = _apart(self.conn, parents, _UNCHECKED_KINDS)
        accepted: list[Version] = []
        kept: list[tuple[Version, str, str]] = []
        for version in versions:
            fate = self._fate(version, states, apart)
            if fate is None:
                accepted.append(version)
            else:
                kept.append((version, *fate))
        return accepted, kept

    def _fate(self, version: Version, states: Mapping[str, str], apart: set[str]) -> tuple[str, str] | None:
        if self.roster is not None:
            why = self.roster.laptop_refusal(version.device_id, version.device_seq)
            if why is not None:
                return ("laptop", why)
        if version.version_id in self.judged:
            return self.planned[version.version_id]
        for parent in version.parent_ids:
            if parent in apart or self.planned.get(parent) is not None:
                return ("descent", f"builds on version {parent}, kept apart")
        # A monitor's state: a decision only when it undoes a reviewed parent's state.
        before = next((self.judged[p].state for p in version.parent_ids if p in self.judged), None)
        before = before or next((states[p] for p in version.parent_ids if p in states), None)
        if before is not None and is_decision(before, version.incident().verification_state):
            probe = Judged(
                version.incident().verification_state,
                version.author_id,
                version.device_id,
                version.device_seq,
                version.parent_ids,
            )
            self.judged[version.version_id] = probe
            self.planned[version.version_id] = self._judge(version.version_id)
            return self.planned[version.version_id]
        return None


def keep_apart(conn: sqlite3.Connection, kept: Sequence[tuple[Version, str, str]], bundle_sha256: str) -> None:
    """Store versions kept apart; a device sequence already held apart by another version is tampering."""
    if not kept:
        return
    for version, _kind, _why in kept:
        clash = conn.execute(
            "SELECT version_id FROM quarantined_versions WHERE device_id = ? AND device_seq = ? AND version_id != ?",
            (version.device_id, version.device_seq, version.version_id),
        ).fetchone()
        if clash is not None:
            raise BundleError(
                f"device {version.device_id} version {version.device_seq} differs from the one kept apart here "
                "(a forked chain): refused as tampering, nothing from this bundle was applied"
            )
    now = utc_now_text()
    conn.executemany(
        _INSERT_APART + " ON CONFLICT (version_id) DO NOTHING",
        [(*version.as_row(), kind, why, bundle_sha256, now) for version, kind, why in kept],
    )


def held_apart(conn: sqlite3.Connection, ids: Sequence[str]) -> dict[str, str]:
    """Version id -> version hash of the versions among ``ids`` kept apart here."""
    held: dict[str, str] = {}
    for start in range(0, len(ids), _CHUNK):
        rows = conn.execute(
            "SELECT version_id, version_sha256 FROM quarantined_versions "
            "WHERE version_id IN (SELECT value FROM json_each(?))",
            (json.dumps(list(ids[start : start + _CHUNK])),),
        )
        held.update(rows.fetchall())
    return held


def kept_apart(conn: sqlite3.Connection, limit: int = 1000) -> list[Kept]:
    """The versions kept apart, oldest arrival first."""
    rows = conn.execute(
        "SELECT version_id, device_id, device_seq, kind, why FROM quarantined_versions ORDER BY rowid LIMIT ?",
        (limit,),
    )
    return [Kept(*row) for row in rows]


def count_apart(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM quarantined_versions").fetchone()[0])


@dataclass(frozen=True)
class KeptEntry:
    """One version kept apart as the window lists it: whose, about what, which bundle brought it, and why.

    Labels, names and the incident's values came from another laptop: raw here, escaped where shown.
    """

    position: int  # arrival order; the next page starts after it
    version_id: str
    device_id: str
    device_seq: int
    device_tag: str  # the four letters of the laptop in incident references
    device_label: str
    author_id: str
    author_name: str | None  # None: no monitor of that id is known here
    author_callsign: str | None
    incident_id: str
    incident_ref: str | None  # None: neither the incident nor its first version is here
    category: str | None
    zone_id: str | None
    observed_start: str | None
    bundle_sha256: str
    imported_at: str | None  # when the bundle that brought it was first imported
    kind: str
    why: str  # the reason as recorded (and brought up to date by each roster)
    reason: str  # the same in a few words


_PAGE_SQL = """SELECT q.rowid, q.version_id, q.device_id, q.device_seq, coalesce(d.label, ''), q.author_id, m.name,
    m.callsign, q.incident_id, i.ref, q.parent_ids, json_extract(q.payload, '$.category'),
    json_extract(q.payload, '$.zone_id'), json_extract(q.payload, '$.sector_id'),
    json_extract(q.payload, '$.observed_start'), q.bundle_sha256,
    (SELECT min(imported_at) FROM imports WHERE imports.bundle_sha256 = q.bundle_sha256), q.kind, q.why
FROM quarantined_versions q LEFT JOIN devices d ON d.device_id = q.device_id
LEFT JOIN monitors m ON m.monitor_id = q.author_id LEFT JOIN incidents i ON i.incident_id = q.incident_id
WHERE q.rowid > ? ORDER BY q.rowid LIMIT ?"""


def kept_apart_page(conn: sqlite3.Connection, after: int = 0, limit: int = 200) -> list[KeptEntry]:
    """The versions kept apart that arrived after ``position`` ``after``, oldest first, at most ``limit``.

    Keyset paging on arrival order: each page costs the same whether 10 or 100,000 are kept apart.
    """
    try:
        roster: Roster | None | RosterError = roster_in_force(conn)
    except RosterError as error:  # an edited roster: say what was recorded, not what it would allow
        roster = error
    entries = []
    for row in conn.execute(_PAGE_SQL, (after, limit)):
        position, vid, device, seq, label, author, name, callsign, incident, ref, parents = row[:11]
        category, zone, sector, observed, bundle, imported, kind, why = row[11:]
        if ref is None and parents == "[]":  # its first version: the reference every laptop will give it
            ref = f"{sector or zone}-{device_tag(device)}-{seq:06d}"
        words = _in_words(kind, why, device, roster)
        tag = device_tag(device)
        fields = (position, vid, device, seq, tag, label, author, name, callsign, incident, ref)
        entries.append(KeptEntry(*fields, category, zone, observed, bundle, imported, kind, why, words))
    return entries


def _in_words(kind: str, why: str, device_id: str, roster: Roster | None | RosterError) -> str:
    """The recorded reason in a few words, from its kind and the roster in force (which brought it up to date)."""
    if isinstance(roster, RosterError):
        return why
    if kind == "descent":
        return "builds on a version kept apart"
    if kind == "decision":
        if roster is None:
            return "a decision from another laptop: no roster here yet to check its author"
        return f"a decision by someone not a supervisor of this laptop on roster {roster.number}"
    laptop = None if roster is None else roster.laptop(device_id)
    if roster is not None and laptop is None:
        return f"laptop not on the mission's roster {roster.number}"
    if roster is not None and laptop is not None and laptop.revoked_from is not None:
        return f"laptop revoked from its version {laptop.revoked_from} on by roster {roster.number}"
    return why


def release(conn: sqlite3.Connection, calendar: Calendar, roster: Roster) -> int:
    """Move into ``incident_versions`` every version kept apart that ``roster`` allows; returns how many.

    Runs inside the caller's write transaction. Arrival order puts parents first; a pass that
    released something is followed by another, for a child that arrived before its parent.
    """
    released = 0
    while True:
        rows = conn.execute(f"SELECT {_COLUMNS} FROM quarantined_versions ORDER BY rowid").fetchall()
        if not rows:
            return released
        versions = [Version.from_row(row) for row in rows]
        freed, stays = _sort_out(conn, versions, roster)
        for version, kind, why in stays:
            conn.execute(
                "UPDATE quarantined_versions SET kind = ?, why = ? WHERE version_id = ?",
                (kind, why, version.version_id),
            )
        if not freed:
            return released
        conn.executemany("DELETE FROM quarantined_versions WHERE version_id = ?", [(v.version_id,) for v in freed])
        insert_versions(conn, freed)
        project_versions(conn, calendar, freed)
        released += len(freed)


def _sort_out(
    conn: sqlite3.Connection, versions: Sequence[Version], roster: Roster
) -> tuple[list[Version], list[tuple[Version, str, str]]]:
    """Which kept versions ``roster`` frees, and the reasons of those that stay.

    A version waits while a parent kept apart is still to be sorted out in this pass (it arrived
    later) or stays as an unchecked decision or its descendant; the caller's next pass takes it.
    """
    held = parent_states(conn, (p for v in versions for p in v.parent_ids))
    by_id = {v.version_id: v for v in versions}
    sorted_out: set[str] = set()
    unchecked: set[str] = set()
    freed: list[Version] = []
    stays: list[tuple[Version, str, str]] = []
    for version in versions:
        fate = _fate_with(roster, version, by_id, held, sorted_out, unchecked)
        sorted_out.add(version.version_id)
        if fate is None:
            freed.append(version)
            held[version.version_id] = version.incident().verification_state
        else:
            stays.append((version, *fate))
            if fate[0] != "laptop":
                unchecked.add(version.version_id)
    return freed, stays


def _fate_with(
    roster: Roster,
    version: Version,
    by_id: Mapping[str, Version],
    held: Mapping[str, str],
    sorted_out: set[str],
    unchecked: set[str],
) -> tuple[str, str] | None:
    why = roster.laptop_refusal(version.device_id, version.device_seq)
    if why is not None:
        return ("laptop", why)
    waiting = next((p for p in version.parent_ids if p in unchecked or (p in by_id and p not in sorted_out)), None)
    if waiting is not None:
        return ("descent", f"builds on version {waiting}, kept apart")
    parent = version.parent_ids[0] if version.parent_ids else None
    before = None if parent is None else (held.get(parent) or _state_of(by_id.get(parent)))
    if len(version.parent_ids) > 1 or is_decision(before, version.incident().verification_state):
        if not roster.supervises(version.author_id, version.device_id):
            return (
                "decision",
                f"its author is not a supervisor of this laptop on the mission's roster {roster.number}",
            )
    return None


def _state_of(version: Version | None) -> str | None:
    return None if version is None else version.incident().verification_state


def project_versions(conn: sqlite3.Connection, calendar: Calendar, new: Sequence[Version]) -> list[str]:
    """Project every incident the new versions touch; incidents seen for the first time take the fast path."""
    touched = list(dict.fromkeys(v.incident_id for v in new))
    existing = _existing(conn, touched)
    rows = []
    heads: list[tuple[str, str]] = []
    fresh = sorted((v for v in new if v.incident_id not in existing), key=lambda v: (v.incident_id, v.version_id))
    for incident_id, group in groupby(fresh, key=lambda v: v.incident_id):
        row, head_ids = project_group(list(group), calendar, Version.incident)
        rows.append(row)
        heads.extend((incident_id, h) for h in head_ids)
    if rows:
        write_new(conn, rows, heads)
    if existing:
        refresh_incidents(conn, [i for i in touched if i in existing], calendar)
    return touched


def _existing(conn: sqlite3.Connection, ids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(ids), _CHUNK):
        rows = conn.execute(
            "SELECT incident_id FROM incidents WHERE incident_id IN (SELECT value FROM json_each(?))",
            (json.dumps(list(ids[start : start + _CHUNK])),),
        )
        found.update(r[0] for r in rows)
    return found


def _states(conn: sqlite3.Connection, ids: Sequence[str]) -> dict[str, str]:
    """The verification state of held versions among ``ids``, whether in ``incident_versions`` or kept apart."""
    states: dict[str, str] = {}
    for start in range(0, len(ids), _CHUNK):
        part = json.dumps(list(ids[start : start + _CHUNK]))
        states.update(parent_states(conn, ids[start : start + _CHUNK]))
        rows = conn.execute(
            "SELECT version_id, json_extract(payload, '$.verification_state') FROM quarantined_versions "
            "WHERE version_id IN (SELECT value FROM json_each(?))",
            (part,),
        )
        states.update((vid, str(state)) for vid, state in rows)
    return states


def _apart(conn: sqlite3.Connection, ids: Sequence[str], kinds: Sequence[str]) -> set[str]:
    found: set[str] = set()
    marks = ", ".join("?" * len(kinds))
    for start in range(0, len(ids), _CHUNK):
        rows = conn.execute(
            f"SELECT version_id FROM quarantined_versions WHERE kind IN ({marks}) "
            "AND version_id IN (SELECT value FROM json_each(?))",
            (*kinds, json.dumps(list(ids[start : start + _CHUNK]))),
        )
        found.update(r[0] for r in rows)
    return found
