"""The map's storage side: the spatial filter, what lies in view, settlements and the drawn theatre."""

import math
from datetime import date

import numpy as np
import pytest
from support import save, valid_raw

from db.csv_io.export import export_csv
from db.map.settlements import Settlement, labelled, settlements_near
from db.map.shapes import fan_outline, nice_scale_km, theatre_bounds, theatre_shapes
from db.map.view import map_data, map_incident, rowid_of
from db.model.validation import validate_incident
from db.records.incidents import amend_incident, record_incidents
from db.records.queries import Area, IncidentFilter, count_incidents, day_bounds, list_incidents, where_clause
from db.trends.summary import period_summary
from db.trends.timeline import timeline

# (event lat, event lon or None for "observer only", category, count)
SPOTS = [
    (48.42, 37.80, "fire", 12),
    (48.45, 37.85, "fire", 3),
    (48.60, 37.95, "uav_activity", 1),
    (47.30, 35.10, "fire", 7),
    (None, None, "military_presence", 2),  # the observer's position (48.40, 37.70) is its map position
    (46.70, 32.80, "mine_or_uxo", 1),
]


@pytest.fixture
def spread(store, writer):  # type: ignore[no-untyped-def]
    incidents = []
    for n, (lat, lon, category, count) in enumerate(SPOTS):
        raw = valid_raw(
            observed_start=f"2026-05-{10 + n:02d}T09:00:00Z",
            observed_end=None,
            event_lat=lat,
            event_lon=lon,
            category=category,
            obs_type="explosion" if category == "fire" else "none",
            explosion_kind="impact" if category == "fire" else None,
            count=count,
            zone_id=None,
            sector_id=None,
        )
        if lat is None:
            raw.update(bearing_deg=None, dist_min_km=None, dist_max_km=None)
        incidents.append(validate_incident(raw, theatre=store.theatre))
    record_incidents(store.conn, writer, incidents, store.calendar)
    return incidents


def _by_coordinates(store, area: Area) -> int:  # type: ignore[no-untyped-def]
    """The same question asked of the coordinates directly, as a reviewer would check it."""
    n = 0
    for lat, lon, elat, elon in store.conn.execute(
        "SELECT observer_lat, observer_lon, event_lat, event_lon FROM incidents"
    ):
        y, x = (elat, elon) if elat is not None else (lat, lon)
        n += y is not None and area.south <= y <= area.north and area.west <= x <= area.east
    return n


@pytest.mark.parametrize(
    "area",
    [
        Area(48.0, 37.0, 49.0, 38.5),  # the Toretsk cluster and the observer-only incident
        Area(48.41, 37.79, 48.46, 37.86),  # two events, not their observer
        Area(48.39, 37.69, 48.41, 37.71),  # only where an observer stood without an event position
        Area(44.0, 30.0, 52.0, 40.0),  # everything
        Area(50.0, 30.0, 51.0, 31.0),  # nothing
    ],
)
def test_an_area_filter_equals_a_query_by_coordinates(store, spread, area) -> None:  # type: ignore[no-untyped-def]
    flt = IncidentFilter(area=area)
    expected = _by_coordinates(store, area)
    assert count_incidents(store.conn, flt) == expected
    assert len(list_incidents(store.conn, flt, limit=100)) == expected
    assert map_data(store.conn, flt, store.tz, area).placed == expected


def test_csv_trends_and_the_summary_follow_the_area(store, spread, tmp_path) -> None:  # type: ignore[no-untyped-def]
    area = Area(48.0, 37.0, 49.0, 38.5)
    flt = IncidentFilter(area=area)
    result = export_csv(store.conn, flt, tmp_path / "area.csv", tz=store.tz)
    assert result.rows == 4
    line = timeline(store.conn, flt, tz=store.tz, cutoff=store.calendar.cutoff, dimension="category")
    assert line.total("fire") == 15 and line.total("uav_activity") == 1 and line.total("mine_or_uxo") == 0
    summary = period_summary(store.conn, flt, date(2026, 5, 10), date(2026, 5, 20), tz=store.tz)
    everywhere = period_summary(store.conn, IncidentFilter(), date(2026, 5, 10), date(2026, 5, 20), tz=store.tz)
    assert summary.current.violations == 15 < everywhere.current.violations == 22


