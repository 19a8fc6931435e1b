"""The theatre: zones of responsibility, DMZ sectors and the contact line, read from GeoJSON.

Every incident is filed under a zone and, inside the demilitarised zone, a sector (DESIGN §5).
A mission draws these in QGIS and hands Truceline the file, so this module reads it defensively:
anything wrong is refused with a ``TheatreError`` naming the file, the feature and the field,
because a silently misread boundary would misfile every incident near it.

``Theatre.assign`` answers "which zone and sector is this point in, and how far from the line?"
for every keystroke in the incident form, so the geometry is indexed once at load time.
"""

import datetime
import functools
import hashlib
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import shapely
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

from db.core.errors import TheatreError
from db.core.resources import resource_path
from db.model.geo import LocalProjection

MAX_FILE_BYTES = 20 * 1024 * 1024
"""Larger files are refused before parsing: a theatre is a few hundred kB, 20 MB is a mistake."""

KINDS = ("zone", "dmz_sector", "contact_line")

_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")
_CUTOFF_PATTERN = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")
_DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")
_SETTINGS_REQUIRED = ("time_zone", "dmz_half_width_km", "dmz_edge_km", "reporting_cutoff")
_SETTINGS_OPTIONAL = ("key_dates",)
_MAX_HALF_WIDTH_KM = 200.0
_AREA_TYPES = ("Polygon", "MultiPolygon")
_LINE_TYPES = ("LineString", "MultiLineString")
# GeoJSON is longitude/latitude on WGS84 (RFC 7946). Older writers, QGIS among them, still add a
# "crs" member; these names all mean the same thing. Anything else means projected coordinates.
_WGS84_NAMES = ("urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:EPSG::4326", "EPSG:4326", "CRS84")
_DISTANCE_DECIMALS = 3  # metres: finer would only show the projection's own error


@dataclass(frozen=True)
class Zone:
    """A zone of responsibility: every point of the theatre belongs to exactly one."""

    zone_id: str
    name: str
    name_uk: str
    lead_nation: str | None


@dataclass(frozen=True)
class Sector:
    """A stretch of the DMZ; incidents inside the DMZ are counted and referenced per sector."""

    sector_id: str
    name: str
    name_uk: str


@dataclass(frozen=True)
class KeyDate:
    """A date worth marking on every timeline, such as the day the ceasefire took effect."""

    date: datetime.date
    label: str


@dataclass(frozen=True)
class Placement:
    """Where a point falls: zone, DMZ sector and its relation to the DMZ.

    ``dmz_relation`` is "inside", "edge" (within ``dmz_edge_km`` of the DMZ boundary, where a GPS
    error or a hasty estimate could put the point on either side) or "outside"; ``distance_km``
    is the distance to the contact line. Points outside every zone get ``zone_id`` None.
    """

    zone_id: str | None
    sector_id: str | None
    dmz_relation: str
    distance_km: float | None


@dataclass(frozen=True)
class _Area:
    """One zone or sector polygon with its bounding box, so most misses cost four comparisons."""

    area_id: str
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float
    geometry: BaseGeometry

    @classmethod
    def of(cls, area_id: str, geometry: BaseGeometry) -> "_Area":
        shapely.prepare(geometry)
        # GEOS builds a prepared geometry's index on its first query; do that now, so worker
        # threads placing points concurrently never race to build it.
        shapely.intersects_xy(geometry, 0.0, 0.0)
        min_lon, min_lat, max_lon, max_lat = (float(v) for v in geometry.bounds)
        return cls(area_id, min_lon, min_lat, max_lon, max_lat, geometry)

    def covers(self, lon: float, lat: float) -> bool:
        if not (self.min_lon <= lon <= self.max_lon and self.min_lat <= lat <= self.max_lat):
            return False
        # "intersects" rather than "contains": a point on a boundary counts for both neighbours,
        # and the caller takes the first in file order, so the answer is always the same one.
        return bool(shapely.intersects_xy(self.geometry, lon, lat))


def _first_covering(areas: Sequence[_Area], lon: float, lat: float) -> str | None:
    for area in areas:
        if area.covers(lon, lat):
            return area.area_id
    return None


def line_projection(line: BaseGeometry) -> LocalProjection:
    """The km projection for a theatre, centred on its contact line.

    Derived from the line alone so that the script drawing the DMZ and this loader measuring
    distances always use the very same projection.
    """
    min_lon, min_lat, max_lon, max_lat = (float(v) for v in line.bounds)
    return LocalProjection(lat0=(min_lat + max_lat) / 2, lon0=(min_lon + max_lon) / 2)


