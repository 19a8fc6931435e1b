"""What the report's map shows, as plain data: the theatre's outlines and the period's incidents.

The map itself is drawn in ``desktop`` (Qt). This module only reads the theatre file already
validated by :mod:`db.theatre` and the incidents' positions, so that any renderer (today the
report's static map, later the Map view's export) gets the same picture.
"""

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from db.theatre import Theatre

Ring = tuple[tuple[float, float], ...]  # (lon, lat) pairs, as GeoJSON has them
GRID_DEGREES = 0.02
"""Incidents are gathered into squares of this size (about 2 km): a month holds tens of thousands."""


@dataclass(frozen=True)
class Outline:
    """One zone, DMZ sector or contact line: its id, name and rings (polygons) or lines."""

    kind: str
    area_id: str
    name: str
    parts: tuple[Ring, ...]


@dataclass(frozen=True)
class MapPoint:
    """Incidents of the period gathered in one small square; ``notable`` if any of them is."""

    lat: float
    lon: float
    incidents: int
    notable: bool


def theatre_outlines(theatre: Theatre) -> tuple[Outline, ...]:
    """Zones, then sectors, then the contact line (the order they are drawn in)."""
    document = json.loads(theatre.geojson_text)
    outlines = []
    for feature in document.get("features", []):
        properties = feature.get("properties") or {}
        geometry = feature.get("geometry") or {}
        outlines.append(
            Outline(
                str(properties.get("kind")),
                str(properties.get("id")),
                str(properties.get("name")),
                _parts(geometry.get("type"), geometry.get("coordinates")),
            )
        )
    order = {"zone": 0, "dmz_sector": 1, "contact_line": 2}
    return tuple(sorted(outlines, key=lambda o: order.get(o.kind, 3)))


def _parts(kind: Any, coordinates: Any) -> tuple[Ring, ...]:
    """Outer rings of polygons, or the lines of a (multi)line: holes add nothing at report scale."""
    if kind == "Polygon":
        return (_ring(coordinates[0]),)
    if kind == "MultiPolygon":
        return tuple(_ring(polygon[0]) for polygon in coordinates)
    if kind == "LineString":
        return (_ring(coordinates),)
    if kind == "MultiLineString":
        return tuple(_ring(line) for line in coordinates)
    return ()


def _ring(points: Sequence[Sequence[float]]) -> Ring:
    return tuple((float(p[0]), float(p[1])) for p in points)


def map_points(conn: sqlite3.Connection, where: str, params: Sequence[Any], notable: str) -> tuple[MapPoint, ...]:
    """The incidents ``where`` selects, gathered by square; ``notable`` is an SQL condition on a row.

    Each incident is placed at its event's estimated position, else at its observer's.
    """
    lat = "coalesce(event_lat, observer_lat)"
    lon = "coalesce(event_lon, observer_lon)"
    sql = (
        f"SELECT round({lat} / {GRID_DEGREES}), round({lon} / {GRID_DEGREES}), count(*), max({notable}) "
        f"FROM incidents WHERE {where} AND {lat} IS NOT NULL AND {lon} IS NOT NULL GROUP BY 1, 2"
    )
    return tuple(
        MapPoint(row[0] * GRID_DEGREES, row[1] * GRID_DEGREES, int(row[2]), bool(row[3]))
        for row in conn.execute(sql, list(params))
    )
