"""Where the period's incidents are, as plain data: squares of about 2 km, counted, notable or not.

The report's map itself is the Map view's own rendering (``desktop.map.render``); these squares
tell whether the period has anything to map, where to frame it, and which squares hold a notable
incident. SQLite gathers them (GROUP BY): a month's hundred thousand rows never become Python objects.
"""

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

GRID_DEGREES = 0.02
"""Incidents are gathered into squares of this size (about 2 km): a month holds tens of thousands."""


@dataclass(frozen=True)
class MapPoint:
    """Incidents of the period gathered in one small square; ``notable`` if any of them is."""

    lat: float
    lon: float
    incidents: int
    notable: bool


def map_points(
    conn: sqlite3.Connection, where: str, params: Sequence[object], notable_sql: str
) -> tuple[MapPoint, ...]:
    """The squares of the incidents ``where`` selects, south-west first.

    Each incident is placed at its event's estimated position, else at its observer's; one without
    either is left off the map. ``notable_sql`` is the condition that makes an incident notable.
    """
    sql = (
        f"SELECT round(lat / {GRID_DEGREES}) AS y, round(lon / {GRID_DEGREES}) AS x, count(*), max(notable) FROM "
        f"(SELECT coalesce(event_lat, observer_lat) AS lat, coalesce(event_lon, observer_lon) AS lon, "
        f"{notable_sql} AS notable FROM incidents WHERE {where}) "
        "WHERE lat IS NOT NULL AND lon IS NOT NULL GROUP BY y, x ORDER BY y, x"
    )
    return tuple(
        MapPoint(int(y) * GRID_DEGREES, int(x) * GRID_DEGREES, int(count), bool(notable))
        for y, x, count, notable in conn.execute(sql, list(params))
    )
