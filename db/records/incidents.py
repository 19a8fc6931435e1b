"""Recording, amending and reading incidents: the API the form, the command line and the demo use.

Every write is one transaction: validate first (nothing is written on a ValidationError), then
append the versions, then update the projection and its rollup. "Saved" may be shown once these
functions return.
"""

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from db.core.clock import new_id
from db.core.errors import NotFoundError, TrucelineError
from db.core.sql_driver import sqlite3
from db.model.incident import FIELD_NAMES, Incident
from db.model.validation import validate_reason
from db.records.roles import check_local_decisions
from db.storage.connection import transaction
from db.storage.projection import PROJECTION_COLUMNS, Calendar, device_tag, projection_row, refresh_incidents, write_new
from db.storage.versions import Version, VersionDraft, Writer, append_versions, versions_of


class ConflictError(TrucelineError):
    """The incident has several heads; only a resolution naming all of them may amend it."""


@dataclass(frozen=True)
class Saved:
    """What a save returns: enough to say "Saved DMZ-04-K7QD-000123"."""

    incident_id: str
    version_id: str
    ref: str


@dataclass(frozen=True)
class IncidentRecord:
    """The current state of one incident, as the table and the detail pane show it."""

    incident_id: str
    ref: str
    head_version_id: str
    heads: int
    created_at: str
    updated_at: str
    obs_day: str
    incident: Incident

    @property
    def in_conflict(self) -> bool:
        return self.heads > 1


@dataclass(frozen=True)
class HistoryEntry:
    """One version in an incident's history, with who, where, why, and what changed."""

    version: Version
    author_name: str
    device_label: str
    changed: tuple[str, ...]
    is_head: bool


def record_incidents(
    conn: sqlite3.Connection, writer: Writer, incidents: Sequence[Incident], calendar: Calendar
) -> list[Saved]:
    """Record new incidents (already validated) in one transaction; the fast path of the demo."""
    drafts = [VersionDraft(new_id(), (), None, incident) for incident in incidents]
    with transaction(conn):
        return _write_new_incidents(conn, writer, drafts, calendar)


def record_incident_groups(
    conn: sqlite3.Connection, groups: Sequence[tuple[Writer, Sequence[Incident]]], calendar: Calendar
) -> list[Saved]:
    """Record new incidents by several writers (a monitor's, a supervisor's) in one transaction."""
    with transaction(conn):
        saved: list[Saved] = []
        for writer, incidents in groups:
            if incidents:
                drafts = [VersionDraft(new_id(), (), None, incident) for incident in incidents]
                saved.extend(_write_new_incidents(conn, writer, drafts, calendar))
        return saved


def _write_new_incidents(
    conn: sqlite3.Connection, writer: Writer, drafts: Sequence[VersionDraft], calendar: Calendar
) -> list[Saved]:
    """First versions of incidents this database does not hold yet: append, project, record the heads."""
    check_local_decisions(conn, writer, drafts)
    versions = append_versions(conn, writer, drafts)
    rows = [projection_row(v, d.incident, v, d.incident, 1, calendar) for v, d in zip(versions, drafts, strict=True)]
    write_new(conn, rows, [(v.incident_id, v.version_id) for v in versions])
    return [Saved(row[0], v.version_id, str(row[1])) for row, v in zip(rows, versions, strict=True)]  # type: ignore[arg-type]


def write_imported(
    conn: sqlite3.Connection,
    writer: Writer,
    new: Sequence[tuple[str, Incident]],
    diverging: Sequence[tuple[str, Incident]],
    reason_text: str,
    calendar: Calendar,
) -> None:
    """Record incidents read from a file that carries no history (a CSV); the caller holds the transaction.

    ``new`` are incidents this database does not hold: they keep their ids and get a first
    version. ``diverging`` are held incidents whose content differs from every head: each gets a
    version with no parent, which makes it one more head, a visible conflict for a person to
    resolve, and never overwrites what is held. ``reason_text`` ("imported from FILE") must have
    passed :func:`~db.model.validation.validate_reason`.
    """
    if new:
        _write_new_incidents(conn, writer, [VersionDraft(i, (), reason_text, inc) for i, inc in new], calendar)
    if diverging:
        _write_versions(conn, writer, [VersionDraft(i, (), reason_text, inc) for i, inc in diverging], calendar)


