"""Listing and counting incidents with the filter bar's filters, paged by keyset.

Pages never use OFFSET: a page continues after the last row of the previous one
(``(sort value, incident_id)``), so any page of a million rows costs the same. Periods are local
days in the mission time zone, both inclusive, turned into a half-open UTC range.
"""

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from db.core.sql_driver import sqlite3
from db.records.incidents import IncidentRecord, record_from_row
from db.storage.projection import PROJECTION_COLUMNS, kept_incident_count

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
class Area:
    """A rectangle of the map, in WGS84 degrees (both edges included): the map's spatial filter.

    An incident is inside when its map position is: the estimated event position if it has one,
    else the observer's (as the ACLED export and the zone assignment choose).
    """

    south: float
    west: float
    north: float
    east: float

    def __post_init__(self) -> None:
        values = (self.south, self.west, self.north, self.east)
        if not all(isinstance(v, int | float) and -180 <= v <= 180 for v in values):
            raise ValueError(f"not an area in degrees: {values!r}")
        if not (-90 <= self.south <= self.north <= 90 and self.west <= self.east):
            raise ValueError(f"an area needs south <= north and west <= east, not {values!r}")

    def text(self) -> str:
        """How the filter bar shows it: ``48.10–48.60°N 37.50–38.20°E``."""
        return f"{self.south:.2f}–{self.north:.2f}°N {self.west:.2f}–{self.east:.2f}°E"


MAP_LAT = "coalesce(event_lat, observer_lat)"
MAP_LON = "CASE WHEN event_lat IS NOT NULL THEN event_lon ELSE observer_lon END"
"""SQL for an incident's map position (see :class:`Area`): exactly the expressions of the index
``incidents_map_position`` (db/storage/schema.py, m007), which SQLite uses only for the same expressions."""


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
    area: Area | None = None


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


def reporting_day_bounds(first: date, last: date, tz: ZoneInfo, cutoff: time) -> tuple[str, str]:
    """Reporting days ``first``..``last`` (inclusive) as a half-open UTC range.

    Reporting day D runs from the cut-off on the local day before D to the cut-off on D (an
    observation at or after the cut-off counts on the next day, see :class:`db.storage.projection.Calendar`).
    """
    start = utc_text(datetime.combine(first - timedelta(days=1), cutoff, tz))
    return start, utc_text(datetime.combine(last, cutoff, tz))


def fts_query(text: str) -> str:
    """Turn what a user types into a safe FTS5 query: every word must match, as a prefix."""
    words = re.findall(r"\w+", text, flags=re.UNICODE)
    return " ".join('"' + word.replace('"', '""') + '"*' for word in words)


def where_clause(flt: IncidentFilter) -> tuple[str, list[Any]]:
    """SQL condition and parameters for a filter (shared with the statistics and exports)."""
    return _conditions(flt, None)


def _conditions(flt: IncidentFilter, indexable: Collection[str] | None) -> tuple[str, list[Any]]:
    """:func:`where_clause`, with the columns not in ``indexable`` (if given) hidden from indexes.

    A unary ``+`` keeps a term out of SQLite's choice of index without changing its meaning;
    ``"area"`` stands for the map position's index.
    """

    def col(name: str) -> str:
        return name if indexable is None or name in indexable else f"+{name}"

    parts: list[str] = []
    params: list[Any] = []
    if flt.start_utc:
        parts.append(f"{col('observed_start')} >= ?")
        params.append(flt.start_utc)
    if flt.end_utc:
        parts.append(f"{col('observed_start')} < ?")
        params.append(flt.end_utc)
    for column, values in (
        ("zone_id", flt.zone_ids),
        ("sector_id", flt.sector_ids),
        ("category", flt.categories),
        ("weapon_class", flt.weapon_classes),
        ("verification_state", flt.states),
    ):
        if values:
            parts.append(f"{col(column)} IN ({', '.join('?' * len(values))})")
            params.extend(values)
    if flt.conflicts_only:
        parts.append(f"{col('heads')} > 1")
    if flt.area is not None:
        a = flt.area
        lat, lon = (MAP_LAT, MAP_LON) if indexable is None or "area" in indexable else (f"+{MAP_LAT}", f"+{MAP_LON}")
        parts.append(f"{lat} BETWEEN ? AND ? AND {lon} BETWEEN ? AND ?")
        params.extend([a.south, a.north, a.west, a.east])
    query = fts_query(flt.text)
    if query:
        parts.append(f"{col('rowid')} IN (SELECT rowid FROM incidents_fts WHERE incidents_fts MATCH ?)")
        params.append(query)
    return (" AND ".join(parts) or "1"), params


