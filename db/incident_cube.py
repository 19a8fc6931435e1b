"""What each incident adds to a timeline, in memory by rowid, for text searches that match many.

A text filter cannot be answered by the rollups: every match must be looked up. A common word
matches a fifth of a million incidents, and SQLite's 200,000 lookups into the wide ``incidents``
table take a quarter of a second, five times the timeline's budget (DESIGN.md §10). FTS5 lists
the matching rowids in a few tens of milliseconds; with each incident's day, count and filter
columns held in numpy arrays indexed by rowid, the sums over those rowids take a few more.

The arrays are kept exact the way :mod:`db.day_cube` keeps its copy: a change to any column
held here changes ``daily_counts`` and so stamps the incident's old and new days in
``rollup_days``; the arrays then reload the incidents observed on those days (through the index
on ``observed_start``). A rebuilt projection (new epoch) or a generation that went back reloads
everything. Loading a million incidents is one scan of the table (about a second), which the
start-up check does in the background.
"""

import json
import re
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from threading import Lock
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from db.day_cube import META_EPOCH
from db.queries import fts_query, utc_text

# The incident columns a timeline filters or splits by (a missing sector is held as '').
CODED = ("zone_id", "sector_id", "category", "obs_type", "weapon_class", "verification_state")
_EPOCH_DAY = date(1970, 1, 1)
_DAY_NUMBER = "CAST(julianday(obs_day) - 2440587.5 AS INTEGER)"
_VALUE = {"sector_id": "coalesce(sector_id, '')"}

Ints = npt.NDArray[np.integer]
# Small types: a million incidents take 21 MB (codes are positions in short vocabularies).
_DTYPES: dict[str, type[np.integer]] = {"day": np.int32, "late": np.int8, "count": np.int32}


@dataclass(frozen=True)
class IncidentSums:
    """One group: the grouped values, the local day, the sum and the part after the cut-off."""

    values: tuple[str | None, ...]
    day: date
    total: int
    late: int


class IncidentCube:
    """Per-incident columns by rowid (day -1: no incident there) at generation ``gen``."""

    def __init__(
        self,
        epoch: str,
        gen: int,
        days: Ints,
        late: Ints,
        count: Ints,
        codes: dict[str, Ints],
        vocab: dict[str, list[str]],
    ) -> None:
        self.epoch = epoch
        self.gen = gen
        self.days = days
        self.late = late
        self.count = count
        self.codes = codes
        self.vocab = vocab

    def sums(
        self,
        rowids: Ints,
        group: Sequence[str],
        where: Sequence[tuple[str, Sequence[str]]],
        first: date | None,
        last: date | None,
        measure: str,
    ) -> Iterator[IncidentSums]:
        """Sums of ``measure`` over the incidents ``rowids`` that match ``where``, per group and day."""
        rowids = rowids[rowids < len(self.days)]
        days = self.days[rowids]
        mask = days >= 0
        if first is not None:
            mask &= days >= (first - _EPOCH_DAY).days
        if last is not None:
            mask &= days <= (last - _EPOCH_DAY).days
        for column, allowed in where:
            wanted = [self.vocab[column].index(v) for v in allowed if v in self.vocab[column]]
            mask &= np.isin(self.codes[column][rowids], np.array(wanted, dtype=np.int64))
        chosen = rowids[mask]
        if len(chosen) == 0:
            return
        days = days[mask]
        low = int(days.min())
        span = int(days.max()) - low + 1
        key = days.astype(np.int64) - low
        width = 1
        for column in reversed(group):
            key = key + self.codes[column][chosen].astype(np.int64) * (span * width)
            width *= len(self.vocab[column])
        values = self.count[chosen].astype(np.int64) if measure == "violations" else np.ones(len(chosen), np.int64)
        size = span * width
        totals = np.bincount(key, weights=values, minlength=size)
        lates = np.bincount(key, weights=values * self.late[chosen], minlength=size)
        for index in np.flatnonzero(totals):
            rest, offset = divmod(int(index), span)
            picked: list[str | None] = []
            for column in reversed(group):
                rest, code = divmod(rest, len(self.vocab[column]))
                picked.append(self.vocab[column][code] or None)
            day = _EPOCH_DAY + timedelta(days=low + offset)
            yield IncidentSums(tuple(reversed(picked)), day, int(totals[index]), int(lates[index]))


