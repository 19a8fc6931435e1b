"""Where the incidents lie, as a lattice of fine cells: what makes the map's cost follow the cells drawn.

Without it every pan and zoom compares a million positions with the view, and a density grid bins
every incident in view, so both cost what the incidents count. Here the incidents that have a
position are sorted once by a ``FINE`` × ``FINE`` lattice laid over them (``order``, with the start
of each cell's run in ``starts``: 8 MB for a million incidents). Then:

* a filter's incidents are counted once, as a running count cell by cell (:class:`CellSums`,
  4 MB); a fine row's count between two columns is then a difference, so a density grid costs a
  look-up per fine row and grid column, whatever the count, at every pan and zoom;
* the incidents of a small view are the runs of the fine cells it covers, read without looking at
  the rest (:meth:`SpatialIndex.candidates`).

The lattice covers where nearly all incidents are (all but the outermost half percent each way),
so that a few far-off positions do not make every cell large; those few are kept apart
(``outside``) and always looked at one by one.

A grid from the running counts is exact to a fine cell (its edges snap to the lattice), which is why it is
used only when a drawn cell spans several fine cells (``MIN_FINE_PER_CELL``); closer in, the few
incidents in view are binned one by one.

Why in memory rather than a rollup table kept by the projection: a filter combines the period
with six coded columns, free text and conflicts, so a table of counts per cell and day would answer
only part of them and cost every save a write; the filter's selection is a mask over rowids
anyway (:mod:`db.trends.incident_cube`), and one pass over it per filter change (10–20 ms) builds
the running counts the pans then read.
"""

import math
from dataclasses import dataclass
from threading import Lock

import numpy as np
import numpy.typing as npt

from db.records.queries import Area
from db.trends.positions import Floats, Positions, PositionStamp

CELLS = 1 << 20
"""Fine cells in all (4 MB of run starts): at the whole theatre a few hundred metres, a tenth of a drawn cell."""
MIN_FINE_PER_CELL = 3
"""A drawn cell must span this many fine cells each way for its count to come from the running counts
(its edges snap to fine cells: at most a sixth of a drawn cell off)."""
OUTER_PERCENT = 0.5
"""Positions beyond this percentile at either end of either axis are kept apart, not stretched over."""

Ints = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Lattice:
    """``rows`` × ``columns`` fine cells from (``south``, ``west``), each ``dlat`` × ``dlon`` degrees (row 0 south)."""

    south: float
    west: float
    dlat: float
    dlon: float
    rows: int
    columns: int

    def row_span(self, south: float, north: float) -> tuple[int, int]:
        """First and last fine row that ``south``..``north`` touches, with a row to spare each side (clipped),
        so that rounding never leaves out a position on an edge."""
        return _index(south, self.south, self.dlat, self.rows, -1), _index(north, self.south, self.dlat, self.rows, 1)

    def column_span(self, west: float, east: float) -> tuple[int, int]:
        return _index(west, self.west, self.dlon, self.columns, -1), _index(east, self.west, self.dlon, self.columns, 1)

    def fits(self, view: Area, cells: tuple[int, int]) -> bool:
        """Whether each of ``cells`` (rows, columns) over ``view`` spans enough fine cells to count it from sums."""
        rows, columns = cells
        least = MIN_FINE_PER_CELL * (1 - 1e-9)  # a view of exactly that many is not refused for a rounding
        tall = (view.north - view.south) / rows >= least * self.dlat
        return tall and (view.east - view.west) / columns >= least * self.dlon

    def cells_of(self, lat: Floats, lon: Floats) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.bool_]]:
        """Each position's fine cell (row-major), and whether it lies on the lattice at all."""
        y = (lat - np.float32(self.south)) / np.float32(self.dlat)
        x = (lon - np.float32(self.west)) / np.float32(self.dlon)
        on = (y >= 0) & (y < self.rows) & (x >= 0) & (x < self.columns)
        iy = np.clip(y, 0, self.rows - 1).astype(np.int32)
        ix = np.clip(x, 0, self.columns - 1).astype(np.int32)
        iy *= self.columns
        iy += ix
        return iy, on


def _index(value: float, origin: float, step: float, size: int, spare: int) -> int:
    return min(max(int(np.floor((value - origin) / step)) + spare, 0), size - 1)


