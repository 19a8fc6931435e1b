"""Draw the illustrative default theatre, ``resources/theatre/default.geojson``.

Truceline needs some theatre to run before a mission hands it a real one, and the tests need a
known one. This script draws it from a few dozen hand-typed points: a coarse outline of Ukraine
(Crimea included), an approximate Dnieper and an approximate line of contact. None of it is an
official boundary, line of contact or DMZ, and the file says so.

Run it by hand from anywhere; it overwrites the GeoJSON and prints a summary:

    /tmp/venv/bin/python resources/theatre/build_default.py

The output is deterministic, so re-running it gives a byte-identical file.
"""

import json
import math
import sys
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import LineString, MultiPoint, Point, Polygon, box, mapping
from shapely.geometry.base import BaseGeometry
from shapely.ops import substring

# Run as a plain script, Python only puts this folder on the path; the loader lives in ``db``.
REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from db.model.geo import LocalProjection  # noqa: E402
from db.model.theatre import from_km, line_projection, parse_theatre, to_km  # noqa: E402

OUTPUT = Path(__file__).resolve().parent / "default.geojson"

GRID = 1e-5  # degrees: 5 decimals, about 1 m, far finer than the drawing
DMZ_HALF_WIDTH_KM = 14.5
SECTOR_COUNT = 10
SEED_SPACING_KM = 0.25  # how finely the line is sampled to split the DMZ between sectors

# A coarse outline of Ukraine as (lat, lon), clockwise from the Polish-Belarusian tripoint. Points
# are typed from general knowledge of the map, a few km off here and there by design.
OUTLINE = (
    # Belarus, west to east, then down to where the Dnieper becomes the border.
    (51.52, 23.62), (51.62, 24.35), (51.88, 24.95), (51.93, 25.70), (51.96, 26.50), (51.86, 27.20),
    (51.75, 28.00), (51.55, 28.80), (51.45, 29.40), (51.40, 30.10), (51.27, 30.57),
    # Up the Dnieper border, then Russia round the north-east.
    (51.55, 30.62), (51.95, 30.85), (52.10, 30.98), (52.08, 31.40), (52.10, 31.78), (52.30, 32.25),
    (52.37, 33.20), (52.30, 33.80), (52.10, 34.10), (51.75, 34.40), (51.25, 35.10), (51.05, 35.40),
    (50.80, 35.45), (50.55, 35.60), (50.42, 36.15), (50.44, 36.55), (50.35, 36.90), (50.18, 37.40),
    (49.97, 38.15), (50.12, 38.60), (50.25, 39.20), (49.90, 39.80), (49.55, 40.15), (49.05, 40.15),
    (48.75, 39.75), (48.30, 39.95), (47.85, 39.75), (47.30, 38.25), (47.11, 38.10),
    # Sea of Azov coast, west to Henichesk.
    (47.08, 37.55), (46.85, 37.00), (46.75, 36.78), (46.70, 36.30), (46.40, 35.40), (46.17, 34.82),
    # Crimea: Arabat Spit, Kerch, the south coast, Sevastopol, Tarkhankut, Perekop.
    (45.90, 35.10), (45.45, 35.45), (45.45, 36.60), (45.25, 36.45), (45.05, 36.10), (45.03, 35.38),
    (44.80, 34.95), (44.65, 34.40), (44.42, 33.95), (44.39, 33.75), (44.55, 33.45), (44.85, 33.55),
    (45.19, 33.37), (45.35, 32.50), (45.55, 32.70), (45.90, 33.40), (46.15, 33.70),
    # Black Sea coast: Karkinit Bay, Kinburn Spit, Ochakiv, Odesa, the Danube delta.
    (46.12, 33.30), (46.10, 32.80), (46.15, 32.30), (46.25, 31.90), (46.52, 31.52), (46.62, 31.52),
    (46.47, 30.78), (46.10, 30.45), (45.60, 29.80), (45.40, 29.70), (45.22, 29.70),
    # Up the Danube to Reni, then Moldova.
    (45.30, 28.85), (45.47, 28.20), (45.95, 28.75), (46.40, 29.20), (46.45, 30.05), (46.95, 29.95),
    (47.40, 29.55), (47.85, 29.20), (48.15, 28.60), (48.45, 27.85), (48.38, 27.20), (48.26, 26.62),
    # Romania, Hungary, Slovakia.
    (48.00, 26.00), (47.95, 25.20), (47.90, 24.90), (47.93, 24.20), (47.95, 23.55), (48.10, 22.90),
    (48.40, 22.15), (48.62, 22.15), (49.00, 22.55), (49.09, 22.89),
    # Poland, back to the start.
    (49.45, 22.70), (49.80, 22.95), (50.10, 23.25), (50.40, 24.00), (50.85, 24.05), (51.15, 23.75),
)  # fmt: skip

