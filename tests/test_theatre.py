"""The theatre file: the default one is sound, points land where they should, bad files are refused.

Zone and sector ids end up in every incident and reference, so the default theatre must tile its
outline exactly, and a mission's own file must be refused with a message that says what to fix.
"""

import copy
import datetime
import hashlib
import json
import math
from pathlib import Path
from typing import Any

import pytest
import shapely
from shapely.geometry import shape

from db.core.errors import TheatreError
from db.core.resources import resource_path
from db.model.geo import parse_position, to_mgrs
from db.model.theatre import MAX_FILE_BYTES, Theatre, default_theatre, load_theatre, parse_theatre

DEFAULT_PATH = resource_path("theatre", "default.geojson")
TORETSK = (48.40, 37.85)  # a vertex of the default contact line


@pytest.fixture(scope="module")
def theatre() -> Theatre:
    return default_theatre()


@pytest.fixture(scope="module")
def shapes() -> dict[str, Any]:
    """The default file's geometries by id, read independently of db.model.theatre."""
    document = json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
    return {f["properties"]["id"]: shape(f["geometry"]) for f in document["features"]}


# ---------------------------------------------------------------------------------------------
# The default theatre
# ---------------------------------------------------------------------------------------------


def test_default_loads_and_says_it_is_illustrative(theatre: Theatre) -> None:
    assert theatre.name == "Illustrative post-ceasefire theatre (Ukraine)"
    assert theatre.illustrative is True
    assert "Illustrative only" in theatre.notice and "Not an official" in theatre.notice


def test_default_settings(theatre: Theatre) -> None:
    assert theatre.time_zone == "Europe/Kyiv"
    assert theatre.dmz_half_width_km == 14.5
    assert theatre.dmz_edge_km == 1.0
    assert theatre.reporting_cutoff == datetime.time(19, 30)
    assert [(d.date, d.label) for d in theatre.key_dates] == [(datetime.date(2026, 4, 1), "Ceasefire in force")]


def test_default_ids_names_and_lead_nations(theatre: Theatre) -> None:
    leads = {zone.zone_id: zone.lead_nation for zone in theatre.zones}
    assert leads == {
        "WEST": "Poland",
        "NORTH": "United Kingdom",
        "CENTRE": "Multinational",
        "SOUTH": "France",
        "EAST": "Multinational",
        "BEYOND": None,
    }
    assert [sector.sector_id for sector in theatre.sectors] == [f"DMZ-{n:02d}" for n in range(1, 11)]
    assert theatre.sectors[0].name == "DMZ sector 1 (Vovchansk)"
    assert theatre.sectors[0].name_uk == "Сектор ДМЗ 1 (Вовчанськ)"
    for name_uk in [zone.name_uk for zone in theatre.zones] + [sector.name_uk for sector in theatre.sectors]:
        assert any("\u0400" <= ch <= "\u04ff" for ch in name_uk), f"{name_uk!r} is not Ukrainian"


def test_default_is_cached_and_hashes_the_file(theatre: Theatre) -> None:
    data = DEFAULT_PATH.read_bytes()
    assert default_theatre() is theatre
    assert theatre.source_sha256 == hashlib.sha256(data).hexdigest()
    assert theatre.geojson_text == data.decode("utf-8")
    # Kept in the database as text and parsed again, it is the same theatre.
    assert parse_theatre(theatre.geojson_text, "database") == theatre


def test_default_is_small_enough_to_commit() -> None:
    assert DEFAULT_PATH.stat().st_size < 300_000


def test_default_coordinates_have_at_most_five_decimals() -> None:
    for number in _numbers(json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))["features"]):
        assert round(number, 5) == number


def _numbers(value: Any) -> list[float]:
    if isinstance(value, float):
        return [value]
    if isinstance(value, list):
        return [n for item in value for n in _numbers(item)]
    if isinstance(value, dict):
        return _numbers(value.get("geometry", {}).get("coordinates", []))
    return []


