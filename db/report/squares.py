"""Where the period's incidents are, as plain data: squares of about 2 km, counted, notable or not.

The report's map itself is the Map view's own rendering (``desktop.map.render``); these squares
tell whether the period has anything to map, and which squares hold a notable incident.
"""

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
