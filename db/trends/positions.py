"""Every incident's map position, in memory by rowid, so the map never scans a million rows in SQL.

The map asks "what lies in this rectangle under this filter" at every pan, zoom and filter
change. ``incidents`` has no spatial index (and a new index would cost every save), while two
float arrays by rowid answer the question in a few milliseconds with numpy: 16 MB for a million
incidents (map position, and the observer's position when an event position is also known).

The copy follows the database by its versions: ``incident_versions`` is append-only and every
change to ``incidents`` comes with new versions (db.storage.projection), so the incidents named by the
versions added since the copy was made are the only ones to read again. A rebuilt projection
(new rollup epoch) or fewer versions than before (a restored backup) reloads everything.
"""

from dataclasses import dataclass, field
from threading import Lock

import numpy as np
import numpy.typing as npt

from db.core.sql_driver import sqlite3
from db.records.queries import MAP_LAT, MAP_LON, Area
from db.storage.meta import get_meta
from db.trends.column_sums import META_EPOCH, parse_ints

Floats = npt.NDArray[np.float32]

# The observer's position, kept only when the map position is the event's (for the joining line).
OBS_LAT = "CASE WHEN event_lat IS NOT NULL THEN observer_lat END"
OBS_LON = "CASE WHEN event_lat IS NOT NULL THEN observer_lon END"


@dataclass(frozen=True)
class PositionStamp:
    path: str
    epoch: str
    versions: int


@dataclass(frozen=True)
class Positions:
    """Map and observer positions by rowid (NaN: no position, or no incident at that rowid)."""

    stamp: PositionStamp
    lat: Floats
    lon: Floats
    obs_lat: Floats
    obs_lon: Floats
    since: PositionStamp | None = None
    """The stamp of the copy this one was refreshed from (None: read whole), and the rowids read again:
    what a structure built on the older copy must look at to follow (db.map.spatial)."""
    changed: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


_SLICE = 100_000
_copies: dict[str, Positions] = {}
_lock = Lock()


def positions_of(conn: sqlite3.Connection) -> Positions:
    """The up-to-date positions of ``conn``'s database (read whole for a database in memory)."""
    stamp = position_stamp(conn)
    with _lock:
        copy = _copies.get(stamp.path) if stamp.path else None
        if copy is None or copy.stamp.epoch != stamp.epoch or copy.stamp.versions > stamp.versions:
            copy = _load(conn, stamp)
        elif copy.stamp.versions < stamp.versions:
            copy = _refreshed(conn, copy, stamp)
        if stamp.path:
            _copies[stamp.path] = copy
    return copy


def positions_loaded(conn: sqlite3.Connection) -> bool:
    """Whether this process holds a copy of ``conn``'s positions (possibly a few versions behind)."""
    path = conn.execute("SELECT file FROM pragma_database_list WHERE name = 'main'").fetchone()[0] or ""
    with _lock:
        return bool(path) and path in _copies


def position_stamp(conn: sqlite3.Connection) -> PositionStamp:
    path = conn.execute("SELECT file FROM pragma_database_list WHERE name = 'main'").fetchone()[0] or ""
    epoch = get_meta(conn, META_EPOCH)
    versions = conn.execute("SELECT coalesce(max(rowid), 0) FROM incident_versions").fetchone()[0]
    return PositionStamp(path, epoch or "", int(versions))


def _read(
    conn: sqlite3.Connection, where: str, params: tuple[object, ...]
) -> tuple[npt.NDArray[np.int64], list[Floats]]:
    """Rowids and the four position columns of the selected incidents (NaN for a missing value)."""
    columns = (MAP_LAT, MAP_LON, OBS_LAT, OBS_LON)
    parts = ["group_concat(rowid)", *(f"group_concat(coalesce({c}, 'nan'))" for c in columns)]
    texts = conn.execute(f"SELECT {', '.join(parts)} FROM incidents {where}", params).fetchone()
    rowids = parse_ints(texts[0])
    values = [
        np.fromstring(text, dtype=np.float64, sep=",").astype(np.float32) if text else np.zeros(0, np.float32)
        for text in texts[1:]
    ]
    return rowids, values


def _arrays(size: int) -> list[Floats]:
    return [np.full(size, np.nan, dtype=np.float32) for _ in range(4)]


def _load(conn: sqlite3.Connection, stamp: PositionStamp) -> Positions:
    """Read every position, in slices of rowids so that no text SQLite hands over is large."""
    top = int(conn.execute("SELECT coalesce(max(rowid), 0) FROM incidents").fetchone()[0])
    arrays = _arrays(top + 1)
    for first in range(0, top + 1, _SLICE):
        rowids, values = _read(conn, "WHERE rowid >= ? AND rowid < ?", (first, first + _SLICE))
        for array, column in zip(arrays, values, strict=True):
            array[rowids] = column
    lat, lon, obs_lat, obs_lon = arrays
    return Positions(stamp, lat, lon, obs_lat, obs_lon)


def _refreshed(conn: sqlite3.Connection, copy: Positions, stamp: PositionStamp) -> Positions:
    rowids, values = _read(
        conn,
        "WHERE incident_id IN (SELECT incident_id FROM incident_versions WHERE rowid > ?)",
        (copy.stamp.versions,),
    )
    old = [copy.lat, copy.lon, copy.obs_lat, copy.obs_lon]
    size = max(len(copy.lat), int(rowids.max()) + 1 if len(rowids) else 0)
    arrays = _arrays(size)
    for array, previous, column in zip(arrays, old, values, strict=True):
        array[: len(previous)] = previous
        array[rowids] = column
    lat, lon, obs_lat, obs_lon = arrays
    return Positions(stamp, lat, lon, obs_lat, obs_lon, since=copy.stamp, changed=rowids)


def rowids_in_area(conn: sqlite3.Connection, area: Area) -> npt.NDArray[np.int64]:
    """Rowids (ascending) of the incidents whose map position lies in ``area`` (edges included)."""
    positions = positions_of(conn)
    lat, lon = positions.lat, positions.lon
    inside = (lat >= area.south) & (lat <= area.north) & (lon >= area.west) & (lon <= area.east)
    return np.flatnonzero(inside).astype(np.int64)