def test_zones_and_sectors_do_not_overlap(shapes: dict[str, Any], theatre: Theatre) -> None:
    for layer in ([z.zone_id for z in theatre.zones], [s.sector_id for s in theatre.sectors]):
        for i, first in enumerate(layer):
            for second in layer[i + 1 :]:
                assert shapes[first].intersection(shapes[second]).area == 0, (first, second)


def test_zones_tile_the_outline(shapes: dict[str, Any], theatre: Theatre) -> None:
    """Every point of a 0.1° grid inside the theatre is in exactly one zone, and assign agrees."""
    zone_ids = [zone.zone_id for zone in theatre.zones]
    outline = shapely.union_all([shapes[zone_id] for zone_id in zone_ids])
    assert len(shapely.get_parts(outline)) == 1 and len(outline.interiors) == 0  # one piece, no holes
    min_lon, min_lat, max_lon, max_lat = outline.bounds
    inside = 0
    for lat in _steps(min_lat, max_lat, 0.1):
        for lon in _steps(min_lon, max_lon, 0.1):
            holders = [z for z in zone_ids if shapely.contains_xy(shapes[z], lon, lat)]
            on_edge = any(shapely.intersects_xy(shapes[z].boundary, lon, lat) for z in zone_ids)
            placed = theatre.assign(lat, lon).zone_id
            if shapely.contains_xy(outline, lon, lat) and not on_edge:
                inside += 1
                assert holders == [placed], (lat, lon, holders, placed)
            elif not shapely.intersects_xy(outline, lon, lat):
                assert placed is None, (lat, lon, placed)
    assert inside > 5000


def _steps(start: float, stop: float, step: float) -> list[float]:
    return [round(start + i * step, 6) for i in range(int((stop - start) / step) + 1)]


def test_sectors_cover_the_dmz_and_nothing_else(shapes: dict[str, Any], theatre: Theatre) -> None:
    """Inside the theatre, a point nearer the line than the half-width has a sector; farther, none."""
    outline = shapely.union_all([shapes[zone.zone_id] for zone in theatre.zones])
    near, far = 0, 0
    for lat in _steps(46.2, 50.6, 0.03):
        for lon in _steps(31.8, 38.7, 0.03):
            if not shapely.contains_xy(outline, lon, lat):
                continue
            placement = theatre.assign(lat, lon)
            assert placement.distance_km is not None
            if placement.distance_km < theatre.dmz_half_width_km - 0.1:
                near += 1
                assert placement.sector_id is not None, (lat, lon, placement)
                assert placement.dmz_relation in ("inside", "edge")
            elif placement.distance_km > theatre.dmz_half_width_km + 0.1:
                far += 1
                assert placement.sector_id is None, (lat, lon, placement)
                assert placement.dmz_relation in ("outside", "edge")
    assert near > 500 and far > 5000


def test_sectors_run_north_to_south(shapes: dict[str, Any], theatre: Theatre) -> None:
    latitudes = [shapes[sector.sector_id].centroid.y for sector in theatre.sectors]
    assert latitudes[0] > 50 and latitudes[-1] < 47
    assert latitudes[0] == max(latitudes)


@pytest.mark.parametrize(
    ("lat", "lon", "zone_id"),
    [
        (50.45, 30.52, "NORTH"),  # Kyiv
        (46.48, 30.72, "SOUTH"),  # Odesa
        (49.84, 24.03, "WEST"),  # Lviv
        (48.29, 25.94, "WEST"),  # Chernivtsi
        (49.23, 28.47, "CENTRE"),  # Vinnytsia
        (48.53, 35.87, "EAST"),  # Pavlohrad
        (49.99, 36.23, "EAST"),  # Kharkiv
        (51.49, 31.29, "EAST"),  # Chernihiv, east of the Dnieper
        (48.00, 37.80, "BEYOND"),  # Donetsk
        (48.57, 39.31, "BEYOND"),  # Luhansk
        (44.95, 34.10, "BEYOND"),  # Simferopol: Crimea is in the outline
        (45.35, 28.84, "SOUTH"),  # Izmail
        (52.23, 21.01, None),  # Warsaw is outside the theatre
    ],
)
def test_known_towns(theatre: Theatre, lat: float, lon: float, zone_id: str | None) -> None:
    assert theatre.assign(lat, lon).zone_id == zone_id