def count_incidents(conn: sqlite3.Connection, flt: IncidentFilter) -> int:
    """How many incidents ``flt`` selects.

    No filter (the window's start, and every save and import the table counts again after): the
    row triggers keep in ``incident_count`` (schema step m009), one page instead of a walk over a
    whole index (on 1,000,000 incidents with a cold cache 17 ms plain, about 50 ms encrypted).
    Should that row be missing, the table is counted; ``truceline check`` reports it either way.
    """
    where, params = where_clause(flt)
    if where == "1":
        kept = kept_incident_count(conn)
        return kept if kept is not None else int(conn.execute("SELECT count(*) FROM incidents").fetchone()[0])
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


# ---------------------------------------------------------------------------------------------
# Positional paging for the incident table
# ---------------------------------------------------------------------------------------------

SortKey = tuple[Any, ...]
"""Where a row stands in a sort order; opaque to callers, who pass back what a page returned."""


@dataclass(frozen=True)
class KeyedRecord:
    """An incident and its sort key, so a page can be continued from either end."""

    key: SortKey
    record: IncidentRecord


def order_columns(sort: str) -> tuple[str, ...]:
    """The complete ``ORDER BY`` of ``sort``, ties included.

    Ties are broken by the time observed, then by rowid, because the indexes of ``incidents``
    are ``(column, observed_start)`` and SQLite ends each index with the rowid: the order is
    then exactly an index, so a page, a jump by OFFSET and a position walk that index instead
    of sorting a million rows. Time order, too, ends with the rowid rather than the id (as
    :func:`list_incidents` does), so that under a zone, sector, category or state filter it is
    exactly that filter's index. A reference is unique; its rowid only completes the key.
    """
    if sort not in SORTABLE:
        raise ValueError(f"cannot sort by {sort}")
    if sort in ("observed_start", "ref"):
        return (sort, "rowid")
    return (sort, "observed_start", "rowid")


# Sorts an index of db/storage/schema.py delivers in order, and the filter columns whose own index
# delivers it too when the filter picks one value (every such index is (column, observed_start)).
_ORDERED_BY_INDEX: dict[str, frozenset[str]] = {
    "observed_start": frozenset({"observed_start", "zone_id", "sector_id", "category", "verification_state"}),
    "ref": frozenset({"ref"}),
    "zone_id": frozenset({"zone_id"}),
    "sector_id": frozenset({"sector_id"}),
    "category": frozenset({"category"}),
    "verification_state": frozenset({"verification_state"}),
    "obs_type": frozenset({"obs_type"}),
    "weapon_class": frozenset({"weapon_class"}),
    "count": frozenset({"count"}),
    "means": frozenset({"means"}),
    "place": frozenset({"place"}),
    "updated_at": frozenset({"updated_at"}),
}
# When at least this share of all rows passes the filter, a page walks the sort's index and
# tests the filter row by row instead of fetching and sorting every match. Walking is then
# never worse: even if the matches all lie at the far end of the index (a sector filter over a
# zone sort), it passes fewer rows than sorting would read. Below it the walk can be much worse.
_WALK_SHARE = 0.5
# Every index a filter can use but the area's (see _indexable), and the sorts that follow place.
_FILTER_INDEXES = frozenset(
    {"observed_start", "zone_id", "sector_id", "category", "weapon_class", "verification_state", "heads", "rowid"}
)
_PLACE_SORTS = frozenset({"zone_id", "sector_id", "place"})
# A skip longer than this in time order goes through _skip_by_time (below it, a plain OFFSET).
_LONG_SKIP = 10_000


