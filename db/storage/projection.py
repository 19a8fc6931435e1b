"""The ``incidents`` table as a projection of the head versions, and its rebuild.

Every path that changes ``incidents`` goes through :func:`projection_row` and
:func:`write_projection`, so the live projection and :func:`rebuild_projection` cannot drift
apart (a test rebuilds and compares). Heads are the versions of an incident that no other
version names as a parent; with several heads the row shows the greatest version id and
``heads`` says the incident is in conflict. The rollup ``daily_counts`` follows the table through
triggers in the same transaction; the timeline's narrower rollups are derived from it here, for
the sums the triggers noted as stale, before the transaction commits (:func:`refresh_rollups`).
``incident_count`` (the number of rows, schema step m009) follows through triggers too; a rebuild
sets it from the table itself (:func:`recount_incidents`).
The full-text index is kept here too, because ``trusted_schema=OFF`` forbids FTS5 inside
triggers.

Two columns depend on the mission's calendar rather than on the versions alone: ``obs_day`` (the
local date) and ``report_day`` (the reporting day, which ends at the theatre's daily cut-off).
Every function that projects therefore takes a :class:`Calendar`, never a bare time zone, so a
caller cannot forget the cut-off.
"""

import base64
import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import lru_cache
from itertools import groupby
from zoneinfo import ZoneInfo

from db.core.clock import new_id
from db.core.sql_driver import sqlite3
from db.model.incident import FIELD_NAMES, Incident
from db.storage.meta import set_meta
from db.storage.rollup_schema import NARROW_ROLLUPS, ROLLUP_TABLES, narrow_fill, stale_groups
from db.storage.versions import SELECT_VERSIONS, Version

PROJECTION_COLUMNS = (
    "incident_id",
    "ref",
    "head_version_id",
    "heads",
    "created_at",
    "updated_at",
    "obs_day",
    *FIELD_NAMES,
    "report_day",
)
_UPSERT = (
    f"INSERT INTO incidents ({', '.join(PROJECTION_COLUMNS)}) VALUES ({', '.join('?' * len(PROJECTION_COLUMNS))}) "
    "ON CONFLICT (incident_id) DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in PROJECTION_COLUMNS[1:])
)
_FTS_DELETE = (
    "INSERT INTO incidents_fts (incidents_fts, rowid, narrative, place) "
    "SELECT 'delete', rowid, narrative, place FROM incidents WHERE incident_id = ?"
)
_FTS_INSERT = (
    "INSERT INTO incidents_fts (rowid, narrative, place) "
    "SELECT rowid, narrative, place FROM incidents WHERE incident_id = ?"
)


@lru_cache(maxsize=4096)
def device_tag(device_id: str) -> str:
    """Four letters that tell devices apart in a readable reference."""
    return base64.b32encode(hashlib.sha256(device_id.encode()).digest()).decode()[:4]


def make_ref(root: Version, root_incident: Incident) -> str:
    """``DMZ-04-K7QD-000123``: where it was first placed, which laptop, its sequence there.

    Derived from the first version only, so every laptop computes the same reference and it
    never changes when the incident is amended.
    """
    area = root_incident.sector_id or root_incident.zone_id
    return f"{area}-{device_tag(root.device_id)}-{root.device_seq:06d}"


@dataclass(frozen=True)
class Calendar:
    """The mission's two kinds of day: local dates, and reporting days that end at the cut-off.

    The OSCE SMM reported from 19:30 one evening to 19:30 the next, so that a report could be
    written and sent the same night; the theatre file sets the cut-off. Reporting day D covers
    the local times from the cut-off on D-1 up to the cut-off on D: an observation at or after
    the cut-off belongs to the next day's report.
    """

    tz: ZoneInfo
    cutoff: time

    def days(self, observed_start: str) -> tuple[str, str]:
        """The local date and the reporting day of a UTC ``...Z`` time (one conversion for both)."""
        local = datetime.fromisoformat(observed_start.replace("Z", "+00:00")).astimezone(self.tz)
        day = local.date()
        # Compare the wall clock, not the instant: on a DST day the cut-off is still 19:30 local.
        report = day + timedelta(days=1) if local.time() >= self.cutoff else day
        return day.isoformat(), report.isoformat()

    def report_day(self, observed_start: str) -> str:
        """The reporting day of a UTC ``...Z`` time, as ISO text like ``obs_day``."""
        return self.days(observed_start)[1]


