"""Listing and counting incidents with the filter bar's filters, paged by keyset.

Pages never use OFFSET: a page continues after the last row of the previous one
(``(sort value, incident_id)``), so any page of a million rows costs the same. Periods are local
days in the mission time zone, both inclusive, turned into a half-open UTC range.
"""

import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from db.incidents import IncidentRecord, record_from_row
from db.projection import PROJECTION_COLUMNS

SORTABLE = (
    "observed_start",
    "ref",
    "zone_id",
    "sector_id",
    "category",
    "obs_type",
    "weapon_class",
    "count",
    "means",
    "verification_state",
    "place",
    "updated_at",
)
_NULLABLE_TEXT = {"sector_id", "place"}


@dataclass(frozen=True)
class IncidentFilter:
    """What the filter bar selects; empty tuples mean "any"."""

    start_utc: str | None = None
    end_utc: str | None = None
    zone_ids: tuple[str, ...] = ()
    sector_ids: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    weapon_classes: tuple[str, ...] = ()
    states: tuple[str, ...] = ()
    text: str = ""
    conflicts_only: bool = False


@dataclass(frozen=True)
class Cursor:
    """Where a page ended: the sort value and incident id of its last row."""

    value: Any
    incident_id: str


def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def day_bounds(first: date | None, last: date | None, tz: ZoneInfo) -> tuple[str | None, str | None]:
    """Local days ``first``..``last`` (inclusive) as a half-open UTC range, DST-correct."""
    start = utc_text(datetime.combine(first, time(0), tz)) if first else None
    end = utc_text(datetime.combine(last + timedelta(days=1), time(0), tz)) if last else None
    return start, end


def fts_query(text: str) -> str:
    """Turn what a user types into a safe FTS5 query: every word must match, as a prefix."""
    words = re.findall(r"\w+", text, flags=re.UNICODE)
    return " ".join('"' + word.replace('"', '""') + '"*' for word in words)


def where_clause(flt: IncidentFilter) -> tuple[str, list[Any]]:
    """SQL condition and parameters for a filter (shared with the statistics and exports)."""
    parts: list[str] = []
    params: list[Any] = []
    if flt.start_utc:
        parts.append("observed_start >= ?")
        params.append(flt.start_utc)
    if flt.end_utc:
        parts.append("observed_start < ?")
        params.append(flt.end_utc)
    for column, values in (
        ("zone_id", flt.zone_ids),
        ("sector_id", flt.sector_ids),
        ("category", flt.categories),
        ("weapon_class", flt.weapon_classes),
        ("verification_state", flt.states),
    ):
        if values:
            parts.append(f"{column} IN ({', '.join('?' * len(values))})")
            params.extend(values)
    if flt.conflicts_only:
        parts.append("heads > 1")
    query = fts_query(flt.text)
    if query:
        parts.append("rowid IN (SELECT rowid FROM incidents_fts WHERE incidents_fts MATCH ?)")
        params.append(query)
    return (" AND ".join(parts) or "1"), params


def count_incidents(conn: sqlite3.Connection, flt: IncidentFilter) -> int:
    where, params = where_clause(flt)
    return int(conn.execute(f"SELECT count(*) FROM incidents WHERE {where}", params).fetchone()[0])


def list_incidents(
    conn: sqlite3.Connection,
    flt: IncidentFilter,
    *,
    sort: str = "observed_start",
    descending: bool = True,
    after: Cursor | None = None,
    limit: int = 200,
) -> list[IncidentRecord]:
    """One page of incidents in ``sort`` order, starting after ``after``."""
    if sort not in SORTABLE:
        raise ValueError(f"cannot sort by {sort}")
    key = f"coalesce({sort}, '')" if sort in _NULLABLE_TEXT else sort
    where, params = where_clause(flt)
    op, direction = ("<", "DESC") if descending else (">", "ASC")
    if after is not None:
        where += f" AND ({key}, incident_id) {op} (?, ?)"
        params.extend([after.value if after.value is not None else "", after.incident_id])
    sql = (
        f"SELECT {', '.join(PROJECTION_COLUMNS)} FROM incidents WHERE {where} "
        f"ORDER BY {key} {direction}, incident_id {direction} LIMIT ?"
    )
    return [record_from_row(row) for row in conn.execute(sql, [*params, limit])]


def cursor_of(record: IncidentRecord, sort: str) -> Cursor:
    """The cursor that continues after ``record`` in ``sort`` order."""
    if sort in ("ref", "updated_at"):
        value = getattr(record, sort)
    else:
        value = getattr(record.incident, sort)
    return Cursor(value, record.incident_id)
