"""The map's spatial index: the incidents of a view found without looking at the rest, density grids
summed from running counts per fine cell, and the report's period read from SQL alone (issue 16)."""

from dataclasses import replace
from datetime import date

import numpy as np
import pytest
from test_map import spread  # noqa: F401 (a fixture)

from db.map.period import period_map_data
from db.map.spatial import build_index, spatial_index_of
from db.map.view import map_data
from db.records.queries import Area, IncidentFilter, day_bounds
from db.trends.positions import Positions, PositionStamp


def _positions(seed: int = 7) -> Positions:
    """20,000 incidents around Toretsk and Zaporizhzhia, a few far off (Odesa, Kyiv), some without a position."""
    rng = np.random.default_rng(seed)
    lat = np.concatenate([rng.normal(48.4, 0.3, 12_000), rng.normal(47.6, 0.2, 8_000), [46.48, 50.45, 46.5]])
    lon = np.concatenate([rng.normal(37.8, 0.4, 12_000), rng.normal(35.5, 0.3, 8_000), [30.72, 30.52, 30.7]])
    lat[rng.choice(len(lat), 500, replace=False)] = np.nan
    lat, lon = lat.astype(np.float32), lon.astype(np.float32)
    nothing = np.full(len(lat), np.nan, dtype=np.float32)
    return Positions(PositionStamp("", "", 0), lat, lon, nothing, nothing)


def _inside(positions: Positions, view: Area) -> set[int]:
    lat, lon = positions.lat, positions.lon
    found = (lat >= view.south) & (lat <= view.north) & (lon >= view.west) & (lon <= view.east)
    return set(np.flatnonzero(found).tolist())


@pytest.mark.parametrize(
    "view",
    [
        Area(48.38, 37.66, 48.44, 37.74),  # one observation post
        Area(48.2, 37.4, 48.7, 38.2),  # Toretsk and around
        Area(46.0, 30.0, 47.0, 31.0),  # only Odesa: off the lattice
        Area(44.0, 22.0, 52.0, 40.0),  # everything
        Area(40.0, 10.0, 41.0, 11.0),  # nothing
    ],
)
def test_the_fine_cells_of_a_view_hold_every_incident_in_it(view: Area) -> None:
    positions = _positions()
    index = build_index(positions)
    assert len(index.outside) >= 3  # the far-off few are kept apart, not stretched over
    assert len(index.order) + len(index.outside) == int(np.count_nonzero(positions.lat == positions.lat))
    candidates = set(index.candidates(view).tolist())
    assert _inside(positions, view) <= candidates
    if view.north - view.south < 1:
        assert len(candidates) < len(index.order) // 2  # a small view reads a small part


def test_a_grid_summed_from_fine_cells_counts_what_binning_counts() -> None:
    positions = _positions()
    index = build_index(positions)
    lattice = index.lattice
    rng = np.random.default_rng(3)
    placed = (positions.lat == positions.lat) & (rng.random(len(positions.lat)) < 0.6)  # a filter's choice
    sums = index.sums(placed)
    # A view whose cells are three fine cells each way, starting on a fine edge: no snapping at all.
    r0 = int((48.4 - lattice.south) / lattice.dlat) - 45  # around Toretsk
    c0 = int((37.8 - lattice.west) / lattice.dlon) - 75
    view = Area(
        lattice.south + r0 * lattice.dlat,
        lattice.west + c0 * lattice.dlon,
        lattice.south + (r0 + 3 * 30) * lattice.dlat,
        lattice.west + (c0 + 3 * 50) * lattice.dlon,
    )
    assert lattice.fits(view, (30, 50)) and not lattice.fits(view, (31, 50))
    grid = sums.grid(view, (30, 50))
    cell, on_lattice = lattice.cells_of(positions.lat[placed], positions.lon[placed])
    fine_row, fine_column = cell[on_lattice] // lattice.columns, cell[on_lattice] % lattice.columns
    on = (fine_row >= r0) & (fine_row < r0 + 90) & (fine_column >= c0) & (fine_column < c0 + 150)
    rows, columns = (fine_row[on] - r0) // 3, (fine_column[on] - c0) // 3
    expected = np.zeros((30, 50), dtype=np.int64)
    np.add.at(expected, (rows, columns), 1)
    assert grid.sum() > 500 and np.array_equal(grid, expected)


