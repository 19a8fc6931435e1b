"""What the map shows for a filter and a view: points when few enough, else counts per grid cell.

The filter's incidents come from :mod:`db.map.selection` (masks by rowid over the in-memory
columns), their positions from :mod:`db.trends.positions`, and where they lie from
:mod:`db.map.spatial`. What depends only on the filter (the mask of incidents placed on the map, the
legend's totals, the running count of incidents per fine cell) is computed once per filter and
kept, so that a pan or zoom costs what the view holds: a density grid is a look-up per cell drawn,
points are read from the fine cells in view. A view with more than ``max_points`` incidents in it
is returned as a density grid, whose size is the caller's number of cells.

A process that has not loaded the in-memory copies (``truceline report`` drawing one period) asks
:func:`db.map.period.period_map_data` instead.
"""

from dataclasses import dataclass, field
from threading import Lock
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from db.core.sql_driver import sqlite3
from db.map.selection import Selection, select
from db.map.spatial import CellSums, SpatialIndex, spatial_index_of
from db.records.queries import MAP_LAT, MAP_LON, Area, IncidentFilter
from db.trends.column_sums import stamp_of
from db.trends.positions import Floats, Positions, positions_of
from db.trends.timeline import Dimension

MAX_POINTS = 5_000
"""More incidents than this in view are shown as a density grid: beyond it, points only hide each other."""

Ints = npt.NDArray[np.int64]


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


@dataclass
class _Placed:
    """What one filter places on the map, by rowid over the positions' length; the rest on demand."""

    key: tuple[object, ...]
    chosen: Selection
    mask: npt.NDArray[np.bool_]
    total: int
    _totals: dict[str | None, int] | None = None
    _sums: CellSums | None = field(default=None, repr=False)

    def totals(self) -> dict[str | None, int]:
        if self._totals is None:
            n = min(len(self.mask), len(self.chosen.count))
            mask = self.mask[:n]
            self._totals = totals_by_key(self.chosen.codes[:n][mask], self.chosen.count[:n][mask], self.chosen.vocab)
        return self._totals

    def sums(self, index: SpatialIndex) -> CellSums:
        if self._sums is None:
            self._sums = index.sums(self.mask)
        return self._sums


_last: dict[str, _Placed] = {}
_lock = Lock()


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
    positions = positions_of(conn)
    index = spatial_index_of(positions)
    with _lock:
        placed = _placed(conn, flt, tz, dimension, positions)
        sums = placed.sums(index) if placed.total > max_points and index.lattice.fits(view, cells) else None
    lat, lon = positions.lat, positions.lon
    if sums is not None:
        counts = sums.grid(view, cells)
        apart = index.outside[placed.mask[index.outside]]  # the few far-off positions, binned one by one
        apart = apart[within(lat[apart], lon[apart], view)]
        counts += density_grid(lat[apart], lon[apart], view, cells).counts
        estimate = int(counts.sum())
        if estimate > 2 * max_points:  # a grid whichever way the fine cells at its edges fall
            return MapData(placed.total, estimate, {}, None, DensityGrid(view, counts))
    picked = _in_view(index, positions, placed.mask, view)
    if len(picked) > max_points:
        return MapData(placed.total, len(picked), {}, None, density_grid(lat[picked], lon[picked], view, cells))
    chosen = placed.chosen
    points = MapPoints(
        rowids=picked,
        lat=lat[picked],
        lon=lon[picked],
        obs_lat=positions.obs_lat[picked],
        obs_lon=positions.obs_lon[picked],
        count=chosen.count[picked].astype(np.int64),
        keys=[chosen.vocab[c] for c in chosen.codes[picked].tolist()],
    )
    return MapData(placed.total, len(picked), placed.totals(), points, None)


def _placed(
    conn: sqlite3.Connection, flt: IncidentFilter, tz: ZoneInfo, dimension: Dimension | None, positions: Positions
) -> _Placed:
    """The filter's incidents that have a position (and lie in its area), kept for the next call."""
    key = (positions.stamp, stamp_of(conn), flt, dimension)
    path = positions.stamp.path
    last = _last.get(path) if path else None
    if last is not None and last.key == key:
        return last
    chosen = select(conn, flt, tz, dimension)
    lat, lon = positions.lat, positions.lon
    n = min(len(chosen.mask), len(lat))
    mask = np.zeros(len(lat), dtype=np.bool_)
    mask[:n] = chosen.mask[:n]
    mask &= lat == lat  # NaN: no position
    if flt.area is not None:
        mask &= within(lat, lon, flt.area)
    placed = _Placed(key, chosen, mask, int(np.count_nonzero(mask)))
    if path:
        _last[path] = placed
    return placed


def _in_view(index: SpatialIndex, positions: Positions, mask: npt.NDArray[np.bool_], view: Area) -> Ints:
    """Rowids (ascending) that ``mask`` marks and whose position lies in ``view``.

    A view over much of the theatre compares every position; a smaller one only those in the fine
    cells it touches."""
    lat, lon = positions.lat, positions.lon
    runs = index.runs(view)
    if sum(b - a for a, b in runs) > index.size // 4:
        return np.flatnonzero(mask & within(lat, lon, view)).astype(np.int64)
    rowids = np.concatenate([*(index.order[a:b] for a, b in runs), index.outside])
    rowids = rowids[mask[rowids]]
    rowids = rowids[within(lat[rowids], lon[rowids], view)]
    return np.sort(rowids).astype(np.int64)


def within(lat: Floats, lon: Floats, area: Area) -> npt.NDArray[np.bool_]:
    return (lat >= area.south) & (lat <= area.north) & (lon >= area.west) & (lon <= area.east)


def totals_by_key(
    codes: npt.NDArray[np.integer], count: npt.NDArray[np.integer], vocab: list[str | None]
) -> dict[str | None, int]:
    sums = np.bincount(codes, weights=count, minlength=len(vocab)) if len(codes) else np.zeros(len(vocab))
    return {vocab[i]: int(sums[i]) for i in np.flatnonzero(sums)}


def density_grid(lat: Floats, lon: Floats, view: Area, cells: tuple[int, int]) -> DensityGrid:
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


def position_of(conn: sqlite3.Connection, rowid: int | None) -> tuple[float, float]:
    """Latitude and longitude of the incident's map position as the map draws it (NaN: none, or no such rowid)."""
    row = conn.execute(f"SELECT {MAP_LAT}, {MAP_LON} FROM incidents WHERE rowid = ?", (rowid,)).fetchone()
    if row is None or row[0] is None or row[1] is None:
        return float("nan"), float("nan")
    return float(np.float32(row[0])), float(np.float32(row[1]))