# The lower Dnieper, shared by the river cut and the contact line so both use identical points.
LOWER_DNIEPER = (
    (47.50, 34.65),  # Enerhodar
    (46.76, 33.37),  # Nova Kakhovka
    (46.64, 32.61),  # Kherson
    (46.50, 32.20),  # the river mouth
)
# Out through the Dnieper-Bug estuary to the open sea, so the cuts leave the outline cleanly.
TO_SEA = ((46.56, 31.70), (46.50, 31.35))

# The Dnieper from Belarus to the sea. It starts just outside the outline and crosses it where the
# river becomes the border. In Kyiv it runs about 4 km east of the centre (50.45, 30.52), which
# keeps the capital west of the river.
DNIEPER = (
    ((51.40, 30.55), (51.27, 30.57), (50.45, 30.58), (49.07, 33.42), (48.46, 35.04), (47.84, 35.14))
    + LOWER_DNIEPER
    + TO_SEA
)

# The line of contact, north to south, as stored in the file.
CONTACT_LINE = (
    (50.29, 36.94),  # Vovchansk
    (49.71, 37.61),  # Kupiansk
    (48.99, 37.80),  # Lyman
    (48.87, 38.10),  # Siversk
    (48.59, 37.84),  # Chasiv Yar
    (48.40, 37.85),  # Toretsk
    (48.28, 37.18),  # Pokrovsk
    (47.98, 37.28),  # Kurakhove
    (47.85, 36.83),  # Velyka Novosilka
    (47.66, 36.26),  # Huliaipole
    (47.57, 35.78),  # Orikhiv
    (47.49, 35.37),  # Kamianske
) + LOWER_DNIEPER
# For cutting zones only: on to the state border in the north and out to sea in the south.
CONTACT_CUT = ((50.45, 36.95),) + CONTACT_LINE + TO_SEA

# Towns on or near the line that can lend a sector its name: (English, Ukrainian, lat, lon).
TOWNS = (
    ("Vovchansk", "Вовчанськ", 50.29, 36.94),
    ("Kupiansk", "Куп’янськ", 49.71, 37.61),
    ("Borova", "Борова", 49.38, 37.62),
    ("Lyman", "Лиман", 48.99, 37.80),
    ("Siversk", "Сіверськ", 48.87, 38.10),
    ("Chasiv Yar", "Часів Яр", 48.59, 37.84),
    ("Toretsk", "Торецьк", 48.40, 37.85),
    ("Pokrovsk", "Покровськ", 48.28, 37.18),
    ("Kurakhove", "Курахове", 47.98, 37.28),
    ("Velyka Novosilka", "Велика Новосілка", 47.85, 36.83),
    ("Huliaipole", "Гуляйполе", 47.66, 36.26),
    ("Orikhiv", "Оріхів", 47.57, 35.78),
    ("Kamianske", "Кам’янське", 47.49, 35.37),
    ("Enerhodar", "Енергодар", 47.50, 34.65),
    ("Nova Kakhovka", "Нова Каховка", 46.76, 33.37),
    ("Kherson", "Херсон", 46.64, 32.61),
)

