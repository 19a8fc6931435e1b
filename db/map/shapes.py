"""The theatre's zones, DMZ sectors and contact line as rings of lon/lat, for drawing.

:class:`db.model.theatre.Theatre` keeps its polygons for placing points; the map needs their outlines
and a place for each label. They are read again from the theatre's own GeoJSON text, which was
validated when the theatre was loaded, so nothing here can meet a malformed file.
"""

import json
import math
from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry import shape

from db.model.theatre import Theatre

Ring = tuple[tuple[float, float], ...]
"""(lon, lat) pairs; a polygon's first ring is its outline, the others its holes."""


@dataclass(frozen=True)
class Shape:
    """One feature to draw: its kind (zone, dmz_sector, contact_line), id, name and geometry.

    ``parts`` holds, per polygon (or line), its rings; ``label_at`` is a point inside a polygon
    (or the middle of a line) where its name can stand.
    """

    kind: str
    feature_id: str
    name: str
    parts: tuple[tuple[Ring, ...], ...]
    label_at: tuple[float, float]


def theatre_shapes(theatre: Theatre) -> list[Shape]:
    """Every zone, sector and contact line of ``theatre``, in file order."""
    data = json.loads(theatre.geojson_text)
    return [_shape(feature) for feature in data.get("features", [])]


def theatre_bounds(theatre: Theatre) -> tuple[float, float, float, float]:
    """West, south, east, north of everything the theatre draws."""
    geometries = [shape(f["geometry"]) for f in json.loads(theatre.geojson_text).get("features", [])]
    west, south, east, north = (float(v) for v in shapely.total_bounds(geometries))
    return west, south, east, north


def _shape(feature: dict[str, Any]) -> Shape:
    props = feature.get("properties") or {}
    geometry = shape(feature["geometry"])
    if geometry.geom_type in ("Polygon", "MultiPolygon"):
        polygons = list(getattr(geometry, "geoms", [geometry]))
        parts = tuple((_ring(p.exterior.coords), *(_ring(hole.coords) for hole in p.interiors)) for p in polygons)
        largest = max(polygons, key=lambda p: p.area)
        point = largest.representative_point()
    else:
        lines = list(getattr(geometry, "geoms", [geometry]))
        parts = tuple((_ring(line.coords),) for line in lines)
        point = lines[0].interpolate(0.5, normalized=True)
    return Shape(
        str(props.get("kind", "")), str(props.get("id", "")), str(props.get("name", "")), parts, (point.x, point.y)
    )


def _ring(coords: Any) -> Ring:
    return tuple((float(x), float(y)) for x, y, *_ in coords)


KM_PER_DEG_LAT = 111.32


def fan_outline(
    lat: float, lon: float, bearing_deg: float, dist_min_km: float, dist_max_km: float, spread_deg: float = 10.0
) -> list[tuple[float, float]]:
    """(lon, lat) outline of the area a bearing and a distance range point at, from the observer.

    A monitor's bearing is good to a few degrees: the fan spans ``spread_deg`` either side of it,
    between the two distances (a flat-earth approximation, exact enough over tens of km).
    """
    outer = [bearing_deg - spread_deg + i * spread_deg / 8 for i in range(17)]
    near = max(dist_min_km, 0.0)
    far = max(dist_max_km, near)
    ring = [_offset(lat, lon, b, far) for b in outer]
    ring += [_offset(lat, lon, b, near) for b in reversed(outer)]
    ring.append(ring[0])
    return ring


def _offset(lat: float, lon: float, bearing_deg: float, km: float) -> tuple[float, float]:
    angle = math.radians(bearing_deg)
    dlat = km * math.cos(angle) / KM_PER_DEG_LAT
    dlon = km * math.sin(angle) / (KM_PER_DEG_LAT * math.cos(math.radians(lat)))
    return lon + dlon, lat + dlat


def nice_scale_km(view_width_km: float) -> float:
    """A round length (1, 2 or 5 × 10ⁿ km) near a fifth of the view's width, for the scale bar."""
    target = max(view_width_km / 5, 1e-3)
    power = 10 ** math.floor(math.log10(target))
    for step in (5, 2, 1):
        if step * power <= target:
            return step * power
    return power
