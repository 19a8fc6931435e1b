"""Reading the rollups: which one can answer a filter, and which part of a period it can answer.

The rollups (:mod:`db.storage.rollup_schema`) hold sums per local day, so they answer a filter only on the
columns in their key and only for whole local days. The timeline and the period summary ask here
first, and read ``incidents`` for the rest: a filter the rollups cannot express (text search,
conflicts) or the parts of days at the ends of a period that does not start and end at midnight.

Why the period is cut into whole days here rather than by new ``first_day``/``last_day`` fields in
:class:`~db.records.queries.IncidentFilter`: the UTC bounds stay the single truth about the period, so
two descriptions of it can never disagree, and any bounds (a region dragged on the timeline, a
reporting period from 19:30 to 19:30) still read the rollup for the days they cover whole.
"""

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from db.core.sql_driver import sqlite3
from db.records.queries import IncidentFilter, fts_query, utc_text
from db.storage.rollup_schema import DAILY_COUNTS, NARROW_ROLLUPS, Rollup
from db.trends.day_cube import cube_of

# IncidentFilter fields the rollups can express, and the rollup column each one filters.
FILTER_COLUMNS = {
    "zone_ids": "zone_id",
    "sector_ids": "sector_id",
    "categories": "category",
    "weapon_classes": "weapon_class",
    "states": "verification_state",
}
_PERIOD_FIELDS = {"start_utc", "end_utc"}
_DEFAULTS = {f.name: f.default for f in fields(IncidentFilter)}


@dataclass(frozen=True)
class RollupFilter:
    """A filter as conditions on rollup columns (the period aside), and the columns they use."""

    conditions: tuple[str, ...]
    params: tuple[Any, ...]
    columns: frozenset[str]
    values: tuple[tuple[str, tuple[str, ...]], ...] = ()  # the same conditions: column, allowed values


def rollup_filter(flt: IncidentFilter, *, in_key_order: bool = False) -> RollupFilter | None:
    """The filter's conditions on the rollups, or None when only ``incidents`` can answer it.

    Every field other than the period and the columns above must be at its default: a field the
    filter bar gains later is then read from ``incidents`` until someone teaches the rollups it,
    rather than silently ignored. ``in_key_order`` writes the conditions so that SQLite cannot
    answer them from an index (``+column``), for a caller that reads the rollup in key order.
    """
    for name, default in _DEFAULTS.items():
        if name in FILTER_COLUMNS or name in _PERIOD_FIELDS:
            continue
        value = getattr(flt, name)
        if name == "text":
            if fts_query(value):  # text with no word in it does not filter (see where_clause)
                return None
        elif value != default:
            return None
    conditions, params, columns, pairs = [], [], set(), []
    for name, column in FILTER_COLUMNS.items():
        values = getattr(flt, name)
        if values:
            conditions.append(f"{'+' if in_key_order else ''}{column} IN ({', '.join('?' * len(values))})")
            params.extend(values)
            columns.add(column)
            # A missing sector is stored as '' in the rollups.
            pairs.append((column, tuple("" if v is None else v for v in values)))
    return RollupFilter(tuple(conditions), tuple(params), frozenset(columns), tuple(pairs))


def choose_rollup(columns: Collection[str], *, kinds: bool = False) -> Rollup:
    """The smallest rollup whose key has every column (``daily_counts``, the last, has them all).

    With ``kinds`` it must also tell explosions apart by kind: as measures, or by its key.
    """
    for rollup in (*NARROW_ROLLUPS, DAILY_COUNTS):
        needed = set(columns) | ({"obs_type", "explosion_kind"} if kinds and not rollup.kinds else set())
        if needed <= set(rollup.key):
            return rollup
    raise ValueError(f"no rollup has the columns {', '.join(sorted(columns))}")


def usable_rollup(conn: sqlite3.Connection, columns: Collection[str], *, kinds: bool = False) -> Rollup:
    """:func:`choose_rollup`, unless the narrow rollups are stale: then ``daily_counts``.

    They are stale only when something wrote ``incidents`` without :func:`db.storage.projection.refresh_rollups`
    (every write in db.storage.projection refreshes them); ``daily_counts``, kept by triggers, is still exact.
    """
    rollup = choose_rollup(columns, kinds=kinds)
    if rollup.split and conn.execute("SELECT 1 FROM rollup_stale LIMIT 1").fetchone() is not None:
        return DAILY_COUNTS
    return rollup