def test_a_point_on_the_line_is_inside_the_dmz(theatre: Theatre) -> None:
    placement = theatre.assign(*TORETSK)
    assert placement.dmz_relation == "inside"
    assert placement.distance_km == 0.0
    assert placement.sector_id == "DMZ-04"  # "DMZ sector 4 (Toretsk)"
    assert placement.zone_id in ("EAST", "BEYOND")


def test_boundary_points_get_the_first_zone_in_file_order(theatre: Theatre) -> None:
    # Kremenchuk is a vertex of the Dnieper, the boundary between CENTRE and EAST.
    assert theatre.assign(49.07, 33.42).zone_id == "CENTRE"
    assert {theatre.assign(*TORETSK).zone_id for _ in range(10)} == {theatre.assign(*TORETSK).zone_id}


def _west_of_the_line_at(theatre: Theatre, distance_km: float) -> tuple[float, float]:
    """A point on the parallel 48.75°N, west of the line, that far from it (by bisection).

    The line crosses the parallel at about 37.99°E, between Siversk and Chasiv Yar; 37.2°E is
    more than 40 km from it, so a point at any distance in between lies on that stretch.
    """
    east, west = 37.99, 37.20
    for _ in range(60):
        middle = (east + west) / 2
        measured = theatre.assign(48.75, middle).distance_km
        assert measured is not None
        if measured < distance_km:
            east = middle
        else:
            west = middle
    return 48.75, (east + west) / 2


@pytest.mark.parametrize(
    ("distance_km", "relation"),
    [(5.0, "inside"), (13.4, "inside"), (13.6, "edge"), (14.5, "edge"), (15.4, "edge"), (15.6, "outside")],
)
def test_dmz_relation_by_distance(theatre: Theatre, distance_km: float, relation: str) -> None:
    placement = theatre.assign(*_west_of_the_line_at(theatre, distance_km))
    assert placement.distance_km == pytest.approx(distance_km, abs=0.002)
    assert placement.dmz_relation == relation
    assert placement.zone_id == "EAST"


def test_a_point_far_from_the_line_is_outside(theatre: Theatre) -> None:
    placement = theatre.assign(48.75, 37.28)  # near Kramatorsk, 45 km from the line
    assert (placement.zone_id, placement.sector_id, placement.dmz_relation) == ("EAST", None, "outside")
    assert placement.distance_km == pytest.approx(44.8, abs=0.1)


def test_distances_are_true_ground_distances(theatre: Theatre) -> None:
    # North of Vovchansk, the line's northern end, the nearest point of the line is that end:
    # 0.1° and 1° of latitude are 11.1 km and 111.2 km on the ground.
    assert theatre.assign(50.39, 36.94).distance_km == pytest.approx(11.12, abs=0.03)
    assert theatre.assign(51.29, 36.94).distance_km == pytest.approx(111.2, abs=0.3)


def test_mgrs_entry_lands_in_the_same_sector(theatre: Theatre) -> None:
    for lat, lon in (TORETSK, (48.53, 37.71), (47.60, 34.90)):
        typed = to_mgrs(lat, lon)
        spaced = f"{typed[:3]} {typed[3:5]} {typed[5:10]} {typed[10:]}"  # as printed on a map sheet
        from_mgrs = theatre.assign(*parse_position(spaced))
        direct = theatre.assign(lat, lon)
        assert from_mgrs.sector_id == direct.sector_id is not None
        assert from_mgrs.distance_km == pytest.approx(direct.distance_km, abs=0.005)


@pytest.mark.parametrize(("lat", "lon"), [(math.nan, 30.0), (30.0, math.inf), (91.0, 30.0), (0.0, -181.0)])
def test_assign_refuses_impossible_positions(theatre: Theatre, lat: float, lon: float) -> None:
    with pytest.raises(ValueError):
        theatre.assign(lat, lon)


# ---------------------------------------------------------------------------------------------
# Refusing bad files
# ---------------------------------------------------------------------------------------------


