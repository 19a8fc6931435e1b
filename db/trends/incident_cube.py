"""What each incident adds to a timeline, in memory by rowid, for text searches that match many.

A text filter cannot be answered by the rollups: every match must be looked up. A common word
matches a fifth of a million incidents, and SQLite's 200,000 lookups into the wide ``incidents``
table take a quarter of a second, five times the timeline's budget (ARCHITECTURE.md §10). FTS5 lists
the matching rowids in a few tens of milliseconds; with each incident's day, count and filter
columns held in numpy arrays indexed by rowid, the sums over those rowids take a few more.

The arrays are kept exact the way :mod:`db.trends.day_cube` keeps its copy: a change to any column
held here changes ``daily_counts`` and so stamps the incident's old and new days in
``rollup_days``; the arrays then reload the incidents observed on those days (through the index
on ``observed_start``). A rebuilt projection (new epoch) or a generation that went back reloads
everything. Loading a million incidents is one scan of the table (about a second), which the
start-up check does in the background.
"""

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from db.core.sql_driver import sqlite3
from db.records.queries import fts_query, utc_text
from db.trends.column_sums import (
    Copies,
    GroupSums,
    Ints,
    Stamp,
    changed_days,
    day_number,
    day_number_sql,
    group_sums,
    merged_vocabulary,
    parse_ints,
    selected,
)

# The incident columns a timeline filters or splits by (a missing sector is held as '').
CODED = ("zone_id", "sector_id", "category", "obs_type", "weapon_class", "verification_state")
_VALUE = {"sector_id": "coalesce(sector_id, '')"}
# Small types: a million incidents take 21 MB (codes are positions in short vocabularies).
_DTYPES: dict[str, type[np.integer]] = {"day": np.int32, "late": np.int8, "count": np.int32}
_SLICE = 100_000


@dataclass(frozen=True)
class IncidentCube:
    """Per-incident columns by rowid (day -1: no incident there) as of ``stamp``."""

    stamp: Stamp
    days: Ints
    late: Ints
    count: Ints
    codes: dict[str, Ints]
    vocab: dict[str, list[str]]

    def sums(
        self,
        rowids: Ints,
        group: Sequence[str],
        where: Sequence[tuple[str, Sequence[str]]],
        first: date | None,
        last: date | None,
        measure: str,
    ) -> Iterator[GroupSums]:
        """Sums of ``measure`` over the incidents ``rowids`` that match ``where``, per group and day."""
        rowids = rowids[rowids < len(self.days)]
        codes = {c: self.codes[c][rowids] for c in {*group, *(column for column, _ in where)}}
        mask = selected(self.days[rowids], codes, self.vocab, where, first, last)
        chosen = rowids[mask]
        values = self.count[chosen] if measure == "violations" else np.ones(len(chosen), dtype=np.int64)
        late = self.late[chosen].astype(np.bool_)
        grouped = {c: self.codes[c][chosen] for c in group}
        yield from group_sums(self.days[chosen], late, grouped, self.vocab, group, values)


_copies: Copies[IncidentCube] = Copies()


def incident_cube_of(conn: sqlite3.Connection, tz: ZoneInfo) -> IncidentCube | None:
    """The up-to-date arrays of ``conn``'s database (None for a database that is not a file).

    ``tz`` is the theatre's time zone, in which the stored days were computed.
    """
    return _copies.current(conn, _load, lambda c, cube, stamp: _refreshed(c, cube, stamp, tz))


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
    return parse_ints(found)


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


def _read(conn: sqlite3.Connection, where: str, params: Sequence[str]) -> tuple[dict[str, Ints], dict[str, list[str]]]:
    """Rowid, day, late, count and every coded column of the selected incidents, and the vocabularies."""
    vocab = _vocabularies(conn, where, params)
    return _columns(conn, where, params, vocab), vocab


def _vocabularies(conn: sqlite3.Connection, where: str, params: Sequence[object]) -> dict[str, list[str]]:
    lists = ", ".join(f"json_group_array(DISTINCT {_VALUE.get(c, c)})" for c in CODED)
    found = conn.execute(f"SELECT {lists} FROM incidents {where}", list(params)).fetchone()
    return {column: sorted(json.loads(text)) for column, text in zip(CODED, found, strict=True)}