# (id, English name, Ukrainian name, lead nation); BEYOND has no lead nation: monitors have no
# access there, but incidents observed across the line still need a zone.
ZONES = (
    ("WEST", "West", "Захід", "Poland"),
    ("NORTH", "North", "Північ", "United Kingdom"),
    ("CENTRE", "Centre", "Центр", "Multinational"),
    ("SOUTH", "South", "Південь", "France"),
    ("EAST", "East", "Схід", "Multinational"),
    ("BEYOND", "Beyond the contact line", "За лінією зіткнення", None),
)
WEST_OF_LON = 28.0  # WEST lies west of this meridian
NORTH_OF_LAT = 49.8  # NORTH lies north of this parallel (west of the river, east of WEST)
SOUTH_OF_LAT = 48.3  # SOUTH lies south of this one; CENTRE is what remains between them

# A point well inside each face the river and the line cut the outline into.
VINNYTSIA = (49.23, 28.47)  # west of the river
KHARKIV = (49.99, 36.23)  # between the river and the line
DONETSK = (48.00, 37.80)  # beyond the line

SETTINGS = {
    "time_zone": "Europe/Kyiv",
    "dmz_half_width_km": DMZ_HALF_WIDTH_KM,
    "dmz_edge_km": 1.0,
    "reporting_cutoff": "19:30",
    "key_dates": [{"date": "2026-04-01", "label": "Ceasefire in force"}],
}


def lonlat(points: tuple[tuple[float, float], ...]) -> list[tuple[float, float]]:
    """(lat, lon) as typed above to (lon, lat) as GeoJSON and shapely want."""
    return [(lon, lat) for lat, lon in points]


def point(lat_lon: tuple[float, float]) -> Point:
    return Point(lat_lon[1], lat_lon[0])


def only_face_containing(faces: list[BaseGeometry], where: tuple[float, float]) -> BaseGeometry:
    matches = [face for face in faces if face.contains(point(where))]
    assert len(matches) == 1, f"expected one face around {where}, found {len(matches)}"
    return matches[0]


def draw_zones(outline: Polygon) -> dict[str, BaseGeometry]:
    """Cut the outline by the river and the line, then split the west by latitude and longitude."""
    cuts = [outline.exterior, LineString(lonlat(DNIEPER)), LineString(lonlat(CONTACT_CUT))]
    faces = list(shapely.get_parts(shapely.polygonize(shapely.get_parts(shapely.union_all(cuts)))))
    assert len(faces) == 3, f"the river and the line should cut the outline in three, not {len(faces)}"
    west_of_river = only_face_containing(faces, VINNYTSIA)
    far_west = box(-180, -90, WEST_OF_LON, 90)
    north = box(WEST_OF_LON, NORTH_OF_LAT, 180, 90)
    south = box(WEST_OF_LON, -90, 180, SOUTH_OF_LAT)
    return {
        "WEST": west_of_river.intersection(far_west),
        "NORTH": west_of_river.intersection(north),
        "CENTRE": west_of_river.difference(far_west).difference(north).difference(south),
        "SOUTH": west_of_river.intersection(south),
        "EAST": only_face_containing(faces, KHARKIV),
        "BEYOND": only_face_containing(faces, DONETSK),
    }


