"""The map of one bounded period from SQL alone, for a process that has not loaded the in-memory copies.

``truceline report`` draws one month in a fresh process. Loading every incident's position and
columns (:mod:`db.map.view`'s way, right for a window that pans) reads a million rows for the
month's 100,000: 6–8 s. Here the period's incidents come through the index on their time, and
only what the picture needs: their positions for a density grid, and for points (at most
``max_points``) their observers, counts and split values, with the legend's totals from one
aggregate. Positions travel as integers of 1e-7 degree: SQLite writes integers as text several
times faster than reals, and a centimetre is finer than anything drawn.
"""

import json
from dataclasses import dataclass
from threading import Lock

import numpy as np

from db.core.sql_driver import sqlite3
from db.map.view import MAX_POINTS, Ints, MapData, MapPoints, density_grid, totals_by_key, within
from db.records.queries import MAP_LAT, MAP_LON, Area, IncidentFilter, where_clause
from db.trends.column_sums import parse_ints
from db.trends.positions import OBS_LAT, OBS_LON, Floats, PositionStamp, position_stamp
from db.trends.timeline import DIMENSION_COLUMNS, Dimension

_SCALE = 10_000_000


@dataclass(frozen=True)
class _Placed:
    """The filter's incidents with a position (rowids ascending), as of ``stamp``."""

    key: tuple[PositionStamp, IncidentFilter]
    rowids: Ints
    lat: Floats
    lon: Floats


_last: dict[str, _Placed] = {}
_lock = Lock()


def period_map_data(
    conn: sqlite3.Connection,
    flt: IncidentFilter,
    view: Area,
    *,
    dimension: Dimension | None = None,
    max_points: int = MAX_POINTS,
    cells: tuple[int, int] = (48, 64),
) -> MapData:
    """:func:`db.map.view.map_data`'s answer, from SQL: meant for a filter with a bounded period."""
    with _lock:
        placed = _placed(conn, flt)
    inside = np.flatnonzero(within(placed.lat, placed.lon, view))
    if len(inside) > max_points:
        grid = density_grid(placed.lat[inside], placed.lon[inside], view, cells)
        return MapData(len(placed.rowids), len(inside), {}, None, grid)
    rowids = placed.rowids[inside]
    column = DIMENSION_COLUMNS[dimension] if dimension else None
    value = f"coalesce({column}, '')" if column else "''"
    found = {
        row[0]: row[1:]
        for row in conn.execute(
            f"SELECT rowid, {OBS_LAT}, {OBS_LON}, count, {value} FROM incidents "
            "WHERE rowid IN (SELECT value FROM json_each(?))",
            (json.dumps(rowids.tolist()),),
        )
    }
    details = [found[r] for r in rowids.tolist()]
    nan = float("nan")
    points = MapPoints(
        rowids=rowids,
        lat=placed.lat[inside],
        lon=placed.lon[inside],
        obs_lat=np.array([nan if d[0] is None else d[0] for d in details], dtype=np.float32),
        obs_lon=np.array([nan if d[1] is None else d[1] for d in details], dtype=np.float32),
        count=np.array([d[2] for d in details], dtype=np.int64),
        keys=[d[3] or None for d in details],
    )
    return MapData(len(placed.rowids), len(inside), _totals(conn, flt, value), points, None)


def _placed(conn: sqlite3.Connection, flt: IncidentFilter) -> _Placed:
    """The filter's positions, read once per filter and state of the database (a redraw asks again)."""
    key = (position_stamp(conn), flt)
    last = _last.get(key[0].path) if key[0].path else None
    if last is not None and last.key == key:
        return last
    where, params = where_clause(flt)
    row = conn.execute(
        f"SELECT group_concat(rowid), group_concat(CAST(round({MAP_LAT} * {_SCALE}) AS INTEGER)), "
        f"group_concat(CAST(round({MAP_LON} * {_SCALE}) AS INTEGER)) FROM incidents "
        f"WHERE {where} AND {MAP_LAT} IS NOT NULL",
        params,
    ).fetchone()
    rowids = parse_ints(row[0])
    order = np.argsort(rowids, kind="stable")
    lat, lon = ((parse_ints(text)[order] / _SCALE).astype(np.float32) for text in row[1:])
    placed = _Placed(key, rowids[order], lat, lon)
    if key[0].path:
        _last[key[0].path] = placed
    return placed


def _totals(conn: sqlite3.Connection, flt: IncidentFilter, value: str) -> dict[str | None, int]:
    """Violations per split value over the whole filter, for the legend (as :func:`totals_by_key` sums them)."""
    where, params = where_clause(flt)
    rows = conn.execute(
        f"SELECT {value}, sum(count) FROM incidents WHERE {where} AND {MAP_LAT} IS NOT NULL GROUP BY 1", params
    ).fetchall()
    vocab: list[str | None] = [r[0] or None for r in rows]
    return totals_by_key(np.arange(len(rows)), np.array([r[1] for r in rows], dtype=np.int64), vocab)
