"""Where the incidents lie, as a lattice of fine cells: what makes the map's cost follow the cells drawn.

Without it every pan and zoom compares a million positions with the view, and a density grid bins
every incident in view, so both cost what the incidents count. Here the incidents that have a
position are sorted once by a ``FINE`` × ``FINE`` lattice laid over them (``order``, with the start
of each cell's run in ``starts``: 8 MB for a million incidents). Then:

* a filter's incidents are summed per fine cell once, into a summed-area table (:class:`CellSums`,
  4 MB); any rectangle's count is four look-ups, so a density grid of ``rows`` × ``columns`` cells
  costs that many look-ups whatever the count, at every pan and zoom;
* the incidents of a small view are the runs of the fine cells it covers, read without looking at
  the rest (:meth:`SpatialIndex.candidates`).

A grid from the table is exact to a fine cell (its edges snap to the lattice), which is why it is
used only when a drawn cell spans several fine cells (``MIN_FINE_PER_CELL``); closer in, the few
incidents in view are binned one by one.

Why in memory rather than a rollup table kept by the projection: a filter combines the period
with six coded columns, free text and conflicts, so a table of counts per cell and day would answer
only part of them and cost every save a write; the filter's selection is a mask over rowids
anyway (:mod:`db.trends.incident_cube`), and one pass over it per filter change (a few ms) builds
the table the pans then sum.
"""

from dataclasses import dataclass
from threading import Lock

import numpy as np
import numpy.typing as npt

from db.records.queries import Area
from db.trends.positions import Floats, Positions, PositionStamp

FINE = 1024
"""Fine cells per side: at the whole theatre a few hundred metres, smaller than the drawn cells by ten."""
MIN_FINE_PER_CELL = 4
"""A drawn cell must span this many fine cells each way for its count to come from the summed table."""

Ints = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Lattice:
    """The fine cells' origin and size in degrees (row 0 is the south, column 0 the west)."""

    south: float
    west: float
    dlat: float
    dlon: float

    def rows(self, south: float, north: float) -> tuple[int, int]:
        """First and last fine row (clipped) that ``south``..``north`` touches."""
        return self._index(south, self.south, self.dlat), self._index(north, self.south, self.dlat)

    def columns(self, west: float, east: float) -> tuple[int, int]:
        return self._index(west, self.west, self.dlon), self._index(east, self.west, self.dlon)

    @staticmethod
    def _index(value: float, origin: float, step: float) -> int:
        return min(max(int(np.floor((value - origin) / step)), 0), FINE - 1)

    def edges(self, low: float, high: float, parts: int, origin: float, step: float) -> Ints:
        """The fine edge (0..FINE) nearest to each of ``parts`` + 1 even steps from ``low`` to ``high``."""
        bounds = np.linspace(low, high, parts + 1)
        return np.clip(np.rint((bounds - origin) / step), 0, FINE).astype(np.int64)


@dataclass(frozen=True)
class SpatialIndex:
    """Rowids with a position, sorted by fine cell; ``starts[c]`` is where cell ``c``'s run begins."""

    stamp: PositionStamp
    lattice: Lattice
    order: npt.NDArray[np.int32]
    starts: npt.NDArray[np.int32]

    def runs(self, view: Area) -> list[tuple[int, int]]:
        """The slices of ``order`` holding the fine cells ``view`` touches, one per fine row."""
        r0, r1 = self.lattice.rows(view.south, view.north)
        c0, c1 = self.lattice.columns(view.west, view.east)
        firsts = self.starts[np.arange(r0, r1 + 1) * FINE + c0]
        lasts = self.starts[np.arange(r0, r1 + 1) * FINE + c1 + 1]
        return [(int(a), int(b)) for a, b in zip(firsts.tolist(), lasts.tolist(), strict=True) if b > a]

    def candidates(self, view: Area) -> npt.NDArray[np.int32]:
        """Rowids of the incidents in the fine cells ``view`` touches (a superset of those in view)."""
        runs = self.runs(view)
        if not runs:
            return np.zeros(0, dtype=np.int32)
        return np.concatenate([self.order[a:b] for a, b in runs])

    def fits(self, view: Area, cells: tuple[int, int]) -> bool:
        """Whether each of ``cells`` (rows, columns) over ``view`` spans enough fine cells to be summed from a table."""
        rows, columns = cells
        return (view.north - view.south) / rows >= MIN_FINE_PER_CELL * self.lattice.dlat and (
            view.east - view.west
        ) / columns >= MIN_FINE_PER_CELL * self.lattice.dlon

    def sums(self, placed: npt.NDArray[np.bool_]) -> "CellSums":
        """The summed-area table of the incidents ``placed`` marks (a mask by rowid)."""
        hit = np.zeros(len(self.order) + 1, dtype=np.int32)
        np.cumsum(placed[self.order], out=hit[1:])
        per_cell = (hit[self.starts[1:]] - hit[self.starts[:-1]]).reshape(FINE, FINE)
        table = np.zeros((FINE + 1, FINE + 1), dtype=np.int32)
        np.cumsum(per_cell, axis=0, out=table[1:, 1:])
        np.cumsum(table[1:, 1:], axis=1, out=table[1:, 1:])
        return CellSums(self.lattice, table)


