"""What the report's map shows, as plain data: the theatre's outlines and the period's incidents.

The map itself is drawn in ``desktop`` (Qt). This module only reads the theatre file already
validated by :mod:`db.theatre` and the incidents' positions, so that any renderer (today the
report's static map, later the Map view's export) gets the same picture.
"""

import json
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


class PointGatherer:
    """Incidents gathered by square as they are read: how many in each, and whether any is notable.

    Each incident is placed at its event's estimated position, else at its observer's; one without
    either is left off the map.
    """

    def __init__(self) -> None:
        self._squares: dict[tuple[int, int], list[int]] = {}

    def add(self, lat: float | None, lon: float | None, notable: bool) -> None:
        if lat is None or lon is None:
            return
        square = self._squares.setdefault((round(lat / GRID_DEGREES), round(lon / GRID_DEGREES)), [0, 0])
        square[0] += 1
        square[1] |= notable

    def points(self) -> tuple[MapPoint, ...]:
        return tuple(
            MapPoint(y * GRID_DEGREES, x * GRID_DEGREES, count, bool(notable))
            for (y, x), (count, notable) in sorted(self._squares.items())
        )