@dataclass(frozen=True)
class DaySums:
    """One group of a rollup read: the grouped values, the local day, the sum and its late part.

    ``late`` is the part observed at or after the reporting cut-off, which belongs to the next
    reporting day.
    """

    values: tuple[str | None, ...]
    day: date
    total: int
    late: int


def read_day_sums(
    conn: sqlite3.Connection,
    group: Sequence[str],
    where: RollupFilter,
    first: date | None,
    last: date | None,
    measure: str,
) -> Iterator[DaySums]:
    """Sums of ``measure`` ("incidents" or "violations") per ``group`` values and local day.

    Only days ``first``..``last`` (inclusive; None for no bound) are read. '' (how a rollup
    stores a missing sector or explosion kind) comes back as None.
    """
    if measure not in ("incidents", "violations"):
        raise ValueError(f"unknown measure {measure!r}")
    rollup = usable_rollup(conn, {*group, *where.columns})
    if rollup is DAILY_COUNTS:
        cube = cube_of(conn)
        if cube is not None:
            for sums in cube.sums(group, where.values, first, last, measure):
                yield DaySums(sums.values, sums.day, sums.total, sums.late)
            return
    conditions, params = list(where.conditions), list(where.params)
    if first is not None:
        conditions.append("day >= ?")
        params.append(first.isoformat())
    if last is not None:
        conditions.append("day <= ?")
        params.append(last.isoformat())
    late = f"{measure}_late" if rollup.split else f"iif(report_day > day, {measure}, 0)"
    # Group in an order an index already has, so SQLite streams instead of sorting: the key's
    # own order when the first grouped column follows the day, else the column's covering index.
    if not group or group[0] == rollup.key[1]:
        order = ["day", *group]
    else:
        order = [*group, "day"]
    selected = ", ".join([*group, "day"])
    sql = (
        f"SELECT {selected}, sum({measure}), sum({late}) FROM {rollup.table} "
        f"WHERE {' AND '.join(conditions) or '1'} GROUP BY {', '.join(order)}"
    )
    days: dict[str, date] = {}
    width = len(group)
    for row in conn.execute(sql, params):
        text = row[width]
        day = days.get(text)
        if day is None:
            day = days[text] = date.fromisoformat(text)
        yield DaySums(tuple(v if v != "" else None for v in row[:width]), day, row[width + 1], row[width + 2])


@dataclass(frozen=True)
class PeriodSplit:
    """A UTC period cut into whole local days and the pieces of days left at its ends.

    ``whole`` is the inclusive range of whole days (None: no whole day; a None end inside it: no
    bound on that side); ``edges`` are half-open UTC ranges to read from ``incidents``.
    """

    whole: tuple[date | None, date | None] | None
    edges: tuple[tuple[str, str], ...]


def day_start(day: date, tz: ZoneInfo) -> datetime:
    """The first instant of a local day (where midnight falls in a DST gap, the end of the gap)."""
    return datetime.combine(day, time(0), tz)


def parse_utc(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone; filter bounds are UTC times ending in Z")
    return moment.astimezone(UTC)


def split_period(start_utc: str | None, end_utc: str | None, tz: ZoneInfo) -> PeriodSplit:
    """Cut ``[start_utc, end_utc)`` into whole local days of ``tz`` and the pieces at its ends."""
    first: date | None = None
    last: date | None = None
    start = end = None
    edges: list[tuple[str, str]] = []
    if start_utc is not None:
        start = parse_utc(start_utc)
        first = start.astimezone(tz).date()
        if day_start(first, tz) != start:
            first += timedelta(days=1)
            edges.append((start_utc, utc_text(day_start(first, tz))))
    if end_utc is not None:
        end = parse_utc(end_utc)
        day = end.astimezone(tz).date()
        last = day - timedelta(days=1)
        if day_start(day, tz) != end:
            edges.append((utc_text(day_start(day, tz)), end_utc))
    if first is not None and last is not None and first > last:
        # Less than a whole day between the bounds: read the period itself from incidents.
        assert start_utc is not None and end_utc is not None and start is not None and end is not None
        return PeriodSplit(None, ((start_utc, end_utc),) if start < end else ())
    return PeriodSplit((first, last), tuple(edges))