def record_incident(conn: sqlite3.Connection, writer: Writer, incident: Incident, calendar: Calendar) -> Saved:
    return record_incidents(conn, writer, [incident], calendar)[0]


class Amendment(NamedTuple):
    """One incident's new content in a batch, and the version its editor started from (None: the head)."""

    incident_id: str
    incident: Incident
    base_version_id: str | None = None


def amend_incident(
    conn: sqlite3.Connection,
    writer: Writer,
    incident_id: str,
    incident: Incident,
    reason: str,
    calendar: Calendar,
    *,
    base_version_id: str | None = None,
) -> Saved:
    """Append a new version of ``incident_id`` with ``reason``.

    ``base_version_id`` is the version the editor started from; if another version was saved
    meanwhile, the new one becomes a second head (a visible conflict), never an overwrite.
    """
    return amend_incidents(conn, writer, [Amendment(incident_id, incident, base_version_id)], reason, calendar)[0]


def amend_incidents(
    conn: sqlite3.Connection,
    writer: Writer,
    changes: Sequence[tuple[str, Incident, str | None]],
    reason: str,
    calendar: Calendar,
) -> list[Saved]:
    """Append one new version to each incident of ``changes``, all with ``reason``, in one transaction.

    Each change is ``(incident_id, incident, base_version_id)`` (see :class:`Amendment`); the
    rules are those of :func:`amend_incident`. All or nothing: one unknown or conflicted
    incident refuses the whole batch.
    """
    reason_text = validate_reason(reason)
    with transaction(conn):
        return write_amendments(conn, writer, changes, reason_text, calendar)


def write_amendments(
    conn: sqlite3.Connection,
    writer: Writer,
    changes: Sequence[tuple[str, Incident, str | None]],
    reason_text: str,
    calendar: Calendar,
) -> list[Saved]:
    """The body of :func:`amend_incidents`, for callers that already hold the write transaction.

    A caller that reads incidents to decide their new content (the review) does so in the same
    transaction, so nothing can change between what it read and what it writes. ``reason_text``
    must already have passed :func:`~db.model.validation.validate_reason`.
    """
    ids = [change[0] for change in changes]
    if len(set(ids)) != len(ids):
        # Two new versions of one incident in one batch would make a conflict out of nothing.
        raise ValueError("an incident appears more than once in one batch of amendments")
    heads = current_heads(conn, ids)
    drafts = []
    for incident_id, incident, base_version_id in changes:
        found = heads.get(incident_id)
        if not found:
            raise NotFoundError(f"incident {incident_id} does not exist")
        if base_version_id is None:
            if len(found) > 1:
                raise ConflictError(f"incident {incident_id} is in conflict ({len(found)} versions); resolve it first")
            base_version_id = found[0]
        elif base_version_id not in found and not _version_belongs(conn, base_version_id, incident_id):
            raise NotFoundError(f"version {base_version_id} is not a version of incident {incident_id}")
        drafts.append(VersionDraft(incident_id, (base_version_id,), reason_text, incident))
    return _write_versions(conn, writer, drafts, calendar)


def resolve_conflict(
    conn: sqlite3.Connection, writer: Writer, incident_id: str, incident: Incident, reason: str, calendar: Calendar
) -> Saved:
    """Save the resolved content as a new version whose parents are all current heads."""
    reason_text = validate_reason(reason)
    with transaction(conn):
        heads = current_heads(conn, [incident_id]).get(incident_id)
        if not heads:
            raise NotFoundError(f"incident {incident_id} does not exist")
        draft = VersionDraft(incident_id, tuple(heads), reason_text, incident)
        return _write_versions(conn, writer, [draft], calendar)[0]


