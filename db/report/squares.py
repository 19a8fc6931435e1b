"""Where the period's incidents are, as plain data: squares of about 2 km, counted, notable or not.

The report's map itself is the Map view's own rendering (``desktop.map.render``); these squares
tell whether the period has anything to map, where to frame it, and which squares hold a notable
incident. SQLite gathers them (GROUP BY :func:`square_sql`): a month's hundred thousand rows never
become Python objects.
"""

from collections.abc import Iterable
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


def square_sql(lat: str, lon: str) -> tuple[str, str]:
    """The SQL of a position's square (row, column), from the SQL of its latitude and longitude."""
    return f"round({lat} / {GRID_DEGREES})", f"round({lon} / {GRID_DEGREES})"


def points_of(squares: Iterable[tuple[float, float, int, int]]) -> tuple[MapPoint, ...]:
    """Map points from (row, column, incidents, any notable) as gathered with :func:`square_sql`."""
    return tuple(
        MapPoint(int(y) * GRID_DEGREES, int(x) * GRID_DEGREES, int(count), bool(notable))
        for y, x, count, notable in sorted(squares)
    )
