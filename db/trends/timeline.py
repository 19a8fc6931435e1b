"""Violations or incidents over time, in day, week or month bins, split by one dimension.

What the supervisor's timeline plots (ARCHITECTURE.md §8): the filter bar's filter, binned by local day
or by reporting day (the theatre's cut-off), stacked by zone, sector, category, observation type,
weapon or verification state. Sums come from the rollups whenever they can express the filter
(:mod:`db.trends.rollups`), and from ``incidents`` otherwise, so the answer is the same either way and
a refresh stays within the 50 ms budget of ARCHITECTURE.md §10 on a million incidents.
"""

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from db.core.sql_driver import sqlite3
from db.records.queries import IncidentFilter, fts_query, utc_text, where_clause
from db.storage.projection import Calendar
from db.trends.column_sums import GroupSums
from db.trends.incident_cube import incident_cube_of, matching_rowids
from db.trends.positions import rowids_in_area
from db.trends.rollups import DaySums, parse_utc, read_day_sums, rollup_filter, split_period

Bin = Literal["day", "week", "month"]
Dimension = Literal["zone", "sector", "category", "obs_type", "weapon_class", "verification_state"]
Metric = Literal["violations", "incidents"]

ALL = "all"
"""The key of the single series of a timeline without a dimension."""

DIMENSION_COLUMNS: dict[str, str] = {
    "zone": "zone_id",
    "sector": "sector_id",
    "category": "category",
    "obs_type": "obs_type",
    "weapon_class": "weapon_class",
    "verification_state": "verification_state",
}
BINS = ("day", "week", "month")
METRICS = ("violations", "incidents")


@dataclass(frozen=True)
class Timeline:
    """Sums per bin, one series per value of the dimension, every bin present (zeros included).

    ``starts`` holds the first day of each bin (weeks start on Monday, months on the 1st);
    ``series`` maps a dimension value (None: no sector) to one sum per bin, or holds the single
    series ``"all"`` when there is no dimension. Only values with something to show get a series.
    """

    starts: tuple[date, ...]
    series: dict[str | None, tuple[int, ...]]
    bin: Bin = "day"
    dimension: Dimension | None = None
    metric: Metric = "violations"
    reporting_days: bool = False

    def total(self, key: str | None = ALL) -> int:
        """The sum of one series over the whole range (0 for a value with no series)."""
        return sum(self.series.get(key, ()))

    def bin_totals(self) -> tuple[int, ...]:
        """The sum of every series per bin: the top of the stack."""
        return tuple(sum(column) for column in zip(*self.series.values(), strict=True)) or (0,) * len(self.starts)


def timeline(
    conn: sqlite3.Connection,
    flt: IncidentFilter,
    *,
    tz: ZoneInfo,
    cutoff: time,
    bin: Bin = "day",
    dimension: Dimension | None = None,
    metric: Metric = "violations",
    reporting_days: bool = False,
) -> Timeline:
    """The timeline of the incidents ``flt`` selects.

    ``tz`` and ``cutoff`` must be the theatre's (``store.calendar``): the stored days were
    computed with them. The bins cover the filter's period, or the data's extent on a side the
    filter leaves open. With ``reporting_days`` an observation at or after the cut-off counts on
    the next day, as in the OSCE SMM's daily reports.
    """
    if bin not in BINS:
        raise ValueError(f"unknown bin {bin!r} (choose from {', '.join(BINS)})")
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r} (choose from {', '.join(METRICS)})")
    if dimension is not None and dimension not in DIMENSION_COLUMNS:
        raise ValueError(f"unknown dimension {dimension!r} (choose from {', '.join(DIMENSION_COLUMNS)})")
    calendar = Calendar(tz, cutoff)
    column = DIMENSION_COLUMNS[dimension] if dimension else None
    counts = _counts(conn, flt, calendar, column, metric, reporting_days)
    first, last = _range(flt, calendar, reporting_days, (day for day, _ in counts))
    starts = bin_starts(first, last, bin) if first is not None and last is not None else ()
    position = {start: n for n, start in enumerate(starts)}
    columns: dict[str | None, list[int]] = {ALL: [0] * len(starts)} if column is None else {}
    for (day, key), value in counts.items():
        row = columns.setdefault(ALL if column is None else key, [0] * len(starts))
        row[position[bin_start(day, bin)]] += value
    # Values in order, no sector last, so that a stack keeps its order from one refresh to the next.
    ordered = sorted(columns, key=lambda key: (key is None, key or ""))
    series = {key: tuple(columns[key]) for key in ordered}
    return Timeline(tuple(starts), series, bin, dimension, metric, reporting_days)


