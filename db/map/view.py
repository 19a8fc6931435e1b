"""What the map shows for a filter and a view: points when few enough, else counts per grid cell.

The filter's incidents are chosen the way the timeline chooses them (the per-incident arrays of
:mod:`db.trends.incident_cube` for whole days and coded columns, FTS5 rowids for text, SQL for the rest),
their positions come from :mod:`db.trends.positions`, and everything after is numpy over those
arrays: no query reads a million rows. A view with more than ``max_points`` incidents in it is
returned as a density grid, whose size is the caller's number of cells, so drawing costs the
same whatever the count.
"""

import json
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from db.core.sql_driver import sqlite3
from db.records.queries import Area, IncidentFilter, fts_query, where_clause
from db.trends.column_sums import parse_ints, selected
from db.trends.incident_cube import incident_cube_of, matching_rowids
from db.trends.positions import Floats, positions_of
from db.trends.rollups import rollup_filter, split_period
from db.trends.timeline import DIMENSION_COLUMNS, Dimension

MAX_POINTS = 5_000
"""More incidents than this in view are shown as a density grid: beyond it, points only hide each other."""

Ints = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Selection:
    """The incidents a filter selects, as arrays indexed by rowid (no copies of the in-memory columns).

    ``mask`` says which rowids are chosen; ``count`` and ``codes`` (the split dimension's value, a
    position in ``vocab``) hold every rowid's, chosen or not.
    """

    mask: npt.NDArray[np.bool_]
    count: npt.NDArray[np.integer]
    codes: npt.NDArray[np.integer]
    vocab: list[str | None]


@dataclass(frozen=True)
class MapPoints:
    """The incidents in view, one entry each (arrays of equal length)."""

    rowids: Ints
    lat: Floats
    lon: Floats
    obs_lat: Floats
    obs_lon: Floats
    count: Ints
    keys: list[str | None]
    """The split dimension's value of each point (None: no sector; all None without a split)."""


@dataclass(frozen=True)
class DensityGrid:
    """Incidents per cell of a ``rows`` × ``columns`` grid laid over ``view`` (row 0 is the south)."""

    view: Area
    counts: Ints


@dataclass(frozen=True)
class MapData:
    """One redraw: how many incidents the filter places on the map, how many are in view, and either
    their points or a grid. With points, ``totals`` sums the counts (violations) per split value over
    the whole filter, so the legend ranks and colours values as the timeline does (a grid has none)."""

    placed: int
    in_view: int
    totals: dict[str | None, int]
    points: MapPoints | None
    grid: DensityGrid | None


def map_data(
    conn: sqlite3.Connection,
    flt: IncidentFilter,
    tz: ZoneInfo,
    view: Area,
    *,
    dimension: Dimension | None = None,
    max_points: int = MAX_POINTS,
    cells: tuple[int, int] = (48, 64),
) -> MapData:
    """What to draw in ``view`` for the incidents ``flt`` selects (``cells`` is rows, columns of a grid).

    Everything is a mask over rowids until the few arrays drawn are gathered: on a million
    incidents a gather costs as much as the whole selection.
    """
    chosen = select(conn, flt, tz, dimension)
    positions = positions_of(conn)
    n = min(len(chosen.mask), len(positions.lat))
    lat, lon = positions.lat[:n], positions.lon[:n]
    placed = chosen.mask[:n] & (lat == lat)  # NaN: no position
    if flt.area is not None:
        placed &= _within(lat, lon, flt.area)
    in_view = placed & _within(lat, lon, view)
    shown = int(np.count_nonzero(in_view))
    total = int(np.count_nonzero(placed))
    if shown > max_points:
        return MapData(total, shown, {}, None, _grid(lat[in_view], lon[in_view], view, cells))
    count, codes = chosen.count[:n], chosen.codes[:n]
    picked = np.flatnonzero(in_view)
    points = MapPoints(
        rowids=picked.astype(np.int64),
        lat=lat[picked],
        lon=lon[picked],
        obs_lat=positions.obs_lat[picked],
        obs_lon=positions.obs_lon[picked],
        count=count[picked].astype(np.int64),
        keys=[chosen.vocab[c] for c in codes[picked].tolist()],
    )
    return MapData(total, shown, _totals(codes[placed], count[placed], chosen.vocab), points, None)


def select(conn: sqlite3.Connection, flt: IncidentFilter, tz: ZoneInfo, dimension: Dimension | None) -> Selection:
    """The incidents ``flt`` selects, whatever its area (the caller applies that to positions)."""
    column = DIMENSION_COLUMNS[dimension] if dimension else None
    flt = replace(flt, area=None)
    rest = rollup_filter(replace(flt, text=""))
    split = split_period(flt.start_utc, flt.end_utc, tz)
    cube = incident_cube_of(conn, tz) if rest is not None else None
    if cube is None or rest is None:
        return _from_sql(conn, flt, column)
    size = len(cube.days)
    if split.whole is not None:
        mask = selected(cube.days, cube.codes, cube.vocab, rest.values, *split.whole)
    else:
        mask = np.zeros(size, dtype=np.bool_)
    if fts_query(flt.text):
        matches = matching_rowids(conn, flt.text)
        words = np.zeros(size, dtype=np.bool_)
        words[matches[matches < size]] = True
        mask &= words
    vocab: list[str | None]
    codes: npt.NDArray[np.integer]
    if column is None:
        codes, vocab = np.zeros(size, dtype=np.int8), [None]
    else:
        codes, vocab = cube.codes[column], [value or None for value in cube.vocab[column]]
    chosen = Selection(mask, cube.count, codes, vocab)
    for start, end in split.edges:
        # Part days at either end of the period (a filter the filter bar never makes): from SQL.
        chosen = _union(chosen, _from_sql(conn, replace(flt, start_utc=start, end_utc=end), column))
    return chosen