def test_the_grid_from_the_index_equals_the_grid_binned_one_by_one(store, spread) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    whole = Area(44.0, 30.0, 52.0, 40.0)
    one_by_one = map_data(store.conn, IncidentFilter(), store.tz, whole, max_points=3, cells=(8, 10))
    from_index = map_data(store.conn, IncidentFilter(), store.tz, whole, max_points=1, cells=(8, 10))
    assert one_by_one.grid is not None and from_index.grid is not None
    assert np.array_equal(one_by_one.grid.counts, from_index.grid.counts)
    assert from_index.in_view == from_index.placed == 6 and from_index.grid.counts[4, 7] == 4


@pytest.mark.parametrize("dimension", [None, "category", "sector"])
def test_a_period_read_from_sql_draws_what_the_in_memory_copies_draw(store, spread, dimension) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    flt = IncidentFilter(*day_bounds(date(2026, 5, 11), date(2026, 5, 31), store.tz))
    for view, most in ((Area(48.0, 37.0, 49.0, 38.5), 5_000), (Area(44.0, 30.0, 52.0, 40.0), 2)):
        memory = map_data(store.conn, flt, store.tz, view, dimension=dimension, max_points=most, cells=(8, 10))
        sql = period_map_data(store.conn, flt, view, dimension=dimension, max_points=most, cells=(8, 10))
        assert (sql.placed, sql.in_view, sql.totals) == (memory.placed, memory.in_view, memory.totals)
        if memory.grid is not None:
            assert sql.grid is not None and np.array_equal(sql.grid.counts, memory.grid.counts)
            continue
        assert memory.points is not None and sql.points is not None
        assert sql.points.rowids.tolist() == memory.points.rowids.tolist()
        assert sql.points.keys == memory.points.keys and sql.points.count.tolist() == memory.points.count.tolist()
        for name in ("lat", "lon", "obs_lat", "obs_lon"):
            assert np.allclose(getattr(sql.points, name), getattr(memory.points, name), equal_nan=True), name
    assert period_map_data(store.conn, IncidentFilter(text="zzz"), Area(44.0, 30.0, 52.0, 40.0)).placed == 0


def test_the_index_follows_a_save_without_sorting_again() -> None:
    before = replace(_positions(), stamp=PositionStamp("/follow-test/db", "e", 10))
    first = spatial_index_of(before)
    lat, lon = before.lat.copy(), before.lon.copy()
    moved = np.array([5, 6, 7, 100, 19_999], dtype=np.int64)
    lat[moved] = np.array([48.41, 48.42, 46.48, np.nan, 47.6], dtype=np.float32)  # one far off, one loses its place
    lon[moved] = np.array([37.71, 37.72, 30.72, np.nan, 35.5], dtype=np.float32)
    lat, lon = np.append(lat, np.float32(48.43)), np.append(lon, np.float32(37.73))  # and a new incident
    changed = np.append(moved, len(lat) - 1)
    after = Positions(
        PositionStamp("/follow-test/db", "e", 12), lat, lon, lat, lon, since=before.stamp, changed=changed
    )
    followed = spatial_index_of(after)
    assert followed.lattice == first.lattice and followed.stamp == after.stamp
    # Every rowid with a position is in the run of its own cell, or kept apart if off the lattice.
    rowids = np.flatnonzero(lat == lat)
    cell, on = followed.lattice.cells_of(lat[rowids], lon[rowids])
    assert sorted(followed.outside.tolist()) == rowids[~on].tolist()
    assert len(followed.order) == int(on.sum())
    run_of = np.searchsorted(followed.starts, np.arange(len(followed.order)), side="right") - 1
    where = dict(zip(followed.order.tolist(), run_of.tolist(), strict=True))
    assert all(where[r] == c for r, c in zip(rowids[on].tolist(), cell[on].tolist(), strict=True))
    post = Area(48.40, 37.70, 48.44, 37.74)
    assert {5, 6, len(lat) - 1} <= set(followed.candidates(post).tolist())