def _square(lon: float, lat: float, size: float = 1.0) -> dict[str, Any]:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def _feature(kind: str, feature_id: str, geometry: dict[str, Any], **extra: Any) -> dict[str, Any]:
    properties = {"kind": kind, "id": feature_id, "name": f"{feature_id} name", "name_uk": f"{feature_id} назва"}
    return {"type": "Feature", "properties": {**properties, **extra}, "geometry": geometry}


MINIMAL: dict[str, Any] = {
    "type": "FeatureCollection",
    "name": "Test theatre",
    "settings": {
        "time_zone": "Europe/Kyiv",
        "dmz_half_width_km": 10,
        "dmz_edge_km": 1,
        "reporting_cutoff": "18:00",
        "key_dates": [{"date": "2026-05-02", "label": "Second"}, {"date": "2026-05-01", "label": "First"}],
    },
    "features": [
        _feature("zone", "A", _square(30, 50), lead_nation="Poland"),
        _feature("zone", "B", _square(31, 50), lead_nation=None),
        _feature("dmz_sector", "S1", _square(30.9, 50, 0.2)),
        _feature("contact_line", "L", {"type": "LineString", "coordinates": [[31, 50], [31, 51]]}),
    ],
}


def _write(tmp_path: Path, content: Any, name: str = "mission.geojson") -> Path:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return path


def _refusal(tmp_path: Path, content: Any) -> str:
    path = _write(tmp_path, content)
    with pytest.raises(TheatreError) as caught:
        load_theatre(path)
    message = str(caught.value)
    assert str(path) in message, "every refusal names the file"
    return message


def _changed(change: Any) -> dict[str, Any]:
    document = copy.deepcopy(MINIMAL)
    change(document)
    return document


def test_minimal_file_loads(tmp_path: Path) -> None:
    theatre = load_theatre(_write(tmp_path, MINIMAL))
    assert [zone.zone_id for zone in theatre.zones] == ["A", "B"]
    assert theatre.illustrative is False and theatre.notice == ""
    assert [d.label for d in theatre.key_dates] == ["First", "Second"]  # sorted by date
    west_of_line = theatre.assign(50.5, 30.5)
    assert (west_of_line.zone_id, west_of_line.sector_id, west_of_line.dmz_relation) == ("A", None, "outside")
    assert west_of_line.distance_km == pytest.approx(35.4, abs=0.2)  # 0.5° of longitude at 50.5°N
    assert theatre.assign(50.1, 30.95).sector_id == "S1"


def test_byte_order_mark_and_multipolygons_are_accepted(tmp_path: Path) -> None:
    def multipolygon(document: dict[str, Any]) -> None:
        document["features"][0]["geometry"] = {
            "type": "MultiPolygon",
            "coordinates": [_square(30, 50, 0.4)["coordinates"], _square(30.5, 50, 0.5)["coordinates"]],
        }

    path = tmp_path / "bom.geojson"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(_changed(multipolygon)).encode("utf-8"))
    theatre = load_theatre(path)
    assert theatre.assign(50.5, 30.7).zone_id == "A"
    assert theatre.assign(50.5, 30.45).zone_id is None  # the gap between the two parts


def test_name_uk_defaults_to_the_name(tmp_path: Path) -> None:
    def drop(document: dict[str, Any]) -> None:
        del document["features"][0]["properties"]["name_uk"]

    assert load_theatre(_write(tmp_path, _changed(drop))).zones[0].name_uk == "A name"


