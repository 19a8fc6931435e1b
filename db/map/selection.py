"""Which incidents a filter selects, as masks and columns by rowid: what the map draws from.

The filter's incidents are chosen the way the timeline chooses them (the per-incident arrays of
:mod:`db.trends.incident_cube` for whole days and coded columns, FTS5 rowids for text, SQL for the
rest); nothing here reads a million rows from SQL when the arrays can answer.
"""

import json
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from db.core.sql_driver import sqlite3
from db.records.queries import IncidentFilter, fts_query, where_clause
from db.trends.column_sums import parse_ints, selected
from db.trends.incident_cube import incident_cube_of, matching_rowids
from db.trends.rollups import rollup_filter, split_period
from db.trends.timeline import DIMENSION_COLUMNS, Dimension


@dataclass(frozen=True)
class Selection:
    """The incidents a filter selects, as arrays indexed by rowid (no copies of the in-memory columns).

    ``mask`` says which rowids are chosen; ``count`` and ``codes`` (the split dimension's value, a
    position in ``vocab``) hold every rowid's, chosen or not.
    """

    mask: npt.NDArray[np.bool_]
    count: npt.NDArray[np.integer]
    codes: npt.NDArray[np.integer]
    vocab: list[str | None]


def select(conn: sqlite3.Connection, flt: IncidentFilter, tz: ZoneInfo, dimension: Dimension | None) -> Selection:
    """The incidents ``flt`` selects, whatever its area (the caller applies that to positions)."""
    column = DIMENSION_COLUMNS[dimension] if dimension else None
    flt = replace(flt, area=None)
    rest = rollup_filter(replace(flt, text=""))
    split = split_period(flt.start_utc, flt.end_utc, tz)
    cube = incident_cube_of(conn, tz) if rest is not None else None
    if cube is None or rest is None:
        return _from_sql(conn, flt, column)
    size = len(cube.days)
    if split.whole is not None:
        mask = selected(cube.days, cube.codes, cube.vocab, rest.values, *split.whole)
    else:
        mask = np.zeros(size, dtype=np.bool_)
    if fts_query(flt.text):
        matches = matching_rowids(conn, flt.text)
        words = np.zeros(size, dtype=np.bool_)
        words[matches[matches < size]] = True
        mask &= words
    vocab: list[str | None]
    codes: npt.NDArray[np.integer]
    if column is None:
        codes, vocab = np.zeros(size, dtype=np.int8), [None]
    else:
        codes, vocab = cube.codes[column], [value or None for value in cube.vocab[column]]
    chosen = Selection(mask, cube.count, codes, vocab)
    for start, end in split.edges:
        # Part days at either end of the period (a filter the filter bar never makes): from SQL.
        chosen = _union(chosen, _from_sql(conn, replace(flt, start_utc=start, end_utc=end), column))
    return chosen


def _from_sql(conn: sqlite3.Connection, flt: IncidentFilter, column: str | None) -> Selection:
    """:func:`select` for filters the in-memory arrays cannot answer (conflicts only, part days)."""
    where, params = where_clause(flt)
    value = f"coalesce({column}, '')" if column else "''"
    found = conn.execute(f"SELECT json_group_array(DISTINCT {value}) FROM incidents WHERE {where}", params)
    vocab_raw: list[str] = sorted(json.loads(found.fetchone()[0])) or [""]
    cases = " ".join(f"WHEN ? THEN {i}" for i in range(len(vocab_raw)))
    row = conn.execute(
        f"SELECT group_concat(rowid), group_concat(count), group_concat(code) FROM "
        f"(SELECT rowid, count, CASE {value} {cases} ELSE 0 END AS code FROM incidents WHERE {where} ORDER BY rowid)",
        [*vocab_raw, *params],
    ).fetchone()
    rowids = parse_ints(row[0])
    size = int(rowids.max()) + 1 if len(rowids) else 0
    mask = np.zeros(size, dtype=np.bool_)
    count = np.zeros(size, dtype=np.int64)
    codes = np.zeros(size, dtype=np.int64)
    mask[rowids], count[rowids], codes[rowids] = True, parse_ints(row[1]), parse_ints(row[2])
    return Selection(mask, count, codes, [v or None for v in vocab_raw])


def _union(a: Selection, b: Selection) -> Selection:
    """Both selections (``b``'s codes translated into ``a``'s vocabulary, extended as needed)."""
    vocab = list(a.vocab)
    for value in b.vocab:
        if value not in vocab:
            vocab.append(value)
    translate = np.array([vocab.index(v) for v in b.vocab], dtype=np.int64)
    size = max(len(a.mask), len(b.mask))
    mask = np.zeros(size, dtype=np.bool_)
    count = np.zeros(size, dtype=np.int64)
    codes = np.zeros(size, dtype=np.int64)
    mask[: len(a.mask)], count[: len(a.count)], codes[: len(a.codes)] = a.mask, a.count, a.codes
    rows = np.flatnonzero(b.mask)
    mask[rows], count[rows], codes[rows] = True, b.count[rows], translate[b.codes[rows]]
    return Selection(mask, count, codes, vocab)