_cubes: dict[str, IncidentCube] = {}
_lock = Lock()


def incident_cube_of(conn: sqlite3.Connection, tz: ZoneInfo) -> IncidentCube | None:
    """The up-to-date arrays of ``conn``'s database (None for a database that is not a file)."""
    path = conn.execute("SELECT file FROM pragma_database_list WHERE name = 'main'").fetchone()[0]
    if not path:
        return None
    epoch_row = conn.execute("SELECT value FROM meta WHERE key = ?", (META_EPOCH,)).fetchone()
    epoch = str(epoch_row[0]) if epoch_row else ""
    gen = int(conn.execute("SELECT coalesce(max(gen), 0) FROM rollup_days").fetchone()[0])
    with _lock:
        cube = _cubes.get(path)
        if cube is None or cube.epoch != epoch or cube.gen > gen:
            cube = _load(conn, epoch, gen)
        elif cube.gen < gen:
            cube = _refreshed(conn, cube, gen, tz)
        _cubes[path] = cube
    return cube


def matching_rowids(conn: sqlite3.Connection, text: str) -> Ints:
    """Rowids of the incidents whose words match what the user typed (every word as a prefix)."""
    query = _exact_terms(conn, text)
    if query is None:
        query = fts_query(text)
    if not query:
        return np.zeros(0, dtype=np.int64)  # no word typed, or one that starts no indexed term
    found = conn.execute(
        "SELECT group_concat(rowid) FROM incidents_fts WHERE incidents_fts MATCH ?", (query,)
    ).fetchone()[0]
    return _ints(found) if found else np.zeros(0, dtype=np.int64)


_PLAIN_WORD = re.compile(r"[A-Za-z0-9]+")
_MAX_TERMS = 20


def _exact_terms(conn: sqlite3.Connection, text: str) -> str | None:
    """The prefix query as the exact terms it stands for ("tracer"* is "tracer" OR "tracers").

    FTS5 answers a prefix by walking every term that has it, several times slower than the
    terms themselves on a word a fifth of the incidents hold. The terms come from the index's
    own vocabulary. Only plain ASCII words are expanded (the tokenizer folds them by lowercasing
    alone), and only into a few terms; otherwise None: use the prefix query. "" means a word
    starts no term at all.
    """
    words = re.findall(r"\w+", text, flags=re.UNICODE)
    if not words or not all(_PLAIN_WORD.fullmatch(w) for w in words):
        return None
    conn.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.incidents_fts_terms USING fts5vocab(main, incidents_fts, row)"
    )
    groups = []
    for word in words:
        low = word.lower()
        after = low[:-1] + chr(ord(low[-1]) + 1)
        terms = [
            r[0]
            for r in conn.execute(
                "SELECT term FROM temp.incidents_fts_terms WHERE term >= ? AND term < ? LIMIT ?",
                (low, after, _MAX_TERMS + 1),
            )
        ]
        if len(terms) > _MAX_TERMS:
            return None
        if not terms:
            return ""
        groups.append("(" + " OR ".join(f'"{term}"' for term in terms) + ")")
    return " AND ".join(groups)


