"""``daily_counts`` held in memory as numpy columns, for the timelines no narrow rollup answers.

A filter that touches where, what and the verification state at once (say the EAST zone and
verified, split by observation type) can only be summed from ``daily_counts``: about half a row
per incident, 510,000 rows on a million incidents, which SQLite reads in 40 ms before it filters
and sorts anything, twice the timeline's budget (ARCHITECTURE.md §10). The same sums over numpy
columns of small integer codes take a few milliseconds (db/trends/column_sums.py).

The copy is loaded once per database file (one scan, the columns joined into strings by SQLite
and parsed by numpy: well under a second on a million incidents) and kept exact afterwards
without re-reading it: every transaction that changes ``daily_counts`` stamps the days it changed
with a new generation in ``rollup_days`` (:func:`db.storage.projection.refresh_rollups`), and the copy
reloads just those days. Rebuilding the projection gives the database a new ``rollup_epoch``,
which makes the copy reload everything; so does a generation that went backwards (a restored
backup).
"""

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from db.core.sql_driver import sqlite3
from db.storage.rollup_schema import DAILY_COUNTS_KEY
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

# The key columns kept as codes (the day is kept as a day number, the reporting day as "late").
CODED = tuple(c for c in DAILY_COUNTS_KEY if c not in ("day", "report_day"))


@dataclass(frozen=True)
class DayCube:
    """The columns of ``daily_counts`` as of ``stamp``."""

    stamp: Stamp
    days: Ints
    late: Ints
    codes: dict[str, Ints]
    vocab: dict[str, list[str]]
    measures: dict[str, Ints]

    def __len__(self) -> int:
        return len(self.days)

    def sums(
        self,
        group: Sequence[str],
        where: Sequence[tuple[str, Sequence[str]]],
        first: date | None,
        last: date | None,
        measure: str,
    ) -> Iterator[GroupSums]:
        """Sums of ``measure`` per ``group`` values and day over rows matching ``where``.

        ``where`` pairs a key column with the values it may take; days ``first``..``last``
        inclusive (None: no bound).
        """
        mask = selected(self.days, self.codes, self.vocab, where, first, last)
        codes = {c: self.codes[c][mask] for c in group}
        late = self.late[mask].astype(np.bool_)
        yield from group_sums(self.days[mask], late, codes, self.vocab, group, self.measures[measure][mask])


_copies: Copies[DayCube] = Copies()


def cube_of(conn: sqlite3.Connection) -> DayCube | None:
    """The up-to-date cube of ``conn``'s database (None for a database that is not a file)."""
    return _copies.current(conn, lambda c, stamp: load_cube(c, stamp), refreshed)


def load_cube(conn: sqlite3.Connection, stamp: Stamp, where: str = "", params: Sequence[str] = ()) -> DayCube:
    """Read ``daily_counts`` (or the rows ``where`` selects) into a cube, in one scan."""
    lists = ", ".join(f"json_group_array(DISTINCT {column})" for column in CODED)
    found = conn.execute(f"SELECT {lists} FROM daily_counts {where}", list(params)).fetchone()
    vocab = {column: sorted(json.loads(text)) for column, text in zip(CODED, found, strict=True)}
    parts = [f"group_concat({day_number_sql('day')})", "group_concat(report_day > day)"]
    case_params: list[str] = []
    for column in CODED:
        cases = " ".join(f"WHEN ? THEN {i}" for i in range(len(vocab[column])))
        parts.append(f"group_concat(CASE {column} {cases} END)" if cases else "NULL")
        case_params += vocab[column]
    parts += ["group_concat(incidents)", "group_concat(violations)"]
    texts = conn.execute(f"SELECT {', '.join(parts)} FROM daily_counts {where}", [*case_params, *params]).fetchone()
    columns = [parse_ints(text) for text in texts]
    return DayCube(
        stamp,
        columns[0].astype(np.int32),
        columns[1].astype(np.int8),
        {column: columns[2 + i].astype(np.int16) for i, column in enumerate(CODED)},
        vocab,
        {"incidents": columns[-2], "violations": columns[-1]},
    )


def refreshed(conn: sqlite3.Connection, cube: DayCube, stamp: Stamp) -> DayCube:
    """The cube with the days changed since its generation read again."""
    changed = changed_days(conn, cube.stamp.gen)
    fresh = load_cube(conn, stamp, f"WHERE day IN ({', '.join('?' * len(changed))})", changed) if changed else None
    if fresh is None:
        return DayCube(stamp, cube.days, cube.late, cube.codes, cube.vocab, cube.measures)
    numbers = np.array([day_number(date.fromisoformat(d)) for d in changed], dtype=np.int32)
    keep = ~np.isin(cube.days, numbers)
    vocab, codes = {}, {}
    for column in CODED:
        vocab[column], translate = merged_vocabulary(cube.vocab[column], fresh.vocab[column])
        added = translate[fresh.codes[column]].astype(np.int16)
        codes[column] = np.concatenate([cube.codes[column][keep], added])
    return DayCube(
        stamp,
        np.concatenate([cube.days[keep], fresh.days]),
        np.concatenate([cube.late[keep], fresh.late]),
        codes,
        vocab,
        {m: np.concatenate([cube.measures[m][keep], fresh.measures[m]]) for m in cube.measures},
    )