@pytest.mark.parametrize(
    "bad", [(49.0, 37.0, 48.0, 38.0), (48.0, 38.0, 49.0, 37.0), (95.0, 37.0, 96.0, 38.0), (float("nan"), 0, 1, 1)]
)
def test_an_impossible_area_is_refused(bad) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="area"):
        Area(*bad)


def test_points_in_view_are_the_filtered_incidents_in_view(store, spread) -> None:  # type: ignore[no-untyped-def]
    view = Area(48.0, 37.0, 49.0, 38.5)
    data = map_data(store.conn, IncidentFilter(categories=("fire",)), store.tz, view, dimension="category")
    assert data.placed == 3 and data.in_view == 2 and data.grid is None
    assert data.points is not None
    assert sorted(data.points.count.tolist()) == [3, 12]
    assert data.points.keys == ["fire", "fire"]
    assert data.totals == {"fire": 22}
    # Both have an observer apart from the event: the joining line's end is the observer.
    assert np.allclose(data.points.obs_lat, 48.40) and np.allclose(data.points.obs_lon, 37.70)
    start, end = day_bounds(date(2026, 5, 11), date(2026, 5, 31), store.tz)
    later = map_data(store.conn, IncidentFilter(start_utc=start, end_utc=end), store.tz, view)
    assert later.placed == 5 and later.in_view == 3


def test_a_crowded_view_becomes_a_grid_and_points_return_on_zooming_in(store, spread) -> None:  # type: ignore[no-untyped-def]
    whole = Area(44.0, 30.0, 52.0, 40.0)
    data = map_data(store.conn, IncidentFilter(), store.tz, whole, max_points=3, cells=(8, 10))
    assert data.points is None and data.grid is not None
    assert data.grid.counts.shape == (8, 10)
    assert int(data.grid.counts.sum()) == data.in_view == 6
    # One-degree cells: the one holding Toretsk (48–49°N, row 4 from the south; 37–38°E, column 7) holds four.
    assert data.grid.counts[4, 7] == 4
    zoomed = map_data(store.conn, IncidentFilter(), store.tz, Area(48.41, 37.75, 48.7, 38.0), max_points=3)
    assert zoomed.grid is None and zoomed.points is not None and len(zoomed.points.rowids) == 3


def test_positions_follow_an_amendment_that_only_moves_the_event(store, writer) -> None:  # type: ignore[no-untyped-def]
    saved = save(store, writer)
    view = Area(48.0, 37.0, 49.0, 38.5)
    before = map_data(store.conn, IncidentFilter(), store.tz, view)
    assert before.points is not None and before.points.lat[0] == pytest.approx(48.42)
    moved = validate_incident(valid_raw(event_lat=48.43, event_lon=37.81), theatre=store.theatre)
    amend_incident(store.conn, writer, saved.incident_id, moved, "event position refined", store.calendar)
    after = map_data(store.conn, IncidentFilter(), store.tz, view)
    assert after.points is not None and after.points.lat[0] == pytest.approx(48.43)
    assert after.points.lon[0] == pytest.approx(37.81)


def test_text_and_conflict_filters_select_like_the_table(store, spread, writer) -> None:  # type: ignore[no-untyped-def]
    view = Area(44.0, 30.0, 52.0, 40.0)
    for flt in (IncidentFilter(text="impacts"), IncidentFilter(conflicts_only=True), IncidentFilter(text="zzz")):
        assert map_data(store.conn, flt, store.tz, view).placed == count_incidents(store.conn, flt)


def test_the_hover_record_and_rowid_lookups(store, writer) -> None:  # type: ignore[no-untyped-def]
    saved = save(store, writer)
    rowid = rowid_of(store.conn, saved.incident_id)
    assert rowid is not None
    incident = map_incident(store.conn, rowid)
    assert incident is not None
    assert (incident.ref, incident.count, incident.category) == (saved.ref, 12, "fire")
    assert incident.observer == (48.40, 37.70) and incident.bearing_deg == 70
    assert map_incident(store.conn, rowid + 1000) is None and rowid_of(store.conn, "nope") is None


