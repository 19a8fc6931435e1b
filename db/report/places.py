"""Where an incident happened, in the words a daily report uses: "3 km NNE of Toretsk".

Readers of a report place an incident by a settlement they know, not by coordinates. Given
settlements (the Map view's GeoNames places, :mod:`db.map.settlements`), the distance and compass
point are computed from the nearest one to the event (or, if the event's own position is unknown,
to the observer). Without them (none could be read), the words come from what the monitor
recorded: the nearest settlement they typed in ``place``, and their bearing and distance from the
observer. MGRS is added so the reader can still find the exact square.

A month's notable incidents number thousands and the theatre's places ten thousand, so the
nearest place is looked up among the few in the squares around the incident (:class:`Gazetteer`).
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from db.model.geo import LocalProjection, compass_point, to_mgrs
from db.model.incident import Incident

CELL_DEG = 0.2
"""Side of the squares settlements are kept in for look-ups (about 22 km north-south)."""
NEAR_KM = 0.5
"""Closer than this to a settlement's point, the incident is "in" it rather than "N km X of" it."""


@dataclass(frozen=True)
class Settlement:
    """A named point a reader knows (a town, a village), from the mission's theatre."""

    name: str
    lat: float
    lon: float


class Gazetteer:
    """Settlements ready for nearest-place look-ups: built once per report, asked once per incident.

    Places are kept by squares of :data:`CELL_DEG`; a look-up reads the 3 x 3 squares around the
    incident (about 20 places in Donbas), and scans every place (numpy) only when the nearest found
    there might not be the nearest of all: a place far from any other.
    """

    def __init__(self, settlements: Sequence[Settlement]) -> None:
        self.settlements = tuple(settlements)
        self._lat = np.array([s.lat for s in self.settlements], dtype=np.float64)
        self._lon = np.array([s.lon for s in self.settlements], dtype=np.float64)
        self._cells: dict[tuple[int, int], list[Settlement]] = {}
        for settlement in self.settlements:
            self._cells.setdefault(_cell(settlement.lat, settlement.lon), []).append(settlement)

    def __len__(self) -> int:
        return len(self.settlements)

    def nearest(self, lat: float, lon: float, candidates: int = 4) -> list[Settlement]:
        """The few places nearest to (lat, lon) by a flat approximation, for an exact choice among them."""
        kx = math.cos(math.radians(lat))
        row, column = _cell(lat, lon)
        near = [s for dy in (-1, 0, 1) for dx in (-1, 0, 1) for s in self._cells.get((row + dy, column + dx), ())]
        near.sort(key=lambda s: ((s.lon - lon) * kx) ** 2 + (s.lat - lat) ** 2)
        # Anything outside the 3 x 3 squares is at least one square away (a square's width shrinks with latitude).
        if near and math.hypot((near[0].lon - lon) * kx, near[0].lat - lat) <= CELL_DEG * kx:
            return near[:candidates]
        dx = (self._lon - lon) * kx
        squared = dx * dx + (self._lat - lat) ** 2
        if len(squared) > candidates:
            order = np.argpartition(squared, candidates)[:candidates]
        else:
            order = np.arange(len(squared))
        return [self.settlements[int(n)] for n in order]


def _cell(lat: float, lon: float) -> tuple[int, int]:
    return math.floor(lat / CELL_DEG), math.floor(lon / CELL_DEG)


def place_in_words(incident: Incident, settlements: Sequence[Settlement] | Gazetteer = ()) -> str:
    """The incident's place for a report: from the nearest settlement if known, else as recorded."""
    lat, lon = position_of(incident)
    if len(settlements) and lat is not None and lon is not None:
        gazetteer = settlements if isinstance(settlements, Gazetteer) else Gazetteer(settlements)
        return _from_settlements(lat, lon, gazetteer.nearest(lat, lon))
    return _as_recorded(incident)


def position_of(incident: Incident) -> tuple[float | None, float | None]:
    """The event's position when estimated, else the observer's (None, None when neither is known)."""
    if incident.event_lat is not None and incident.event_lon is not None:
        return incident.event_lat, incident.event_lon
    return incident.observer_lat, incident.observer_lon


def grid_reference(incident: Incident) -> str:
    """MGRS of the event (or of the observer, said so), or "" when no position was recorded."""
    if incident.event_lat is not None and incident.event_lon is not None:
        return to_mgrs(incident.event_lat, incident.event_lon)
    if incident.observer_lat is not None and incident.observer_lon is not None:
        return f"{to_mgrs(incident.observer_lat, incident.observer_lon)} (observer)"
    return ""


def _from_settlements(lat: float, lon: float, settlements: Sequence[Settlement]) -> str:
    projection = LocalProjection(lat, lon)
    best: tuple[float, float, Settlement] | None = None
    for settlement in settlements:
        # Centred on the incident, so the settlement's (x, y) is exact in distance and direction.
        x, y = projection.forward(settlement.lat, settlement.lon)
        distance = math.hypot(x, y)
        if best is None or distance < best[0]:
            best = (distance, math.degrees(math.atan2(-x, -y)) % 360, settlement)
    assert best is not None
    distance, bearing, settlement = best
    if distance < NEAR_KM:
        return f"in {settlement.name}"
    return f"{_km(distance)} km {compass_point(bearing)} of {settlement.name}"


def _as_recorded(incident: Incident) -> str:
    place = (incident.place or "").strip()
    if incident.bearing_deg is not None and incident.dist_min_km is not None:
        span = _km(incident.dist_min_km)
        if incident.dist_max_km is not None and incident.dist_max_km != incident.dist_min_km:
            span = f"{span}–{_km(incident.dist_max_km)}"
        direction = f"{span} km {compass_point(incident.bearing_deg)} of the observer"
        return f"near {place}, {direction}" if place else direction
    if place:
        return f"near {place}"
    return "place not recorded"


def _km(value: float) -> str:
    """Whole kilometres from 10 km on, one decimal below (a report never claims more precision)."""
    if value >= 10:
        return f"{value:.0f}"
    return f"{value:.1f}".removesuffix(".0")