def to_km(geometry: BaseGeometry, projection: LocalProjection) -> BaseGeometry:
    """Project a lon/lat geometry to km with ``projection``."""

    def forward(coords: Any) -> Any:
        return np.array([projection.forward(lat, lon) for lon, lat in coords], dtype=float).reshape(-1, 2)

    return shapely.transform(geometry, forward)


def from_km(geometry: BaseGeometry, projection: LocalProjection) -> BaseGeometry:
    """Inverse of ``to_km``: km back to lon/lat degrees."""

    def inverse(coords: Any) -> Any:
        pairs = [projection.inverse(x, y) for x, y in coords]
        return np.array([(lon, lat) for lat, lon in pairs], dtype=float).reshape(-1, 2)

    return shapely.transform(geometry, inverse)


@dataclass(frozen=True)
class _Settings:
    """The validated ``settings`` member of a theatre file."""

    time_zone: str
    dmz_half_width_km: float
    dmz_edge_km: float
    reporting_cutoff: datetime.time
    key_dates: tuple[KeyDate, ...]


@dataclass(frozen=True)
class _Features:
    """The validated features of a theatre file, split by kind."""

    zones: tuple[Zone, ...]
    sectors: tuple[Sector, ...]
    zone_areas: tuple[_Area, ...]
    sector_areas: tuple[_Area, ...]
    line: BaseGeometry


@dataclass(frozen=True)
class Theatre:
    """A loaded, validated theatre file and the index that places points in it.

    ``source_sha256`` identifies the exact file, so exports and bundles can record which theatre
    the zone and sector ids refer to; ``geojson_text`` lets them embed it unchanged.
    """

    name: str
    illustrative: bool
    notice: str
    time_zone: str
    dmz_half_width_km: float
    dmz_edge_km: float
    reporting_cutoff: datetime.time
    key_dates: tuple[KeyDate, ...]
    zones: tuple[Zone, ...]
    sectors: tuple[Sector, ...]
    source_sha256: str
    geojson_text: str = field(repr=False)
    _zone_areas: tuple[_Area, ...] = field(repr=False, compare=False)
    _sector_areas: tuple[_Area, ...] = field(repr=False, compare=False)
    _line_km: BaseGeometry = field(repr=False, compare=False)
    _projection: LocalProjection = field(repr=False, compare=False)

    @functools.cached_property
    def zone_ids(self) -> frozenset[str]:
        return frozenset(zone.zone_id for zone in self.zones)

    @functools.cached_property
    def sector_ids(self) -> frozenset[str]:
        return frozenset(sector.sector_id for sector in self.sectors)

    def assign(self, lat: float, lon: float) -> Placement:
        """Zone, sector and DMZ relation of a WGS84 point.

        On a shared boundary the zone or sector listed first in the file wins.
        """
        if not (math.isfinite(lat) and math.isfinite(lon) and abs(lat) <= 90 and abs(lon) <= 180):
            raise ValueError(f"not a position: {lat!r}, {lon!r}")
        x, y = self._projection.forward(lat, lon)
        distance = round(float(self._line_km.distance(Point(x, y))), _DISTANCE_DECIMALS)
        # Decide on the rounded distance, so the number a monitor sees agrees with the label.
        if abs(distance - self.dmz_half_width_km) <= self.dmz_edge_km:
            relation = "edge"
        elif distance < self.dmz_half_width_km:
            relation = "inside"
        else:
            relation = "outside"
        return Placement(
            zone_id=_first_covering(self._zone_areas, lon, lat),
            sector_id=_first_covering(self._sector_areas, lon, lat),
            dmz_relation=relation,
            distance_km=distance,
        )


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------