def _segments(sort: str, descending: bool, after: SortKey | None) -> list[tuple[str, list[Any]]]:
    """Conditions, in order, for the rows that come after ``after`` (all rows if None).

    A nullable column is split into its NULL rows (first when ascending, as SQLite sorts them)
    and the others, because a row-value comparison with NULL is never true: each part is then
    a plain index range.
    """
    columns = order_columns(sort)
    op = "<" if descending else ">"

    def beyond(names: tuple[str, ...], values: SortKey) -> tuple[str, list[Any]]:
        return f"({', '.join(names)}) {op} ({', '.join('?' * len(names))})", list(values)

    if sort not in _NULLABLE_TEXT:
        return [("1", [])] if after is None else [beyond(columns, after)]
    parts = [(f"{sort} IS NULL", True), (f"{sort} IS NOT NULL", False)]
    if descending:
        parts.reverse()
    out: list[tuple[str, list[Any]]] = []
    for condition, is_null in parts:
        if after is not None and not out:
            if (after[0] is None) != is_null:
                continue  # the cursor lies in a later part
            names, values = (columns[1:], after[1:]) if is_null else (columns, after)
            cond, params = beyond(names, values)
            out.append((f"{condition} AND {cond}", params))
        else:
            out.append((condition, []))
    return out


def page_incidents(
    conn: sqlite3.Connection,
    flt: IncidentFilter,
    *,
    sort: str = "observed_start",
    descending: bool = True,
    after: SortKey | None = None,
    offset: int = 0,
    limit: int = 200,
    matching: int | None = None,
) -> list[KeyedRecord]:
    """Up to ``limit`` incidents in :func:`order_columns` order, after ``after``, skipping ``offset``.

    Continue a page with the last key it returned; page backwards by flipping ``descending``
    and passing the first key. ``offset`` is for a far jump with no neighbouring page at hand:
    the inner query skips rows reading only the index where it can, and only the ``limit``
    rows kept are read whole. ``matching`` is the caller's count of rows under ``flt``: when
    most rows match, the filter's own indexes are hidden so SQLite walks the sort's index
    (without statistics it would take "category = 'fire'" to be selective, fetch 85 % of the
    table and sort it, for every page).
    """
    columns = order_columns(sort)
    where, params = _conditions(flt, _indexable(conn, sort, matching, offset + limit))
    direction = "DESC" if descending else "ASC"
    order_by = ", ".join(f"{column} {direction}" for column in columns)
    select = f"{', '.join(columns)}, {', '.join(PROJECTION_COLUMNS)}"
    segments = _segments(sort, descending, after)
    out: list[KeyedRecord] = []
    for n, (condition, extra) in enumerate(segments):
        want = limit - len(out)
        if want <= 0:
            break
        part_where, part_params = f"({where}) AND {condition}", [*params, *extra]
        if offset and n < len(segments) - 1:
            size = conn.execute(f"SELECT count(*) FROM incidents WHERE {part_where}", part_params).fetchone()[0]
            if size <= offset:
                offset -= size
                continue
        if sort == "observed_start" and offset > _LONG_SKIP:
            part_where, part_params, offset = _skip_by_time(conn, part_where, part_params, descending, offset)
        sql = (
            f"SELECT {select} FROM incidents WHERE rowid IN "
            f"(SELECT rowid FROM incidents WHERE {part_where} ORDER BY {order_by} LIMIT ? OFFSET ?) "
            f"ORDER BY {order_by}"
        )
        width = len(columns)
        for row in conn.execute(sql, [*part_params, want, offset]):
            out.append(KeyedRecord(tuple(row[:width]), record_from_row(row[width:])))
        offset = 0
    return out