def _from_sql(conn: sqlite3.Connection, flt: IncidentFilter, column: str | None) -> Selection:
    """:func:`select` for filters the in-memory arrays cannot answer (conflicts only, part days)."""
    where, params = where_clause(flt)
    value = f"coalesce({column}, '')" if column else "''"
    found = conn.execute(f"SELECT json_group_array(DISTINCT {value}) FROM incidents WHERE {where}", params)
    vocab_raw: list[str] = sorted(json.loads(found.fetchone()[0])) or [""]
    cases = " ".join(f"WHEN ? THEN {i}" for i in range(len(vocab_raw)))
    row = conn.execute(
        f"SELECT group_concat(rowid), group_concat(count), group_concat(code) FROM "
        f"(SELECT rowid, count, CASE {value} {cases} ELSE 0 END AS code FROM incidents WHERE {where} ORDER BY rowid)",
        [*vocab_raw, *params],
    ).fetchone()
    rowids = parse_ints(row[0])
    size = int(rowids.max()) + 1 if len(rowids) else 0
    mask = np.zeros(size, dtype=np.bool_)
    count = np.zeros(size, dtype=np.int64)
    codes = np.zeros(size, dtype=np.int64)
    mask[rowids], count[rowids], codes[rowids] = True, parse_ints(row[1]), parse_ints(row[2])
    return Selection(mask, count, codes, [v or None for v in vocab_raw])


def _union(a: Selection, b: Selection) -> Selection:
    """Both selections (``b``'s codes translated into ``a``'s vocabulary, extended as needed)."""
    vocab = list(a.vocab)
    for value in b.vocab:
        if value not in vocab:
            vocab.append(value)
    translate = np.array([vocab.index(v) for v in b.vocab], dtype=np.int64)
    size = max(len(a.mask), len(b.mask))
    mask = np.zeros(size, dtype=np.bool_)
    count = np.zeros(size, dtype=np.int64)
    codes = np.zeros(size, dtype=np.int64)
    mask[: len(a.mask)], count[: len(a.count)], codes[: len(a.codes)] = a.mask, a.count, a.codes
    rows = np.flatnonzero(b.mask)
    mask[rows], count[rows], codes[rows] = True, b.count[rows], translate[b.codes[rows]]
    return Selection(mask, count, codes, vocab)


def _within(lat: Floats, lon: Floats, area: Area) -> npt.NDArray[np.bool_]:
    return (lat >= area.south) & (lat <= area.north) & (lon >= area.west) & (lon <= area.east)


def _totals(codes: Ints, count: Ints, vocab: list[str | None]) -> dict[str | None, int]:
    sums = np.bincount(codes, weights=count, minlength=len(vocab)) if len(codes) else np.zeros(len(vocab))
    return {vocab[i]: int(sums[i]) for i in np.flatnonzero(sums)}


def _grid(lat: Floats, lon: Floats, view: Area, cells: tuple[int, int]) -> DensityGrid:
    rows, columns = cells
    height = max(view.north - view.south, 1e-9)
    width = max(view.east - view.west, 1e-9)
    iy = np.clip(((lat - view.south) / height * rows).astype(np.int64), 0, rows - 1)
    ix = np.clip(((lon - view.west) / width * columns).astype(np.int64), 0, columns - 1)
    counts = np.bincount(iy * columns + ix, minlength=rows * columns).reshape(rows, columns)
    return DensityGrid(view, counts.astype(np.int64))


@dataclass(frozen=True)
class MapIncident:
    """What hovering or selecting a point shows: the reference, time, type and count, and the fan."""

    incident_id: str
    ref: str
    observed_start: str
    category: str
    obs_type: str
    count: int
    count_qualifier: str
    observer: tuple[float, float] | None
    bearing_deg: float | None
    dist_min_km: float | None
    dist_max_km: float | None


def map_incident(conn: sqlite3.Connection, rowid: int) -> MapIncident | None:
    row = conn.execute(
        "SELECT incident_id, ref, observed_start, category, obs_type, count, count_qualifier, observer_lat, "
        "observer_lon, bearing_deg, dist_min_km, dist_max_km FROM incidents WHERE rowid = ?",
        (rowid,),
    ).fetchone()
    if row is None:
        return None
    observer = (float(row[7]), float(row[8])) if row[7] is not None and row[8] is not None else None
    return MapIncident(row[0], row[1], row[2], row[3], row[4], int(row[5]), row[6], observer, row[9], row[10], row[11])


def rowid_of(conn: sqlite3.Connection, incident_id: str) -> int | None:
    row = conn.execute("SELECT rowid FROM incidents WHERE incident_id = ?", (incident_id,)).fetchone()
    return int(row[0]) if row else None