def load_theatre(path: Path) -> Theatre:
    """Read and validate a theatre GeoJSON file."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise TheatreError(
                f"{path}: the file is {size / 1e6:.1f} MB; a theatre file may be at most "
                f"{MAX_FILE_BYTES // (1024 * 1024)} MB (simplify the geometry in QGIS)"
            )
        data = path.read_bytes()
    except OSError as exc:
        raise TheatreError(f"{path}: cannot read the file ({exc.strerror or exc})") from exc
    try:
        text = data.decode("utf-8-sig")  # tolerate the byte-order mark some Windows editors add
    except UnicodeDecodeError as exc:
        raise TheatreError(f"{path}: not UTF-8 text (byte {exc.start}); GeoJSON must be UTF-8") from exc
    return parse_theatre(text, str(path))


def parse_theatre(text: str, source: str) -> Theatre:
    """Validate theatre GeoJSON given as text; ``source`` names it in error messages.

    ``source_sha256`` is the hash of the UTF-8 text, which is the file's bytes unless the file
    starts with a byte-order mark; so a theatre kept in the database and parsed again keeps the
    hash it had when loaded from its file.
    """
    if len(text) > MAX_FILE_BYTES:
        raise TheatreError(f"{source}: over {MAX_FILE_BYTES // (1024 * 1024)} MB; a theatre file may not be that large")
    text = text.removeprefix("\ufeff")
    return _parse(text, source, hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest())


@functools.lru_cache(maxsize=1)
def default_theatre() -> Theatre:
    """The illustrative theatre shipped with Truceline, loaded once."""
    return load_theatre(resource_path("theatre", "default.geojson"))


class _Context:
    """Where in the file we are, so every error names the file, feature and field."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, message: str) -> NoReturn:
        raise TheatreError(f"{self.source}: {where}: {message}" if where else f"{self.source}: {message}")


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            # json would silently keep the last one; in a hand-edited file that hides a mistake.
            raise ValueError(f"the key {key!r} appears twice in one object")
        result[key] = value
    return result


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a number GeoJSON allows")


def _parse(text: str, source: str, sha256: str) -> Theatre:
    ctx = _Context(source)
    try:
        document = json.loads(text, object_pairs_hook=_reject_duplicate_keys, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        ctx.fail("", f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})")
    except (ValueError, RecursionError) as exc:
        ctx.fail("", f"not valid JSON ({exc})")
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        ctx.fail("type", 'not a GeoJSON FeatureCollection (the top level needs "type": "FeatureCollection")')
    _check_crs(ctx, document.get("crs"))
    name = _text(ctx, "name", document.get("name"))
    illustrative = document.get("illustrative", False)
    if not isinstance(illustrative, bool):
        ctx.fail("illustrative", f"must be true or false, not {illustrative!r}")
    notice = document.get("notice", "")
    if not isinstance(notice, str):
        ctx.fail("notice", "must be text")
    if illustrative and not notice.strip():
        ctx.fail("notice", "an illustrative theatre must say so to its users in a notice")
    settings = document.get("settings")
    if not isinstance(settings, dict):
        ctx.fail("settings", "missing: the file needs a settings object (time_zone, dmz_half_width_km, ...)")
    checked = _read_settings(ctx, settings)
    raw_features = document.get("features")
    if not isinstance(raw_features, list) or not raw_features:
        ctx.fail("features", "must be a non-empty list of features")
    features = _read_features(ctx, raw_features)
    projection = line_projection(features.line)
    line_km = to_km(features.line, projection)
    shapely.prepare(line_km)
    return Theatre(
        name=name,
        illustrative=illustrative,
        notice=notice,
        time_zone=checked.time_zone,
        dmz_half_width_km=checked.dmz_half_width_km,
        dmz_edge_km=checked.dmz_edge_km,
        reporting_cutoff=checked.reporting_cutoff,
        key_dates=checked.key_dates,
        zones=features.zones,
        sectors=features.sectors,
        source_sha256=sha256,
        geojson_text=text,
        _zone_areas=features.zone_areas,
        _sector_areas=features.sector_areas,
        _line_km=line_km,
        _projection=projection,
    )


def _check_crs(ctx: _Context, crs: Any) -> None:
    if crs is None:
        return
    properties = crs.get("properties") if isinstance(crs, dict) else None
    crs_name = properties.get("name") if isinstance(properties, dict) else None
    if not isinstance(crs_name, str) or crs_name not in _WGS84_NAMES:
        ctx.fail("crs", f"coordinates must be WGS84 longitude/latitude (CRS84), not {crs_name or crs!r}")