def current_heads(conn: sqlite3.Connection, incident_ids: Iterable[str]) -> dict[str, list[str]]:
    """Head version ids (sorted) of each incident that exists, read in one query."""
    rows = conn.execute(
        "SELECT incident_id, version_id FROM incident_heads "
        "WHERE incident_id IN (SELECT value FROM json_each(?)) ORDER BY incident_id, version_id",
        (json.dumps(list(incident_ids)),),
    )
    out: dict[str, list[str]] = {}
    for incident_id, version_id in rows:
        out.setdefault(incident_id, []).append(version_id)
    return out


def _write_versions(
    conn: sqlite3.Connection, writer: Writer, drafts: Sequence[VersionDraft], calendar: Calendar
) -> list[Saved]:
    """Append versions of existing incidents and re-project them: one insert, one refresh."""
    check_local_decisions(conn, writer, drafts)
    versions = append_versions(conn, writer, drafts)
    ids = [draft.incident_id for draft in drafts]
    refresh_incidents(conn, ids, calendar)
    refs = dict(
        conn.execute(
            "SELECT incident_id, ref FROM incidents WHERE incident_id IN (SELECT value FROM json_each(?))",
            (json.dumps(ids),),
        ).fetchall()
    )
    return [Saved(v.incident_id, v.version_id, refs[v.incident_id]) for v in versions]


def _version_belongs(conn: sqlite3.Connection, version_id: str, incident_id: str) -> bool:
    row = conn.execute(
        "SELECT 1 FROM incident_versions WHERE version_id = ? AND incident_id = ?", (version_id, incident_id)
    )
    return row.fetchone() is not None


_SELECT_RECORD = f"SELECT {', '.join(PROJECTION_COLUMNS)} FROM incidents"


def record_from_row(row: Sequence[Any]) -> IncidentRecord:
    values = dict(zip(PROJECTION_COLUMNS, row, strict=True))
    fields = {name: values[name] for name in FIELD_NAMES}
    fields["weapon_assessed"] = bool(fields["weapon_assessed"])
    return IncidentRecord(
        incident_id=values["incident_id"],
        ref=values["ref"],
        head_version_id=values["head_version_id"],
        heads=values["heads"],
        created_at=values["created_at"],
        updated_at=values["updated_at"],
        obs_day=values["obs_day"],
        incident=Incident(**fields),
    )


def get_incident(conn: sqlite3.Connection, incident_id: str) -> IncidentRecord:
    row = conn.execute(f"{_SELECT_RECORD} WHERE incident_id = ?", (incident_id,)).fetchone()
    if row is None:
        raise NotFoundError(f"incident {incident_id} does not exist")
    return record_from_row(row)


def incident_history(conn: sqlite3.Connection, incident_id: str) -> list[HistoryEntry]:
    """Every version, oldest first, with author, device, and the fields changed from its parent."""
    versions = versions_of(conn, incident_id)
    if not versions:
        raise NotFoundError(f"incident {incident_id} does not exist")
    heads = {r[0] for r in conn.execute("SELECT version_id FROM incident_heads WHERE incident_id = ?", (incident_id,))}
    authors = dict(conn.execute("SELECT monitor_id, name || ' (' || callsign || ')' FROM monitors").fetchall())
    devices = dict(conn.execute("SELECT device_id, label FROM devices").fetchall())
    by_id = {v.version_id: v for v in versions}
    out = []
    for version in versions:
        content = version.incident()
        changed: set[str] = set()
        for parent_id in version.parent_ids:
            parent = by_id.get(parent_id)
            changed.update(content.changed_fields(parent.incident()) if parent else FIELD_NAMES)
        ordered = tuple(name for name in FIELD_NAMES if name in changed)
        out.append(
            HistoryEntry(
                version=version,
                author_name=authors.get(version.author_id, version.author_id),
                device_label=devices.get(version.device_id, device_tag(version.device_id)),
                changed=ordered,
                is_head=version.version_id in heads,
            )
        )
    return out