def draw_sectors(outline: Polygon) -> tuple[dict[str, BaseGeometry], list[float], list[tuple[str, str]]]:
    """Split the DMZ into sectors of equal line length; each takes the DMZ nearest its stretch.

    "Nearest its stretch" is computed with a Voronoi diagram of points every 250 m along the line,
    each labelled with its sector: merging the cells of a sector's points gives the region nearer
    to that stretch than to any other. Seeds sit mid-step, so a sector boundary falls exactly
    halfway between two seeds, at the division point.
    """
    line = LineString(lonlat(CONTACT_LINE))
    projection = line_projection(line)
    line_km = to_km(line, projection)
    length = line_km.length
    seeds_per_sector = math.ceil(length / SECTOR_COUNT / SEED_SPACING_KM)
    step = length / (SECTOR_COUNT * seeds_per_sector)
    seeds = [line_km.interpolate((i + 0.5) * step) for i in range(SECTOR_COUNT * seeds_per_sector)]
    dmz_km = line_km.buffer(DMZ_HALF_WIDTH_KM, quad_segs=16)
    cells = shapely.get_parts(
        shapely.voronoi_polygons(MultiPoint(seeds), extend_to=dmz_km.envelope.buffer(50), ordered=True)
    )
    sectors: dict[str, BaseGeometry] = {}
    names: list[tuple[str, str]] = []
    stretch_lengths: list[float] = []
    used: set[str] = set()
    for k in range(SECTOR_COUNT):
        region = shapely.union_all(cells[k * seeds_per_sector : (k + 1) * seeds_per_sector])
        sector_deg = from_km(region.intersection(dmz_km), projection)
        sector_id = f"DMZ-{k + 1:02d}"
        # The DMZ stops at the state border and the coast: monitors work on land, in Ukraine.
        sectors[sector_id] = sector_deg.intersection(outline)
        stretch = substring(line_km, k * length / SECTOR_COUNT, (k + 1) * length / SECTOR_COUNT)
        stretch_lengths.append(stretch.length)
        names.append(town_for(stretch, line_km, projection, k, length, used))
    return sectors, stretch_lengths, names


def town_for(
    stretch: BaseGeometry, line_km: BaseGeometry, projection: LocalProjection, k: int, length: float, used: set[str]
) -> tuple[str, str]:
    """The town on this stretch nearest its middle, so each sector is named after a place on it."""
    middle = (k + 0.5) * length / SECTOR_COUNT
    candidates = []
    for english, ukrainian, lat, lon in TOWNS:
        town_km = Point(projection.forward(lat, lon))
        along = line_km.project(town_km)
        on_stretch = k * length / SECTOR_COUNT <= along <= (k + 1) * length / SECTOR_COUNT
        if on_stretch and english not in used and stretch.distance(town_km) < 5:
            candidates.append((abs(along - middle), english, ukrainian))
    assert candidates, f"no town to name sector {k + 1}; add one on its stretch to TOWNS"
    _, english, ukrainian = min(candidates)
    used.add(english)
    return english, ukrainian


def snap_layer(layer: dict[str, BaseGeometry]) -> dict[str, BaseGeometry]:
    """Round a layer to 5 decimals without opening gaps or overlaps between its polygons.

    Rounding each polygon on its own could move a shared edge differently on either side. Instead
    the layer's edges are noded together on the grid, rebuilt into faces, and each face goes back
    to the polygon that held it, so neighbours share exactly the same rounded edge.
    """
    edges = shapely.union_all([geometry.boundary for geometry in layer.values()], grid_size=GRID)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(edges)))
    owned: dict[str, list[BaseGeometry]] = {area_id: [] for area_id in layer}
    for face in faces:
        inside = face.point_on_surface()
        owners = [area_id for area_id, geometry in layer.items() if geometry.contains(inside)]
        if owners:
            owned[owners[0]].append(face)
    snapped = {area_id: shapely.union_all(parts, grid_size=GRID) for area_id, parts in owned.items()}
    for area_id, geometry in snapped.items():
        assert geometry.is_valid and not geometry.is_empty, f"{area_id} did not survive rounding"
    return snapped


def feature(properties: dict[str, Any], geometry: BaseGeometry) -> dict[str, Any]:
    oriented = shapely.orient_polygons(geometry)  # RFC 7946: outer rings counter-clockwise
    return {"type": "Feature", "properties": properties, "geometry": rounded(mapping(oriented))}


def rounded(value: Any) -> Any:
    """Coordinates to 5 decimals; ``+ 0.0`` keeps "-0.0" out of the file."""
    if isinstance(value, float):
        return round(value, 5) + 0.0
    if isinstance(value, list | tuple):
        return [rounded(item) for item in value]
    if isinstance(value, dict):
        return {key: rounded(item) for key, item in value.items()}
    return value