def projection_row(
    root: Version, root_incident: Incident, head: Version, head_incident: Incident, heads: int, calendar: Calendar
) -> tuple[object, ...]:
    obs_day, report_day = calendar.days(head_incident.observed_start)
    return (
        head.incident_id,
        make_ref(root, root_incident),
        head.version_id,
        heads,
        root.recorded_at,
        head.recorded_at,
        obs_day,
        *head_incident.values(),
        report_day,
    )


_INSERT_HEADS = "INSERT INTO incident_heads (incident_id, version_id) VALUES (?, ?)"


def write_new(conn: sqlite3.Connection, rows: Sequence[tuple[object, ...]], heads: Iterable[tuple[str, str]]) -> None:
    """Project incidents seen for the first time, with their heads (the fast path for new records).

    New rows get rowids above the current maximum, so one statement indexes them all.
    """
    last_rowid = conn.execute("SELECT coalesce(max(rowid), 0) FROM incidents").fetchone()[0]
    conn.executemany(_UPSERT, rows)
    conn.executemany(_INSERT_HEADS, heads)
    conn.execute(
        "INSERT INTO incidents_fts (rowid, narrative, place) "
        "SELECT rowid, narrative, place FROM incidents WHERE rowid > ?",
        (last_rowid,),
    )
    refresh_rollups(conn)


def write_projection(conn: sqlite3.Connection, rows: Sequence[tuple[object, ...]]) -> None:
    """Upsert projected rows for incidents that may already exist, keeping the FTS index exact."""
    ids = [(row[0],) for row in rows]
    conn.executemany(_FTS_DELETE, ids)
    conn.executemany(_UPSERT, rows)
    conn.executemany(_FTS_INSERT, ids)
    refresh_rollups(conn)


def refresh_rollups(conn: sqlite3.Connection) -> None:
    """Derive the narrow rollups' stale sums again from ``daily_counts`` (see db.storage.rollup_schema).

    Every function here that writes ``incidents`` ends with this, inside the caller's
    transaction, so the rollups are never seen stale after a commit. After one saved incident it
    recomputes a few groups; keeping the rollups row by row instead would cost every saved
    incident a dozen index updates.
    """
    if conn.execute("SELECT 1 FROM rollup_stale LIMIT 1").fetchone() is None:
        return
    for rollup in NARROW_ROLLUPS:
        conn.execute(f"DELETE FROM {rollup.table} WHERE ({', '.join(rollup.key)}) IN ({stale_groups(rollup)})")
        conn.execute(narrow_fill(rollup, stale_only=True))
    # One new generation for every day this transaction changed (db/trends/day_cube.py reloads those).
    conn.execute(
        "INSERT INTO rollup_days (day, gen) SELECT DISTINCT day, (SELECT coalesce(max(gen), 0) + 1 FROM rollup_days) "
        "FROM rollup_stale WHERE true ON CONFLICT (day) DO UPDATE SET gen = excluded.gen"
    )
    conn.execute("DELETE FROM rollup_stale")


def kept_incident_count(conn: sqlite3.Connection) -> int | None:
    """The number of incidents the triggers keep in ``incident_count`` (m009); None if its row is gone."""
    row = conn.execute("SELECT incidents FROM incident_count WHERE only = 1").fetchone()
    return None if row is None else int(row[0])


def recount_incidents(conn: sqlite3.Connection) -> None:
    """Set ``incident_count`` from the table itself, mending a count that was wrong or missing."""
    conn.execute(
        "INSERT INTO incident_count (only, incidents) SELECT 1, count(*) FROM incidents WHERE true "
        "ON CONFLICT (only) DO UPDATE SET incidents = excluded.incidents"
    )