def _text(ctx: _Context, where: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        ctx.fail(where, "missing: must be non-empty text")
    return value.strip()


def _number(ctx: _Context, where: str, value: Any, low: float, high: float, *, low_open: bool) -> float:
    # bool is an int in Python, but "true" is never a width.
    number = _finite(value)
    if number is None:
        ctx.fail(where, f"must be a number, not {value!r}")
    too_low = number <= low if low_open else number < low
    if too_low or number > high:
        bound = "more than" if low_open else "at least"
        ctx.fail(where, f"must be {bound} {low:g} and at most {high:g}, not {value!r}")
    return number


def _finite(value: Any) -> float | None:
    """The value as a finite float, or None for anything else (text, true/false, 1e999, 10**400)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _read_settings(ctx: _Context, settings: dict[str, Any]) -> _Settings:
    for key in settings:
        if key not in _SETTINGS_REQUIRED + _SETTINGS_OPTIONAL:
            ctx.fail(
                f"settings.{key}", f"unknown setting (known: {', '.join(_SETTINGS_REQUIRED + _SETTINGS_OPTIONAL)})"
            )
    for key in _SETTINGS_REQUIRED:
        if key not in settings:
            ctx.fail(f"settings.{key}", "missing")
    time_zone = settings["time_zone"]
    if not isinstance(time_zone, str):
        ctx.fail("settings.time_zone", f"must be an IANA time zone name such as Europe/Kyiv, not {time_zone!r}")
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        ctx.fail("settings.time_zone", f"unknown time zone {time_zone!r} (use an IANA name such as Europe/Kyiv)")
    half_width = _number(
        ctx, "settings.dmz_half_width_km", settings["dmz_half_width_km"], 0.0, _MAX_HALF_WIDTH_KM, low_open=True
    )
    edge = _number(ctx, "settings.dmz_edge_km", settings["dmz_edge_km"], 0.0, half_width, low_open=False)
    if edge >= half_width:
        ctx.fail("settings.dmz_edge_km", f"must be less than dmz_half_width_km ({half_width:g})")
    cutoff_text = settings["reporting_cutoff"]
    cutoff_match = _CUTOFF_PATTERN.fullmatch(cutoff_text) if isinstance(cutoff_text, str) else None
    if cutoff_match is None:
        ctx.fail("settings.reporting_cutoff", f'must be a 24-hour time "HH:MM" such as "19:30", not {cutoff_text!r}')
    cutoff = datetime.time(int(cutoff_match.group(1)), int(cutoff_match.group(2)))
    return _Settings(time_zone, half_width, edge, cutoff, _read_key_dates(ctx, settings.get("key_dates", [])))


def _read_key_dates(ctx: _Context, raw: Any) -> tuple[KeyDate, ...]:
    if not isinstance(raw, list):
        ctx.fail("settings.key_dates", "must be a list of {date, label} objects")
    key_dates: list[KeyDate] = []
    for index, item in enumerate(raw):
        where = f"settings.key_dates[{index}]"
        if not isinstance(item, dict) or set(item) != {"date", "label"}:
            ctx.fail(where, 'must be an object with exactly "date" and "label"')
        date_text = item["date"]
        try:
            if not isinstance(date_text, str) or not _DATE_PATTERN.fullmatch(date_text):
                raise ValueError
            date = datetime.date.fromisoformat(date_text)
        except ValueError:
            ctx.fail(f"{where}.date", f'must be a real date written "YYYY-MM-DD", not {date_text!r}')
        key_dates.append(KeyDate(date, _text(ctx, f"{where}.label", item["label"])))
    return tuple(sorted(key_dates, key=lambda key_date: key_date.date))


# ---------------------------------------------------------------------------------------------
# Features and geometry
# ---------------------------------------------------------------------------------------------


def _read_features(ctx: _Context, features: list[Any]) -> _Features:
    zones: list[Zone] = []
    sectors: list[Sector] = []
    zone_areas: list[_Area] = []
    sector_areas: list[_Area] = []
    lines: list[BaseGeometry] = []
    seen: dict[str, int] = {}
    for index, feature in enumerate(features):
        where = f"features[{index}]"
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            ctx.fail(where, 'not a GeoJSON Feature (needs "type": "Feature")')
        properties = feature.get("properties")
        if not isinstance(properties, dict):
            ctx.fail(f"{where}: properties", "missing: each feature needs kind, id and name")
        raw_id = properties.get("id")
        if not isinstance(raw_id, str) or not _ID_PATTERN.fullmatch(raw_id):
            ctx.fail(
                f"{where}: properties.id",
                f"missing or malformed ({raw_id!r}): use 1-32 letters, digits, '-', '_' or '.'",
            )
        where = f"features[{index}] (id {raw_id!r})"
        if raw_id in seen:
            ctx.fail(f"{where}: properties.id", f"duplicate: features[{seen[raw_id]}] has the same id")
        seen[raw_id] = index
        kind = properties.get("kind")
        if kind not in KINDS:
            ctx.fail(f"{where}: properties.kind", f"must be one of {', '.join(KINDS)}, not {kind!r}")
        feature_name = _text(ctx, f"{where}: properties.name", properties.get("name"))
        name_uk = properties.get("name_uk", feature_name)
        name_uk = _text(ctx, f"{where}: properties.name_uk", name_uk)
        allowed = _LINE_TYPES if kind == "contact_line" else _AREA_TYPES
        geometry = _geometry(ctx, f"{where}: geometry", feature.get("geometry"), allowed)
        if kind == "zone":
            lead = properties.get("lead_nation")
            if lead is not None and (not isinstance(lead, str) or not lead.strip()):
                ctx.fail(f"{where}: properties.lead_nation", f"must be a country name or null, not {lead!r}")
            zones.append(Zone(raw_id, feature_name, name_uk, lead.strip() if lead else None))
            zone_areas.append(_Area.of(raw_id, geometry))
        elif kind == "dmz_sector":
            sectors.append(Sector(raw_id, feature_name, name_uk))
            sector_areas.append(_Area.of(raw_id, geometry))
        else:
            if lines:
                ctx.fail(f"{where}: properties.kind", "a second contact_line: the file must have exactly one")
            lines.append(geometry)
    if not lines:
        ctx.fail("features", "no contact line: one feature must have kind contact_line")
    if not zones:
        ctx.fail("features", "no zones: at least one feature must have kind zone")
    return _Features(tuple(zones), tuple(sectors), tuple(zone_areas), tuple(sector_areas), lines[0])


def _geometry(ctx: _Context, where: str, raw: Any, allowed: tuple[str, ...]) -> BaseGeometry:
    if not isinstance(raw, dict):
        ctx.fail(where, f"missing: must be a {' or '.join(allowed)}")
    kind = raw.get("type")
    if kind not in allowed:
        ctx.fail(f"{where}.type", f"must be {' or '.join(allowed)} for this kind of feature, not {kind!r}")
    coordinates = raw.get("coordinates")
    where = f"{where}.coordinates"
    geometry: BaseGeometry
    if kind == "Polygon":
        geometry = _polygon(ctx, where, coordinates)
    elif kind == "MultiPolygon":
        parts = _list(ctx, where, coordinates, 1, "polygon")
        geometry = MultiPolygon([_polygon(ctx, f"{where}[{i}]", part) for i, part in enumerate(parts)])
    elif kind == "LineString":
        geometry = LineString(_positions(ctx, where, coordinates, 2))
    else:
        parts = _list(ctx, where, coordinates, 1, "line")
        geometry = MultiLineString([_positions(ctx, f"{where}[{i}]", part, 2) for i, part in enumerate(parts)])
    if kind in _LINE_TYPES and any(part.length == 0 for part in shapely.get_parts(geometry)):
        ctx.fail(where, "a line has no length: its points are all the same")
    reason = shapely.is_valid_reason(geometry)
    if reason != "Valid Geometry":
        ctx.fail(where, f"invalid geometry ({reason}); QGIS's Fix Geometries tool can repair it")
    return geometry


def _list(ctx: _Context, where: str, value: Any, minimum: int, what: str) -> list[Any]:
    if not isinstance(value, list) or len(value) < minimum:
        ctx.fail(where, f"must be a list of at least {minimum} {what}")
    return value


def _polygon(ctx: _Context, where: str, rings: Any) -> Polygon:
    rings = _list(ctx, where, rings, 1, "ring")
    checked = []
    for index, ring in enumerate(rings):
        positions = _positions(ctx, f"{where}[{index}]", ring, 4)
        if positions[0] != positions[-1]:
            ctx.fail(f"{where}[{index}]", "the ring is not closed: its last position must repeat the first")
        checked.append(positions)
    return Polygon(checked[0], checked[1:])


def _positions(ctx: _Context, where: str, value: Any, minimum: int) -> list[tuple[float, float]]:
    value = _list(ctx, where, value, minimum, "positions")
    positions: list[tuple[float, float]] = []
    for index, position in enumerate(value):
        numbers = [_finite(c) for c in position] if isinstance(position, list) else []
        if len(numbers) not in (2, 3) or None in numbers:
            ctx.fail(f"{where}[{index}]", f"must be [longitude, latitude] in numbers, not {position!r}")
        lon, lat = numbers[0], numbers[1]
        assert lon is not None and lat is not None  # checked just above; this tells mypy
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            ctx.fail(
                f"{where}[{index}]",
                f"[{lon:g}, {lat:g}] is not a longitude/latitude pair (is the layer in another CRS?)",
            )
        positions.append((lon, lat))
    return positions
