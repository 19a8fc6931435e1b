"""The mission's own map layers: GeoJSON points, lines and polygons (from QGIS), kept with the theatre.

A mission draws its observation posts, patrol routes or crossing points in QGIS; the map shows
them beneath the incidents. A layer file is hostile input like any other: it is read whole only
below a size limit, must be a GeoJSON FeatureCollection of the six simple geometry types with
finite WGS84 coordinates, and is refused as a whole with the feature and the reason otherwise.
Accepted layers are stored in ``meta`` under the theatre's hash, in the same database (and so the
same backups) as the theatre, and a theatre file loaded later starts without them.
"""

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from db.core.errors import TrucelineError
from db.core.sql_driver import sqlite3
from db.model.theatre import Theatre
from db.storage.connection import transaction
from db.storage.meta import set_meta

MAX_LAYER_BYTES = 10 * 1024 * 1024
MAX_FEATURES = 20_000
MAX_LAYERS = 20
_GEOMETRIES = ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon")


class LayerError(TrucelineError):
    """A layer file that cannot be used; the message names the file, the feature and the reason."""


Ring = tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class LayerFeature:
    """One feature: ``kind`` point, line or polygon; ``parts`` its rings (points: one ring of one pair)."""

    kind: str
    parts: tuple[tuple[Ring, ...], ...]
    name: str


@dataclass(frozen=True)
class UserLayer:
    name: str
    features: tuple[LayerFeature, ...]
    geojson_text: str


def read_layer(path: Path) -> UserLayer:
    """Read and check a layer file; raises :class:`LayerError` naming what is wrong."""
    try:
        size = path.stat().st_size
        if size > MAX_LAYER_BYTES:
            raise LayerError(f"{path.name}: {size / 1e6:.1f} MB; a layer may be at most {MAX_LAYER_BYTES // 2**20} MB")
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as error:
        raise LayerError(f"{path.name}: cannot read the file ({error.strerror or error})") from error
    except UnicodeDecodeError as error:
        raise LayerError(f"{path.name}: not UTF-8 text (byte {error.start})") from error
    return parse_layer(text, path.stem)


def parse_layer(text: str, name: str) -> UserLayer:
    """Check GeoJSON ``text`` as a layer called ``name``."""
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except ValueError as error:
        raise LayerError(f"{name}: not valid JSON ({error})") from error
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise LayerError(f"{name}: not a GeoJSON FeatureCollection")
    features = data.get("features")
    if not isinstance(features, list) or not features:
        raise LayerError(f"{name}: the collection has no features")
    if len(features) > MAX_FEATURES:
        raise LayerError(f"{name}: {len(features):,} features; a layer may have at most {MAX_FEATURES:,}")
    out = []
    for n, feature in enumerate(features, start=1):
        where = f"{name}, feature {n}"
        if not isinstance(feature, dict) or not isinstance(feature.get("geometry"), dict):
            raise LayerError(f"{where}: not a feature with a geometry")
        props = feature.get("properties") if isinstance(feature.get("properties"), dict) else {}
        label = props.get("name") if isinstance(props, dict) else None
        out.append(_feature(where, feature["geometry"], str(label) if label is not None else ""))
    return UserLayer(name[:80], tuple(out), text)


def _no_constant(value: str) -> Any:
    raise ValueError(f"{value} is not a number")


def _feature(where: str, geometry: dict[str, Any], name: str) -> LayerFeature:
    kind = geometry.get("type")
    coords: Any = geometry.get("coordinates")
    if not isinstance(coords, list):
        raise LayerError(f"{where}: the geometry has no coordinates")
    if kind not in _GEOMETRIES:
        raise LayerError(f"{where}: geometry {kind!r} is not one of {', '.join(_GEOMETRIES)}")
    try:
        if kind == "Point":
            return LayerFeature("point", (((_position(coords),),),), name)
        if kind == "MultiPoint":
            return LayerFeature("point", tuple(((_position(p),),) for p in coords), name)
        if kind == "LineString":
            return LayerFeature("line", ((_ring(coords, 2),),), name)
        if kind == "MultiLineString":
            return LayerFeature("line", tuple((_ring(line, 2),) for line in coords), name)
        if kind == "Polygon":
            return LayerFeature("polygon", (tuple(_ring(r, 4) for r in coords),), name)
        return LayerFeature("polygon", tuple(tuple(_ring(r, 4) for r in poly) for poly in coords), name)
    except (TypeError, ValueError) as error:
        raise LayerError(f"{where}: {error}") from error


def _position(value: Any) -> tuple[float, float]:
    if not isinstance(value, list) or len(value) < 2:
        raise ValueError("a position must be [longitude, latitude]")
    lon, lat = value[0], value[1]
    if not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in (lon, lat)):
        raise ValueError(f"{value[:2]!r} is not a position in numbers")
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValueError(
            f"{value[:2]!r} is not a WGS84 longitude, latitude (is the layer projected? export as EPSG:4326)"
        )
    return float(lon), float(lat)


def _ring(value: Any, minimum: int) -> Ring:
    if not isinstance(value, list) or len(value) < minimum:
        raise ValueError(f"a line or ring needs at least {minimum} positions")
    return tuple(_position(p) for p in value)


def _key(theatre: Theatre) -> str:
    return f"map_layers:{theatre.source_sha256}"


def stored_layers(conn: sqlite3.Connection, theatre: Theatre) -> list[UserLayer]:
    """The layers kept with ``theatre``, in the order they were added."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (_key(theatre),)).fetchone()
    if row is None:
        return []
    return [parse_layer(item["geojson"], item["name"]) for item in json.loads(row[0])]


def add_layer(conn: sqlite3.Connection, theatre: Theatre, layer: UserLayer) -> list[UserLayer]:
    """Keep ``layer`` with ``theatre`` (replacing one of the same name); returns the layers now kept."""
    layers = [kept for kept in stored_layers(conn, theatre) if kept.name != layer.name]
    if len(layers) >= MAX_LAYERS:
        raise LayerError(f"{layer.name}: a theatre may have at most {MAX_LAYERS} layers; remove one first")
    layers.append(layer)
    _store(conn, theatre, layers)
    return layers


def remove_layer(conn: sqlite3.Connection, theatre: Theatre, name: str) -> list[UserLayer]:
    layers = [kept for kept in stored_layers(conn, theatre) if kept.name != name]
    _store(conn, theatre, layers)
    return layers


def _store(conn: sqlite3.Connection, theatre: Theatre, layers: list[UserLayer]) -> None:
    value = json.dumps([{"name": layer.name, "geojson": layer.geojson_text} for layer in layers], ensure_ascii=False)
    with transaction(conn):
        set_meta(conn, _key(theatre), value)