def test_the_theatre_shapes_match_the_theatre(store) -> None:  # type: ignore[no-untyped-def]
    shapes = theatre_shapes(store.theatre)
    zones = [s.feature_id for s in shapes if s.kind == "zone"]
    sectors = [s.feature_id for s in shapes if s.kind == "dmz_sector"]
    assert zones == [z.zone_id for z in store.theatre.zones]
    assert sectors == [s.sector_id for s in store.theatre.sectors]
    assert [s.kind for s in shapes].count("contact_line") == 1
    for shape in shapes:
        if shape.kind != "contact_line":  # a label stands inside its own area
            assert (
                store.theatre.assign(shape.label_at[1], shape.label_at[0]).__getattribute__(
                    "zone_id" if shape.kind == "zone" else "sector_id"
                )
                == shape.feature_id
            )
    west, south, east, north = theatre_bounds(store.theatre)
    assert 20 < west < east < 45 and 43 < south < north < 54


def test_settlements_come_from_geonames_largest_first_and_are_cached(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bounds = (37.0, 48.0, 38.5, 49.0)
    places = settlements_near(bounds, tmp_path)
    names = [p.name for p in places]
    assert {"Kramatorsk", "Slovyansk", "Bakhmut", "Donetsk"} <= set(names)
    assert "Kyivskyi" not in names  # a district of Donetsk, not a place of its own
    assert len(places) > 100  # villages too: GeoNames' places of 500 people or more
    assert [p.population for p in places] == sorted((p.population for p in places), reverse=True)
    assert all(47.5 <= p.lat <= 49.5 and 36.5 <= p.lon <= 39.0 for p in places)
    assert (tmp_path / "settlements.json").exists()
    assert settlements_near(bounds, tmp_path) == places


def test_a_damaged_cache_is_only_ignored(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "settlements.json").write_text("{not json", encoding="utf-8")
    bounds = (37.5, 48.5, 37.7, 48.7)
    assert settlements_near(bounds, tmp_path)


def test_labels_never_overlap_and_zooming_in_names_more_places() -> None:
    places = [Settlement(f"Town{n}", 48.0 + (n % 10) * 0.01, 37.0 + (n // 10) * 0.01, 10_000 - n) for n in range(100)]
    view = (36.99, 47.99, 37.1, 48.1)
    wide = labelled(places, view, px_per_lon=300, px_per_lat=300)
    close = labelled(places, view, px_per_lon=6000, px_per_lat=6000)
    assert wide[0].name == "Town0" and 0 < len(wide) < len(close)
    assert len(labelled(places, view, px_per_lon=6000, px_per_lat=6000, limit=5)) == 5


def test_the_bearing_fan_spans_the_distance_range() -> None:
    outline = fan_outline(48.4, 37.7, 70, 3, 5.5)
    km = [
        math.hypot((lon - 37.7) * 111.32 * math.cos(math.radians(48.4)), (lat - 48.4) * 111.32) for lon, lat in outline
    ]
    assert min(km) == pytest.approx(3, abs=0.01) and max(km) == pytest.approx(5.5, abs=0.01)
    assert outline[0] == outline[-1]
    middle = outline[8]  # the far arc's middle point lies on the bearing
    assert math.degrees(math.atan2((middle[0] - 37.7) * math.cos(math.radians(48.4)), middle[1] - 48.4)) == (
        pytest.approx(70, abs=0.5)
    )


@pytest.mark.parametrize(("width", "bar"), [(1000, 200), (73, 10), (9, 1), (0.4, 0.05)])
def test_the_scale_bar_is_a_round_length(width, bar) -> None:  # type: ignore[no-untyped-def]
    assert nice_scale_km(width) == pytest.approx(bar)


def test_trends_with_an_area_and_a_word_count_what_sql_counts(store, spread) -> None:  # type: ignore[no-untyped-def]
    area = Area(48.0, 37.0, 49.0, 38.5)
    for flt in (
        IncidentFilter(area=area),
        IncidentFilter(area=area, text="impacts"),
        IncidentFilter(area=area, text="zz"),
    ):
        line = timeline(store.conn, flt, tz=store.tz, cutoff=store.calendar.cutoff, dimension="category")
        where, params = where_clause(flt)
        expected = dict(
            store.conn.execute(
                f"SELECT category, sum(count) FROM incidents WHERE {where} GROUP BY 1", params
            ).fetchall()
        )
        assert {key: sum(values) for key, values in line.series.items()} == expected


def test_settlements_are_read_the_slow_way_when_the_package_changes_its_layout(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import re

    from db.map import settlements

    bounds = (37.5, 48.5, 37.9, 48.8)
    fast = settlements._from_package(bounds)
    monkeypatch.setattr(settlements, "_RECORD", re.compile("a layout no file has"))
    assert settlements._from_package(bounds) == fast and fast