def _edges(low: float, high: float, parts: int, origin: float, step: float, size: int) -> Ints:
    """The fine edge (0..size) nearest to each of ``parts`` + 1 even steps from ``low`` to ``high``."""
    bounds = np.linspace(low, high, parts + 1)
    return np.clip(np.rint((bounds - origin) / step), 0, size).astype(np.int64)


@dataclass(frozen=True)
class SpatialIndex:
    """Rowids on the lattice sorted by fine cell (``starts[c]``: where cell ``c``'s run begins), and the rest."""

    stamp: PositionStamp
    lattice: Lattice
    order: npt.NDArray[np.int32]
    starts: npt.NDArray[np.int32]
    outside: npt.NDArray[np.int32]

    @property
    def size(self) -> int:
        return len(self.order) + len(self.outside)

    def runs(self, view: Area) -> list[tuple[int, int]]:
        """The slices of ``order`` holding the fine cells ``view`` touches (and one beyond), one per fine row."""
        lattice = self.lattice
        r0, r1 = lattice.row_span(view.south, view.north)
        c0, c1 = lattice.column_span(view.west, view.east)
        if view.north < lattice.south or view.east < lattice.west:
            return []
        rows = np.arange(r0, r1 + 1) * lattice.columns
        firsts, lasts = self.starts[rows + c0].tolist(), self.starts[rows + c1 + 1].tolist()
        return [(a, b) for a, b in zip(firsts, lasts, strict=True) if b > a]

    def candidates(self, view: Area) -> npt.NDArray[np.int32]:
        """Rowids that may lie in ``view``: those in the fine cells it touches, and those off the lattice."""
        return np.concatenate([*(self.order[a:b] for a, b in self.runs(view)), self.outside])

    def sums(self, placed: npt.NDArray[np.bool_]) -> "CellSums":
        """The running count, cell by cell, of the incidents on the lattice that ``placed`` marks (a mask by rowid).

        One pass over the sorted rowids (a gather, a running sum, a gather at the cells' starts): 10–20 ms
        of CPU for a million, paid once per filter."""
        running = np.zeros(len(self.order) + 1, dtype=np.int32)
        np.cumsum(np.take(placed, self.order), out=running[1:])  # take: a third faster than [] on int32
        return CellSums(self.lattice, np.take(running, self.starts))


@dataclass(frozen=True)
class CellSums:
    """A filter's incidents on the lattice: ``before[c]`` counts those in fine cells before ``c`` (row-major)."""

    lattice: Lattice
    before: npt.NDArray[np.int32]

    def grid(self, view: Area, cells: tuple[int, int]) -> Ints:
        """Counts per cell of a ``rows`` × ``columns`` grid over ``view`` (row 0 south), edges snapped to fine cells.

        Each fine row under the grid gives its count between two column edges by a difference, and the
        fine rows are summed per grid row: fine rows × grid columns look-ups, whatever the count."""
        rows, columns = cells
        lat = self.lattice
        ys = _edges(view.south, view.north, rows, lat.south, lat.dlat, lat.rows)
        xs = _edges(view.west, view.east, columns, lat.west, lat.dlon, lat.columns)
        fine_rows = np.arange(ys[0], ys[-1], dtype=np.int64)[:, None] * lat.columns
        at_edges = self.before[fine_rows + xs[None, :]].astype(np.int64)
        per_fine_row = np.diff(at_edges, axis=1)  # (fine rows, grid columns)
        running = np.zeros((len(fine_rows) + 1, columns), dtype=np.int64)
        np.cumsum(per_fine_row, axis=0, out=running[1:])
        return running[ys[1:] - ys[0]] - running[ys[:-1] - ys[0]]


_indexes: dict[str, SpatialIndex] = {}
_lock = Lock()


def spatial_index_of(positions: Positions) -> SpatialIndex:
    """The index of ``positions`` (built once per state of the positions, kept per database file)."""
    with _lock:
        index = _indexes.get(positions.stamp.path)
        if index is not None and index.stamp != positions.stamp and index.stamp == positions.since:
            index = _followed(index, positions)
        if index is None or index.stamp != positions.stamp:
            index = build_index(positions)
            if positions.stamp.path:
                _indexes[positions.stamp.path] = index
    return index