def heads_of(versions: Iterable[Version]) -> list[Version]:
    """Versions no other version names as a parent, greatest version id last."""
    listed = list(versions)
    parents = {p for v in listed for p in v.parent_ids}
    return sorted((v for v in listed if v.version_id not in parents), key=lambda v: v.version_id)


def project_group(
    versions: Sequence[Version], calendar: Calendar, content: Callable[[Version], Incident] = Version.incident
) -> tuple[tuple[object, ...], list[str]]:
    """The projected row and the head ids for all versions of one incident.

    ``content`` reads a version's incident; a caller that has already parsed the payloads passes
    a lookup instead.
    """
    heads = heads_of(versions)
    roots = sorted((v for v in versions if not v.parent_ids), key=lambda v: v.version_id)
    root = roots[0] if roots else min(versions, key=lambda v: v.version_id)
    head = heads[-1]
    root_incident = content(root)
    head_incident = root_incident if head is root else content(head)
    row = projection_row(root, root_incident, head, head_incident, len(heads), calendar)
    return row, [v.version_id for v in heads]


def refresh_incidents(conn: sqlite3.Connection, incident_ids: Iterable[str], calendar: Calendar) -> None:
    """Re-derive the projection of the given incidents from their versions (after amend or merge)."""
    rows = []
    for incident_id in dict.fromkeys(incident_ids):
        versions = [
            Version.from_row(r)
            for r in conn.execute(f"{SELECT_VERSIONS} WHERE incident_id = ? ORDER BY version_id", (incident_id,))
        ]
        row, head_ids = project_group(versions, calendar)
        rows.append(row)
        conn.execute("DELETE FROM incident_heads WHERE incident_id = ?", (incident_id,))
        conn.executemany(_INSERT_HEADS, [(incident_id, h) for h in head_ids])
    write_projection(conn, rows)


def rebuild_projection(conn: sqlite3.Connection, calendar: Calendar, batch: int = 5000) -> int:
    """Throw the projection away and derive it again from ``incident_versions``; call in a transaction.

    Returns the number of incidents projected.
    """
    if not conn.in_transaction:
        raise RuntimeError("rebuild_projection must run inside a write transaction")
    # The delete trigger counts down from here: a count that was too low would go below zero.
    recount_incidents(conn)
    conn.execute("DELETE FROM incidents")
    conn.execute("DELETE FROM incident_heads")
    for table in ROLLUP_TABLES:
        conn.execute(f"DELETE FROM {table}")
    # Every day may change or vanish: a new epoch makes any in-memory copy reload (db/trends/day_cube.py).
    conn.execute("DELETE FROM rollup_days")
    set_meta(conn, "rollup_epoch", new_id())
    conn.execute("INSERT INTO incidents_fts (incidents_fts) VALUES ('delete-all')")
    reader = conn.execute(f"{SELECT_VERSIONS} ORDER BY incident_id, version_id")
    rows: list[tuple[object, ...]] = []
    heads: list[tuple[str, str]] = []
    count = 0
    for incident_id, group in groupby((Version.from_row(r) for r in reader), key=lambda v: v.incident_id):
        row, head_ids = project_group(list(group), calendar)
        rows.append(row)
        heads.extend((incident_id, h) for h in head_ids)
        if len(rows) >= batch:
            count += _flush(conn, rows, heads)
    count += _flush(conn, rows, heads)
    # One pass over the table re-indexes the full text faster than row by row.
    conn.execute("INSERT INTO incidents_fts (incidents_fts) VALUES ('rebuild')")
    refresh_rollups(conn)
    recount_incidents(conn)  # exact whatever it held before (truceline check reports a wrong one)
    return count


def _flush(conn: sqlite3.Connection, rows: list[tuple[object, ...]], heads: list[tuple[str, str]]) -> int:
    n = len(rows)
    conn.executemany(_UPSERT, rows)
    conn.executemany(_INSERT_HEADS, heads)
    rows.clear()
    heads.clear()
    return n