def _set(path: str, value: Any) -> Any:
    """A change that sets (or, for ``...``, deletes) one member, addressed like "features.0.properties"."""

    def change(document: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = document
        for parent in parents:
            target = target[int(parent)] if isinstance(target, list) else target[parent]
        key: Any = int(last) if isinstance(target, list) else last
        if value is ...:
            del target[key]
        else:
            target[key] = value

    return change


def _add_second_line(document: dict[str, Any]) -> None:
    second = copy.deepcopy(document["features"][3])
    second["properties"]["id"] = "L2"
    document["features"].append(second)


BOWTIE = {"type": "Polygon", "coordinates": [[[30, 50], [31, 51], [31, 50], [30, 51], [30, 50]]]}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_set("type", "Feature"), ["type", "FeatureCollection"]),
        (_set("name", ...), ["name", "missing"]),
        (_set("features", []), ["features", "non-empty"]),
        (_set("features.0.type", "Point"), ["features[0]", "Feature"]),
        (_set("features.0.properties", None), ["features[0]: properties", "missing"]),
        (_set("features.0.properties.kind", ...), ["features[0] (id 'A')", "properties.kind"]),
        (_set("features.0.properties.kind", "sector"), ["features[0] (id 'A')", "properties.kind", "'sector'"]),
        (_set("features.1.properties.id", ...), ["features[1]", "properties.id", "missing"]),
        (_set("features.1.properties.id", "has space"), ["features[1]", "properties.id"]),
        (_set("features.1.properties.id", "A"), ["features[1] (id 'A')", "properties.id", "duplicate", "features[0]"]),
        (_set("features.2.properties.name", ...), ["features[2] (id 'S1')", "properties.name", "missing"]),
        (_set("features.2.properties.name", "  "), ["features[2] (id 'S1')", "properties.name"]),
        (_set("features.2.properties.name_uk", 5), ["features[2] (id 'S1')", "properties.name_uk"]),
        (_set("features.0.properties.lead_nation", 3), ["features[0] (id 'A')", "properties.lead_nation"]),
        (_set("features.0.geometry", None), ["features[0] (id 'A')", "geometry", "missing"]),
        (
            _set("features.0.geometry", {"type": "LineString", "coordinates": [[30, 50], [31, 51]]}),
            ["features[0] (id 'A')", "geometry.type", "Polygon or MultiPolygon", "'LineString'"],
        ),
        (
            _set("features.3.geometry", _square(31, 50)),
            ["features[3] (id 'L')", "geometry.type", "LineString or MultiLineString"],
        ),
        (_set("features.1.geometry", BOWTIE), ["features[1] (id 'B')", "geometry.coordinates", "Self-intersection"]),
        (
            _set("features.1.geometry.coordinates.0", [[31, 50], [32, 50], [32, 51], [31, 51]]),
            ["features[1] (id 'B')", "geometry.coordinates[0]", "not closed"],
        ),
        (
            _set("features.1.geometry.coordinates.0.1", [3_500_000, 5_600_000]),
            ["features[1] (id 'B')", "geometry.coordinates[0][1]", "longitude/latitude"],
        ),
        (_set("features.1.geometry.coordinates.0.1", ["31", 50]), ["features[1] (id 'B')", "[longitude, latitude]"]),
        (
            _set("features.3.geometry.coordinates", [[31, 50], [31, 50]]),
            ["features[3] (id 'L')", "geometry.coordinates", "no length"],
        ),
        (_set("features.3", _feature("zone", "C", _square(32, 50))), ["no contact line"]),
        (_add_second_line, ["features[4] (id 'L2')", "second contact_line"]),
        (lambda d: d["features"].__delitem__(slice(0, 2)), ["no zones"]),
        (_set("crs", {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32637"}}), ["crs", "32637"]),
        (_set("crs", {"type": "name", "properties": ["EPSG:4326"]}), ["crs", "WGS84"]),
        (_set("illustrative", "yes"), ["illustrative", "true or false"]),
        (_set("illustrative", True), ["notice"]),
        (_set("settings", ...), ["settings", "missing"]),
        (_set("settings.dmz_halfwidth_km", 14.5), ["settings.dmz_halfwidth_km", "unknown setting"]),
        (_set("settings.time_zone", ...), ["settings.time_zone", "missing"]),
        (_set("settings.time_zone", "Mars/Olympus_Mons"), ["settings.time_zone", "Mars/Olympus_Mons"]),
        (_set("settings.time_zone", "../etc/passwd"), ["settings.time_zone", "unknown time zone"]),
        (_set("settings.time_zone", 2), ["settings.time_zone", "IANA"]),
        (_set("settings.dmz_half_width_km", "14.5"), ["settings.dmz_half_width_km", "must be a number"]),
        (_set("settings.dmz_half_width_km", True), ["settings.dmz_half_width_km", "must be a number"]),
        (_set("settings.dmz_half_width_km", 0), ["settings.dmz_half_width_km", "more than 0"]),
        (_set("settings.dmz_half_width_km", -3), ["settings.dmz_half_width_km"]),
        (_set("settings.dmz_half_width_km", 1e9), ["settings.dmz_half_width_km", "at most"]),
        (_set("settings.dmz_edge_km", -1), ["settings.dmz_edge_km", "at least 0"]),
        (_set("settings.dmz_edge_km", 10), ["settings.dmz_edge_km", "less than dmz_half_width_km"]),
        (_set("settings.reporting_cutoff", "7:30pm"), ["settings.reporting_cutoff", "HH:MM"]),
        (_set("settings.reporting_cutoff", "24:00"), ["settings.reporting_cutoff", "HH:MM"]),
        (_set("settings.reporting_cutoff", "19.30"), ["settings.reporting_cutoff", "HH:MM"]),
        (_set("settings.reporting_cutoff", 1930), ["settings.reporting_cutoff", "HH:MM"]),
        (_set("settings.key_dates", "2026-04-01"), ["settings.key_dates", "list"]),
        (_set("settings.key_dates.0.date", "2026-02-30"), ["settings.key_dates[0].date", "YYYY-MM-DD"]),
        (_set("settings.key_dates.0.date", "01/04/2026"), ["settings.key_dates[0].date", "YYYY-MM-DD"]),
        (_set("settings.key_dates.0.date", "20260401"), ["settings.key_dates[0].date", "YYYY-MM-DD"]),
        (_set("settings.key_dates.1.label", ...), ["settings.key_dates[1]", "date", "label"]),
        (_set("settings.key_dates.1.label", ""), ["settings.key_dates[1].label", "missing"]),
    ],
)
def test_bad_files_are_refused_naming_the_field(tmp_path: Path, change: Any, expected: list[str]) -> None:
    message = _refusal(tmp_path, _changed(change))
    for part in expected:
        assert part in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "not valid JSON"),
        ("{'type': 'FeatureCollection'}", "not valid JSON (line 1, column 2"),
        ('{"type": "FeatureCollection", "features": [}', "not valid JSON"),
        ("[1, 2, 3]", "FeatureCollection"),
        ('{"type": "FeatureCollection", "type": "FeatureCollection"}', "'type' appears twice"),
        ('{"type": "FeatureCollection", "x": NaN}', "NaN"),
    ],
)
def test_unreadable_json_is_refused(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in _refusal(tmp_path, text)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('"dmz_edge_km": 1', '"dmz_edge_km": Infinity', "Infinity"),
        ('"dmz_half_width_km": 10', '"dmz_half_width_km": 1e999', "settings.dmz_half_width_km: must be a number"),
        ('"dmz_half_width_km": 10', '"dmz_half_width_km": 1' + "0" * 400, "settings.dmz_half_width_km"),
        ("[31, 51]]}", "[31, 1e999]]}", "features[3] (id 'L'): geometry.coordinates[1]"),
    ],
)
def test_numbers_json_allows_but_no_theatre_can_use(tmp_path: Path, old: str, new: str, expected: str) -> None:
    text = json.dumps(MINIMAL)
    assert old in text
    assert expected in _refusal(tmp_path, text.replace(old, new))


def test_too_large_a_file_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "huge.geojson"
    with path.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)  # sparse: all zero bytes, which would not parse anyway
    with pytest.raises(TheatreError, match="at most 20 MB"):
        load_theatre(path)


def test_too_large_a_text_is_refused() -> None:
    with pytest.raises(TheatreError, match="pasted: over 20 MB"):
        parse_theatre(" " * (MAX_FILE_BYTES + 1), "pasted")


def test_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin1.geojson"
    path.write_bytes(json.dumps(MINIMAL).replace("назва", "nom").encode("utf-8").replace(b"Test", b"T\xe9st"))
    with pytest.raises(TheatreError, match="not UTF-8"):
        load_theatre(path)


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TheatreError, match="cannot read the file"):
        load_theatre(tmp_path / "absent.geojson")


def test_parse_names_its_source() -> None:
    with pytest.raises(TheatreError, match="^clipboard: "):
        parse_theatre("nonsense", "clipboard")