def area_km2(geometry: BaseGeometry, projection: LocalProjection) -> float:
    return float(to_km(geometry, projection).area)


def main() -> None:
    outline = Polygon(lonlat(OUTLINE))
    assert outline.is_valid, shapely.is_valid_reason(outline)
    zones = snap_layer(draw_zones(outline))
    raw_sectors, stretch_lengths, names = draw_sectors(outline)
    sectors = snap_layer(raw_sectors)
    line = LineString(lonlat(CONTACT_LINE))

    features = [
        feature({"kind": "zone", "id": zone_id, "name": name, "name_uk": name_uk, "lead_nation": lead}, zones[zone_id])
        for zone_id, name, name_uk, lead in ZONES
    ]
    line_properties = {
        "kind": "contact_line",
        "id": "LINE",
        "name": "Line of contact (illustrative)",
        "name_uk": "Лінія зіткнення (ілюстративна)",
    }
    features.append(feature(line_properties, line))
    for number, (sector_id, (town, town_uk)) in enumerate(zip(sectors, names, strict=True), start=1):
        properties = {
            "kind": "dmz_sector",
            "id": sector_id,
            "name": f"DMZ sector {number} ({town})",
            "name_uk": f"Сектор ДМЗ {number} ({town_uk})",
        }
        features.append(feature(properties, sectors[sector_id]))
    document = {
        "type": "FeatureCollection",
        "name": "Illustrative post-ceasefire theatre (Ukraine)",
        "illustrative": True,
        "notice": "Illustrative only. Not an official boundary, line of contact or DMZ.",
        "settings": SETTINGS,
        "features": features,
    }
    # One feature per line: small enough to commit, and a diff shows which feature changed.
    body = ",\n".join(json.dumps(item, ensure_ascii=False, separators=(",", ":")) for item in features)
    header = json.dumps({key: value for key, value in document.items() if key != "features"}, ensure_ascii=False)
    text = header[:-1] + ',\n"features":[\n' + body + "\n]}\n"
    theatre = parse_theatre(text, str(OUTPUT))  # refuse to write a file the app would refuse
    OUTPUT.write_text(text, encoding="utf-8")
    summarise(theatre.name, outline, zones, sectors, stretch_lengths, line, len(text.encode("utf-8")))


def summarise(
    name: str,
    outline: Polygon,
    zones: dict[str, BaseGeometry],
    sectors: dict[str, BaseGeometry],
    stretch_lengths: list[float],
    line: LineString,
    size: int,
) -> None:
    projection = line_projection(line)
    print(f"{name}: wrote {OUTPUT} ({size / 1024:.1f} KiB)")
    print(f"outline {area_km2(outline, projection):,.0f} km²")
    for zone_id, geometry in zones.items():
        print(f"  zone {zone_id:<7} {area_km2(geometry, projection):>9,.0f} km²")
    overlap = sum(a.intersection(b).area for a in zones.values() for b in zones.values() if a is not b)
    gap = outline.symmetric_difference(shapely.union_all(list(zones.values()))).area
    print(f"  zones overlap {overlap:.2e} deg², differ from the outline by {gap:.2e} deg² (rounding)")
    print(f"contact line {to_km(line, projection).length:,.1f} km")
    for (sector_id, geometry), length in zip(sectors.items(), stretch_lengths, strict=True):
        print(f"  {sector_id}: {length:6.1f} km of line, {area_km2(geometry, projection):7,.0f} km²")
    dmz = shapely.union_all(list(sectors.values()))
    overlap = sum(a.intersection(b).area for a in sectors.values() for b in sectors.values() if a is not b)
    print(f"DMZ {area_km2(dmz, projection):,.0f} km² within the outline; sectors overlap {overlap:.2e} deg²")


if __name__ == "__main__":
    main()