def _columns(
    conn: sqlite3.Connection, where: str, params: Sequence[object], vocab: dict[str, list[str]]
) -> dict[str, Ints]:
    """The selected incidents' columns, coded by positions in ``vocab`` (which holds every value they take)."""
    parts = [
        "group_concat(rowid)",
        f"group_concat({day_number_sql('obs_day')})",
        "group_concat(report_day > obs_day)",
        "group_concat(count)",
    ]
    case_params: list[str] = []
    for column in CODED:
        cases = " ".join(f"WHEN ? THEN {i}" for i in range(len(vocab[column])))
        parts.append(f"group_concat(CASE {_VALUE.get(column, column)} {cases} END)" if cases else "NULL")
        case_params += vocab[column]
    texts = conn.execute(f"SELECT {', '.join(parts)} FROM incidents {where}", [*case_params, *params]).fetchone()
    names = ("rowid", "day", "late", "count", *CODED)
    return {name: parse_ints(text) for name, text in zip(names, texts, strict=True)}


def _empty(name: str, size: int) -> Ints:
    if name == "day":
        return np.full(size, -1, dtype=np.int32)
    return np.zeros(size, dtype=_DTYPES.get(name, np.int16))


def _load(conn: sqlite3.Connection, stamp: Stamp) -> IncidentCube:
    """Read every incident, in slices of rowids: the text SQLite hands over for a million at once, and
    the numbers parsed from it, would take four times the arrays' memory for a moment (and the C
    allocator keeps much of what a process once held)."""
    vocab = _vocabularies(conn, "", ())
    top = int(conn.execute("SELECT coalesce(max(rowid), 0) FROM incidents").fetchone()[0])
    size = top + 1 if top else 0
    arrays = {name: _empty(name, size) for name in ("day", "late", "count", *CODED)}
    for first in range(0, size, _SLICE):
        columns = _columns(conn, "WHERE rowid >= ? AND rowid < ?", (first, first + _SLICE), vocab)
        for name, array in arrays.items():
            array[columns["rowid"]] = columns[name]
    return IncidentCube(stamp, arrays["day"], arrays["late"], arrays["count"], {c: arrays[c] for c in CODED}, vocab)


def _refreshed(conn: sqlite3.Connection, cube: IncidentCube, stamp: Stamp, tz: ZoneInfo) -> IncidentCube:
    """The arrays with the incidents observed on days changed since the cube's generation read again."""
    changed = [date.fromisoformat(d) for d in changed_days(conn, cube.stamp.gen)]
    if not changed:
        return IncidentCube(stamp, cube.days, cube.late, cube.count, cube.codes, cube.vocab)
    ranges = " OR ".join("(observed_start >= ? AND observed_start < ?)" for _ in changed)
    params = [bound for day in changed for bound in (_midnight(day, tz), _midnight(day + timedelta(days=1), tz))]
    columns, fresh_vocab = _read(conn, f"WHERE {ranges}", params)
    rowids = columns["rowid"]
    size = max(len(cube.days), int(rowids.max()) + 1 if len(rowids) else 0)
    grow = size - len(cube.days)
    arrays = {
        "day": np.concatenate([cube.days, _empty("day", grow)]),
        "late": np.concatenate([cube.late, _empty("late", grow)]),
        "count": np.concatenate([cube.count, _empty("count", grow)]),
    }
    # An incident that left a changed day was read again wherever it went (both days are
    # stamped); any still showing one of those days is no longer there.
    numbers = np.array([day_number(d) for d in changed], dtype=np.int32)
    arrays["day"][np.isin(arrays["day"], numbers)] = -1
    for name in ("day", "late", "count"):
        arrays[name][rowids] = columns[name]
    vocab, codes = {}, {}
    for column in CODED:
        vocab[column], translate = merged_vocabulary(cube.vocab[column], fresh_vocab[column])
        codes[column] = np.concatenate([cube.codes[column], _empty(column, grow)])
        codes[column][rowids] = translate[columns[column]]
    return IncidentCube(stamp, arrays["day"], arrays["late"], arrays["count"], codes, vocab)


def _midnight(day: date, tz: ZoneInfo) -> str:
    return utc_text(datetime.combine(day, time(0), tz))