def build_index(positions: Positions) -> SpatialIndex:
    """Sort the rowids with a position by fine cell (a few tenths of a second for a million).

    What is kept is allocated before what is thrown away: the C allocator can then give the
    scratch arrays back to the system when they are freed, instead of holding them below the kept ones."""
    has_position = positions.lat == positions.lat  # NaN: no position
    kept = np.empty(int(np.count_nonzero(has_position)), dtype=np.int32)
    starts = np.zeros(CELLS + 1, dtype=np.int32)
    rowids = np.flatnonzero(has_position).astype(np.int32)
    del has_position
    lat, lon = positions.lat[rowids], positions.lon[rowids]
    lattice = _lattice_over(lat, lon)
    cell, on = lattice.cells_of(lat, lon)
    del lat, lon
    outside = rowids[~on].copy() if not on.all() else np.zeros(0, dtype=np.int32)
    if len(outside):
        rowids, cell = rowids[on], cell[on]
    cells = lattice.rows * lattice.columns
    np.cumsum(np.bincount(cell, minlength=cells), out=starts[1 : cells + 1])
    order = kept[: len(rowids)]
    np.take(rowids, np.argsort(cell, kind="stable"), out=order)
    return SpatialIndex(positions.stamp, lattice, order, starts[: cells + 1], outside)


def _followed(index: SpatialIndex, positions: Positions) -> SpatialIndex:
    """``index`` with the incidents ``positions`` read again moved to their cells (a save, a merge).

    A few passes over the sorted rowids (some 30 ms for a million), where sorting them again takes
    a third of a second: the map stays quick after each save. The lattice stays; a new position beyond it joins
    the few kept apart, and a database that has grown well beyond it is indexed afresh."""
    changed = positions.changed
    lattice = index.lattice
    cells = lattice.rows * lattice.columns
    moved = np.zeros(max(len(positions.lat), int(changed.max()) + 1 if len(changed) else 0), dtype=np.bool_)
    moved[changed] = True
    stays = ~moved[index.order]
    left = np.flatnonzero(~stays)  # where the moved ones were in ``order``, hence their old cells
    counts = np.diff(index.starts)
    counts -= np.bincount(np.searchsorted(index.starts, left, side="right") - 1, minlength=cells).astype(np.int32)
    order = index.order[stays]
    outside = index.outside[~moved[index.outside]]
    placed = changed[positions.lat[changed] == positions.lat[changed]]  # NaN: no position now
    cell, on = lattice.cells_of(positions.lat[placed], positions.lon[placed])
    outside = np.concatenate([outside, placed[~on].astype(np.int32)])
    by_cell = np.argsort(cell[on], kind="stable")  # two inserted at one place keep their cells' order
    arriving, cell = placed[on][by_cell].astype(np.int32), cell[on][by_cell]
    ends = np.zeros(cells + 1, dtype=np.int64)
    np.cumsum(counts, out=ends[1:])
    order = np.insert(order, ends[cell + 1], arriving)  # at the end of each one's new cell
    counts += np.bincount(cell, minlength=cells).astype(np.int32)
    starts = np.zeros(cells + 1, dtype=np.int32)
    np.cumsum(counts, out=starts[1:])
    followed = SpatialIndex(positions.stamp, lattice, order, starts, outside)
    return followed if len(outside) * 20 < followed.size else build_index(positions)


def _lattice_over(lat: Floats, lon: Floats) -> Lattice:
    """Fine cells about as tall as wide on the ground, over all but the outermost positions."""
    if len(lat) == 0:
        return Lattice(0.0, 0.0, 1.0, 1.0, 1, 1)
    cut = OUTER_PERCENT if len(lat) >= 10_000 else 0.0  # a small database: every position on the lattice
    south, north = (float(v) for v in np.percentile(lat, [cut, 100 - cut]))
    west, east = (float(v) for v in np.percentile(lon, [cut, 100 - cut]))
    # A little beyond the extreme positions, so that they fall inside the last cell, never on its edge.
    height = max(north - south, 1e-4) * 1.0001
    width = max(east - west, 1e-4) * 1.0001
    ground = width * max(math.cos(math.radians((south + north) / 2)), 0.01)  # a degree east is shorter
    rows = min(max(round(math.sqrt(CELLS * height / ground)), 1), CELLS)
    columns = max(CELLS // rows, 1)
    return Lattice(south, west, height / rows, width / columns, rows, columns)