def _counts(
    conn: sqlite3.Connection,
    flt: IncidentFilter,
    calendar: Calendar,
    column: str | None,
    metric: Metric,
    reporting_days: bool,
) -> Counter[tuple[date, str | None]]:
    """Sums per (local or reporting day, dimension value) of what ``flt`` selects."""
    counts: Counter[tuple[date, str | None]] = Counter()
    group = [column] if column else []
    where = rollup_filter(flt)
    split = split_period(flt.start_utc, flt.end_utc, calendar.tz)
    if where is not None:
        if split.whole is not None:
            _add_sums(counts, read_day_sums(conn, group, where, *split.whole, metric), column, reporting_days)
    else:
        # A text search or a map area with nothing else the rollups lack: the matches' rowids (from
        # FTS5, from the map's positions), summed from the per-incident arrays (db/trends/incident_cube.py)
        # instead of one lookup per match.
        rest = rollup_filter(replace(flt, text="", area=None))
        cube = incident_cube_of(conn, calendar.tz) if rest is not None and split.whole is not None else None
        if rest is None or cube is None or split.whole is None:
            _add_incidents(counts, conn, flt, column, metric, reporting_days)
            return counts
        rowids = _matching(conn, flt)
        _add_sums(counts, cube.sums(rowids, group, rest.values, *split.whole, metric), column, reporting_days)
    for start, end in split.edges:
        _add_incidents(counts, conn, replace(flt, start_utc=start, end_utc=end), column, metric, reporting_days)
    return counts


def _matching(conn: sqlite3.Connection, flt: IncidentFilter) -> npt.NDArray[np.integer]:
    """Rowids of the incidents that match the filter's text and lie in its area (either may be unset)."""
    rowids = matching_rowids(conn, flt.text) if fts_query(flt.text) else None
    if flt.area is not None:
        inside = rowids_in_area(conn, flt.area)
        rowids = inside if rowids is None else np.intersect1d(rowids, inside)
    return rowids if rowids is not None else np.zeros(0, dtype=np.int64)


def _add_sums(
    counts: Counter[tuple[date, str | None]],
    sums: Iterable[DaySums | GroupSums],
    column: str | None,
    reporting_days: bool,
) -> None:
    """Add per-day sums; a reporting day also holds the late part of the local day before it."""
    one_day = timedelta(days=1)
    for group in sums:
        key = group.values[0] if column else None
        parts: list[tuple[date, int]] = [(group.day, group.total)]
        if reporting_days:
            parts = [(group.day, group.total - group.late), (group.day + one_day, group.late)]
        for day, value in parts:
            if value:  # a zero must not widen the range shown
                counts[day, key] += value


def _add_incidents(
    counts: Counter[tuple[date, str | None]],
    conn: sqlite3.Connection,
    flt: IncidentFilter,
    column: str | None,
    metric: Metric,
    reporting_days: bool,
) -> None:
    """Add sums read from ``incidents`` itself, for what the rollups cannot answer."""
    where, params = where_clause(flt)
    day = "report_day" if reporting_days else "obs_day"
    value = "sum(count)" if metric == "violations" else "count(*)"
    sql = f"SELECT {day}, {column or 'NULL'}, {value} FROM incidents WHERE {where} GROUP BY 1, 2"
    for text, key, total in conn.execute(sql, params):
        counts[date.fromisoformat(text), key] += total


def _range(
    flt: IncidentFilter, calendar: Calendar, reporting_days: bool, days: Iterable[date]
) -> tuple[date | None, date | None]:
    """First and last day to show: the filter's period, else the extent of what was found."""
    found = list(days)
    first = last = None
    if flt.start_utc is not None:
        first = _day_of(flt.start_utc, calendar, reporting_days)
    if flt.end_utc is not None:
        # The bound is exclusive and stored times are whole seconds: the last possible moment.
        final = utc_text(parse_utc(flt.end_utc) - timedelta(seconds=1))
        last = _day_of(final, calendar, reporting_days)
    if found:
        # Never drop data: a day found outside the computed range widens it.
        first = min([first, *found]) if first is not None else min(found)
        last = max([last, *found]) if last is not None else max(found)
    if first is not None and last is not None and first > last:
        return None, None
    return first or last, last or first


def _day_of(utc: str, calendar: Calendar, reporting_days: bool) -> date:
    local, report = calendar.days(utc_text(parse_utc(utc)))
    return date.fromisoformat(report if reporting_days else local)


def bin_start(day: date, bin: Bin) -> date:
    """The first day of the bin holding ``day``."""
    if bin == "week":
        return day - timedelta(days=day.weekday())
    if bin == "month":
        return day.replace(day=1)
    return day


def bin_starts(first: date, last: date, bin: Bin) -> list[date]:
    """The first day of every bin from the one holding ``first`` to the one holding ``last``."""
    starts = []
    current = bin_start(first, bin)
    while current <= last:
        starts.append(current)
        if bin == "month":
            current = (current + timedelta(days=32)).replace(day=1)
        else:
            current += timedelta(days=7 if bin == "week" else 1)
    return starts


def moving_average(values: Sequence[float], window: int) -> list[float]:
    """The trailing mean over ``window`` values, for a smoothed line over the bars.

    The first ``window - 1`` points average the values available so far, so the line starts with
    the data instead of leaving a gap.
    """
    if window < 1:
        raise ValueError(f"the window must be at least 1, not {window}")
    out: list[float] = []
    running = 0.0
    for n, value in enumerate(values):
        running += value
        if n >= window:
            running -= values[n - window]
        out.append(running / min(n + 1, window))
    return out