@dataclass(frozen=True)
class CellSums:
    """Counts of a filter's incidents summed over fine cells: ``table[r, c]`` holds rows < r, columns < c."""

    lattice: Lattice
    table: npt.NDArray[np.int32]

    def grid(self, view: Area, cells: tuple[int, int]) -> Ints:
        """Counts per cell of a ``rows`` × ``columns`` grid over ``view`` (row 0 south), edges snapped to fine cells."""
        rows, columns = cells
        lat = self.lattice
        ys = lat.edges(view.south, view.north, rows, lat.south, lat.dlat)
        xs = lat.edges(view.west, view.east, columns, lat.west, lat.dlon)
        t = self.table
        corners = t[np.ix_(ys, xs)].astype(np.int64)
        return corners[1:, 1:] - corners[:-1, 1:] - corners[1:, :-1] + corners[:-1, :-1]


_indexes: dict[str, SpatialIndex] = {}
_lock = Lock()


def spatial_index_of(positions: Positions) -> SpatialIndex:
    """The index of ``positions`` (built once per state of the positions, kept per database file)."""
    with _lock:
        index = _indexes.get(positions.stamp.path)
        if index is None or index.stamp != positions.stamp:
            index = build_index(positions)
            if positions.stamp.path:
                _indexes[positions.stamp.path] = index
    return index


def build_index(positions: Positions) -> SpatialIndex:
    """Sort the rowids with a position by fine cell over the positions' own extent (about a second's tenth)."""
    rowids = np.flatnonzero(positions.lat == positions.lat)  # NaN: no position
    lat, lon = positions.lat[rowids], positions.lon[rowids]
    lattice = _lattice_over(lat, lon)
    cell = _cells(lattice, lat, lon)
    by_cell = np.argsort(cell, kind="stable")
    starts = np.zeros(FINE * FINE + 1, dtype=np.int32)
    np.cumsum(np.bincount(cell, minlength=FINE * FINE), out=starts[1:])
    return SpatialIndex(positions.stamp, lattice, rowids[by_cell].astype(np.int32), starts)


def _lattice_over(lat: Floats, lon: Floats) -> Lattice:
    if len(lat) == 0:
        return Lattice(0.0, 0.0, 1.0, 1.0)
    south, north = float(lat.min()), float(lat.max())
    west, east = float(lon.min()), float(lon.max())
    # A little beyond the extreme positions, so that they fall inside the last cell, never on its edge.
    return Lattice(south, west, max(north - south, 1e-6) * 1.000001 / FINE, max(east - west, 1e-6) * 1.000001 / FINE)


def _cells(lattice: Lattice, lat: Floats, lon: Floats) -> npt.NDArray[np.int32]:
    iy = np.clip(((lat - lattice.south) / lattice.dlat).astype(np.int32), 0, FINE - 1)
    ix = np.clip(((lon - lattice.west) / lattice.dlon).astype(np.int32), 0, FINE - 1)
    return iy * FINE + ix