def _skip_by_time(
    conn: sqlite3.Connection, where: str, params: list[Any], descending: bool, offset: int
) -> tuple[str, list[Any], int]:
    """Turn a long OFFSET in time order into a time bound and a short OFFSET among equal times.

    The time index is ``(observed_start, incident_id)``, so ordering by time then rowid sorts
    every skipped row again; ordering by time alone is the index itself. The row at ``offset``
    has the time found that way, and the rows before it are the ones strictly earlier (later,
    when descending), so the page continues from that time with only its ties still to skip.
    """
    direction, before, from_here = ("DESC", ">", "<=") if descending else ("ASC", "<", ">=")
    row = conn.execute(
        f"SELECT observed_start FROM incidents WHERE {where} ORDER BY observed_start {direction} LIMIT 1 OFFSET ?",
        [*params, offset],
    ).fetchone()
    if row is None:
        return where, params, offset
    skipped = conn.execute(
        f"SELECT count(*) FROM incidents WHERE {where} AND observed_start {before} ?", [*params, row[0]]
    ).fetchone()[0]
    return f"{where} AND observed_start {from_here} ?", [*params, row[0]], offset - skipped


def _indexable(
    conn: sqlite3.Connection, sort: str, matching: int | None, wanted: int | None = None
) -> frozenset[str] | None:
    """Filter columns that may use an index for rows in ``sort`` order (None: all of them).

    ``wanted`` is how many rows of that order a page reads (its offset and limit); None for a
    count. An area's rows lie anywhere in the order of a column that has nothing to do with
    place, so a walk finds ``wanted`` of them after about ``wanted * rows / matching`` rows,
    where the area's index reads ``matching`` rows and sorts them, twice for a far jump in time
    (:func:`_skip_by_time`): the walk wins for large areas. In the order of a zone, sector or
    place name an area's rows lie together, perhaps at the far end, so there the area's index
    is always allowed.
    """
    ordered = _ORDERED_BY_INDEX.get(sort)
    if matching is None or ordered is None:
        return None
    # max(rowid) costs one step down the b-tree and is near enough the row count for a ratio.
    rows = conn.execute("SELECT max(rowid) FROM incidents").fetchone()[0] or 0
    if matching >= rows * _WALK_SHARE:
        return ordered
    if wanted is not None and sort not in _PLACE_SORTS and 2 * matching * matching > wanted * rows:
        return _FILTER_INDEXES
    return None


def position_of(
    conn: sqlite3.Connection,
    flt: IncidentFilter,
    incident_id: str,
    sort: str = "observed_start",
    descending: bool = True,
    matching: int | None = None,
) -> int | None:
    """Row number of ``incident_id`` in ``sort`` order under ``flt``, or None if the filter hides it.

    Counted in SQL as the rows that come before its sort key (the rows after it in the reverse
    order), so it costs an index range count, never a list of ids. ``matching`` is the caller's
    count under ``flt``, as for :func:`page_incidents`: when most rows match, the count walks the
    sort's index from the near end rather than the whole of a filter's.
    """
    columns = order_columns(sort)
    where, params = _conditions(flt, _indexable(conn, sort, matching))
    row = conn.execute(
        f"SELECT {', '.join(columns)} FROM incidents WHERE incident_id = ? AND ({where})", [incident_id, *params]
    ).fetchone()
    if row is None:
        return None
    total = 0
    for condition, extra in _segments(sort, not descending, tuple(row)):
        sql = f"SELECT count(*) FROM incidents WHERE ({where}) AND {condition}"
        total += conn.execute(sql, [*params, *extra]).fetchone()[0]
    return total