def _read(
    conn: sqlite3.Connection, where: str, params: Sequence[str]
) -> tuple[Ints, dict[str, Ints], dict[str, list[str]]]:
    """Rowids, then day, late, count and every coded column of the selected incidents."""
    values = ", ".join(f"json_group_array(DISTINCT {_VALUE.get(c, c)})" for c in CODED)
    row = conn.execute(f"SELECT {values} FROM incidents {where}", list(params)).fetchone()
    vocab = {column: sorted(json.loads(text)) for column, text in zip(CODED, row, strict=True)}
    parts = ["group_concat(rowid)", f"group_concat({_DAY_NUMBER})", "group_concat(report_day > obs_day)"]
    parts.append("group_concat(count)")
    case_params: list[str] = []
    for column in CODED:
        cases = " ".join(f"WHEN ? THEN {i}" for i in range(len(vocab[column])))
        parts.append(f"group_concat(CASE {_VALUE.get(column, column)} {cases} END)" if cases else "''")
        case_params += vocab[column]
    texts = conn.execute(f"SELECT {', '.join(parts)} FROM incidents {where}", [*case_params, *params]).fetchone()
    columns = {
        name: _ints(text or "") for name, text in zip(("rowid", "day", "late", "count", *CODED), texts, strict=True)
    }
    rowids = columns.pop("rowid")
    return rowids, columns, vocab


def _load(conn: sqlite3.Connection, epoch: str, gen: int) -> IncidentCube:
    rowids, columns, vocab = _read(conn, "", ())
    size = int(rowids.max()) + 1 if len(rowids) else 0
    arrays = {}
    for name in ("day", "late", "count", *CODED):
        array = np.full(size, -1, dtype=_DTYPES.get(name, np.int16)) if name == "day" else _zeros(name, size)
        array[rowids] = columns[name]
        arrays[name] = array
    codes = {c: arrays[c] for c in CODED}
    return IncidentCube(epoch, gen, arrays["day"], arrays["late"], arrays["count"], codes, vocab)


def _zeros(name: str, size: int) -> Ints:
    return np.zeros(size, dtype=_DTYPES.get(name, np.int16))


def _refreshed(conn: sqlite3.Connection, cube: IncidentCube, gen: int, tz: ZoneInfo) -> IncidentCube:
    """The arrays with the incidents observed on days changed since the cube's generation read again."""
    changed = sorted(
        date.fromisoformat(r[0]) for r in conn.execute("SELECT day FROM rollup_days WHERE gen > ?", (cube.gen,))
    )
    if not changed:
        return IncidentCube(cube.epoch, gen, cube.days, cube.late, cube.count, cube.codes, cube.vocab)
    ranges, params = [], []
    for day in changed:
        ranges.append("(observed_start >= ? AND observed_start < ?)")
        params += [
            utc_text(datetime.combine(day, time(0), tz)),
            utc_text(datetime.combine(day + timedelta(days=1), time(0), tz)),
        ]
    rowids, columns, fresh_vocab = _read(conn, f"WHERE {' OR '.join(ranges)}", params)
    size = max(len(cube.days), int(rowids.max()) + 1 if len(rowids) else 0)
    grow = size - len(cube.days)
    days = np.concatenate([cube.days, np.full(grow, -1, dtype=cube.days.dtype)])
    late = np.concatenate([cube.late, _zeros("late", grow)])
    count = np.concatenate([cube.count, _zeros("count", grow)])
    # Incidents that left the changed days were read again wherever they went (both days are
    # stamped); any still showing one of those days is no longer there.
    numbers = np.array([(d - _EPOCH_DAY).days for d in changed], dtype=np.int64)
    days[np.isin(days, numbers)] = -1
    days[rowids] = columns["day"]
    late[rowids] = columns["late"]
    count[rowids] = columns["count"]
    vocab = {c: list(cube.vocab[c]) for c in CODED}
    codes = {}
    for column in CODED:
        for value in fresh_vocab[column]:
            if value not in vocab[column]:
                vocab[column].append(value)
        translate = np.array([vocab[column].index(v) for v in fresh_vocab[column]] or [0], dtype=np.int64)
        array = np.concatenate([cube.codes[column], _zeros(column, grow)])
        array[rowids] = translate[columns[column]]
        codes[column] = array
    return IncidentCube(cube.epoch, gen, days, late, count, codes, vocab)


def _midnight(day: date, tz: ZoneInfo) -> str:
    return utc_text(datetime.combine(day, time(0), tz))


def _ints(text: str) -> Ints:
    return np.fromstring(text, dtype=np.int64, sep=",") if text else np.zeros(0, dtype=np.int64)
