"""``daily_counts`` held in memory as numpy columns, for the timelines no narrow rollup answers.

A filter that touches where, what and the verification state at once (say the EAST zone and
verified, split by observation type) can only be summed from ``daily_counts``: about half a row
per incident, 510,000 rows on a million incidents, which SQLite reads in 40 ms before it filters
and sorts anything, twice the timeline's budget (DESIGN.md §10). The same sums over numpy
columns of small integer codes take a few milliseconds.

The copy is loaded once per database file (one scan, the columns joined into strings by SQLite
and parsed by numpy: about 0.3 s on a million incidents) and kept exact afterwards without
re-reading it: every transaction that changes ``daily_counts`` stamps the days it changed with a
new generation in ``rollup_days`` (:func:`db.projection.refresh_rollups`), and the copy reloads
just those days. Rebuilding the projection gives the database a new ``rollup_epoch``, which makes
the copy reload everything; so does a generation that went backwards (a restored backup).
"""

import json
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from threading import Lock

import numpy as np
import numpy.typing as npt

from db.rollup_schema import DAILY_COUNTS_KEY

META_EPOCH = "rollup_epoch"
# The key columns kept as codes (the day is kept as a day number, the reporting day as "late").
CODED = tuple(c for c in DAILY_COUNTS_KEY if c not in ("day", "report_day"))
_EPOCH_DAY = date(1970, 1, 1)
_DAY_NUMBER = "CAST(julianday(day) - 2440587.5 AS INTEGER)"  # days since 1970-01-01

Codes = npt.NDArray[np.int32]
Sums = npt.NDArray[np.int64]


@dataclass(frozen=True)
class CubeSums:
    """One group of a cube read: the grouped values, the day, the sum and its late part."""

    values: tuple[str | None, ...]
    day: date
    total: int
    late: int


class DayCube:
    """The columns of ``daily_counts`` at generation ``gen`` of epoch ``epoch``."""

    def __init__(
        self,
        epoch: str,
        gen: int,
        days: Codes,
        late: npt.NDArray[np.bool_],
        codes: dict[str, Codes],
        vocab: dict[str, list[str]],
        measures: dict[str, Sums],
    ) -> None:
        self.epoch = epoch
        self.gen = gen
        self.days = days
        self.late = late
        self.codes = codes
        self.vocab = vocab
        self.measures = measures

    def __len__(self) -> int:
        return len(self.days)

    def sums(
        self,
        group: Sequence[str],
        where: Sequence[tuple[str, Sequence[str]]],
        first: date | None,
        last: date | None,
        measure: str,
    ) -> Iterator[CubeSums]:
        """Sums of ``measure`` per ``group`` values and day over rows matching ``where``.

        ``where`` pairs a key column with the values it may take; days ``first``..``last``
        inclusive (None: no bound). '' (a missing sector or explosion kind) comes back as None.
        """
        mask = np.ones(len(self.days), dtype=np.bool_)
        if first is not None:
            mask &= self.days >= (first - _EPOCH_DAY).days
        if last is not None:
            mask &= self.days <= (last - _EPOCH_DAY).days
        for column, allowed in where:
            wanted = [self.vocab[column].index(v) for v in allowed if v in self.vocab[column]]
            mask &= np.isin(self.codes[column], np.array(wanted, dtype=np.int32))
        if not mask.any():
            return
        days = self.days[mask]
        low = int(days.min())
        span = int(days.max()) - low + 1
        key = (days - low).astype(np.int64)
        width = 1
        for column in reversed(group):
            key += self.codes[column][mask].astype(np.int64) * (span * width)
            width *= len(self.vocab[column])
        values = self.measures[measure][mask]
        size = span * width
        totals = np.bincount(key, weights=values, minlength=size)
        lates = np.bincount(key, weights=np.where(self.late[mask], values, 0), minlength=size)
        for index in np.flatnonzero(totals):
            rest, offset = divmod(int(index), span)
            picked: list[str | None] = []
            for column in reversed(group):
                rest, code = divmod(rest, len(self.vocab[column]))
                picked.append(self.vocab[column][code] or None)
            day = _EPOCH_DAY + timedelta(days=low + offset)
            yield CubeSums(tuple(reversed(picked)), day, int(totals[index]), int(lates[index]))


_cubes: dict[str, DayCube] = {}
_lock = Lock()


def cube_of(conn: sqlite3.Connection) -> DayCube | None:
    """The up-to-date cube of ``conn``'s database (None for a database that is not a file)."""
    path = conn.execute("SELECT file FROM pragma_database_list WHERE name = 'main'").fetchone()[0]
    if not path:
        return None
    epoch_row = conn.execute("SELECT value FROM meta WHERE key = ?", (META_EPOCH,)).fetchone()
    epoch = str(epoch_row[0]) if epoch_row else ""
    gen = int(conn.execute("SELECT coalesce(max(gen), 0) FROM rollup_days").fetchone()[0])
    with _lock:
        cube = _cubes.get(path)
        if cube is None or cube.epoch != epoch or cube.gen > gen:
            cube = load_cube(conn, epoch, gen)
        elif cube.gen < gen:
            cube = refreshed(conn, cube, gen)
        _cubes[path] = cube
    return cube


def load_cube(conn: sqlite3.Connection, epoch: str, gen: int, where: str = "", params: Sequence[str] = ()) -> DayCube:
    """Read ``daily_counts`` (or the rows ``where`` selects) into a cube, in one scan."""
    vocab = _vocabularies(conn, where, params)
    if not all(vocab.values()):  # no rows selected
        empty = np.zeros(0, dtype=np.int64)
        codes = {c: empty.astype(np.int32) for c in CODED}
        days, late = empty.astype(np.int32), empty.astype(np.bool_)
        return DayCube(epoch, gen, days, late, codes, vocab, _measures(empty, empty))
    parts = [f"group_concat({_DAY_NUMBER})", "group_concat(report_day > day)"]
    for column in CODED:
        cases = " ".join(f"WHEN ? THEN {i}" for i in range(len(vocab[column])))
        parts.append(f"group_concat(CASE {column} {cases} END)")
    parts += ["group_concat(incidents)", "group_concat(violations)"]
    case_params = [value for column in CODED for value in vocab[column]]
    row = conn.execute(
        f"SELECT count(*), {', '.join(parts)} FROM daily_counts {where}", [*case_params, *params]
    ).fetchone()
    count, texts = row[0], row[1:]
    days = _ints(texts[0], count).astype(np.int32)
    late = _ints(texts[1], count).astype(np.bool_)
    codes = {column: _ints(texts[2 + i], count).astype(np.int32) for i, column in enumerate(CODED)}
    return DayCube(epoch, gen, days, late, codes, vocab, _measures(_ints(texts[-2], count), _ints(texts[-1], count)))


def _measures(incidents: Sums, violations: Sums) -> dict[str, Sums]:
    return {"incidents": incidents, "violations": violations}


def refreshed(conn: sqlite3.Connection, cube: DayCube, gen: int) -> DayCube:
    """The cube with the days changed since its generation read again."""
    changed = [r[0] for r in conn.execute("SELECT day FROM rollup_days WHERE gen > ?", (cube.gen,))]
    if not changed:
        return DayCube(cube.epoch, gen, cube.days, cube.late, cube.codes, cube.vocab, cube.measures)
    marks = ", ".join("?" * len(changed))
    fresh = load_cube(conn, cube.epoch, gen, f"WHERE day IN ({marks})", changed)
    numbers = np.array([(date.fromisoformat(d) - _EPOCH_DAY).days for d in changed], dtype=np.int32)
    keep = ~np.isin(cube.days, numbers)
    # Codes are positions in each column's vocabulary: translate the fresh rows' into the cube's.
    vocab = {c: list(cube.vocab[c]) for c in CODED}
    codes = {}
    for column in CODED:
        for value in fresh.vocab[column]:
            if value not in vocab[column]:
                vocab[column].append(value)
        translate = np.array([vocab[column].index(v) for v in fresh.vocab[column]], dtype=np.int32)
        codes[column] = np.concatenate([cube.codes[column][keep], translate[fresh.codes[column]]])
    return DayCube(
        cube.epoch,
        gen,
        np.concatenate([cube.days[keep], fresh.days]),
        np.concatenate([cube.late[keep], fresh.late]),
        codes,
        vocab,
        {m: np.concatenate([cube.measures[m][keep], fresh.measures[m]]) for m in cube.measures},
    )


def _vocabularies(conn: sqlite3.Connection, where: str, params: Sequence[str]) -> dict[str, list[str]]:
    """Every value each coded column takes in the selected rows (one scan; a handful each)."""
    lists = ", ".join(f"json_group_array(DISTINCT {column})" for column in CODED)
    row = conn.execute(f"SELECT {lists} FROM daily_counts {where}", list(params)).fetchone()
    return {column: sorted(json.loads(text)) for column, text in zip(CODED, row, strict=True)}


def _ints(text: str, count: int) -> Sums:
    """Parse SQLite's comma-joined integers (numpy's text parser: 100 times faster than split)."""
    values = np.fromstring(text, dtype=np.int64, sep=",")
    if len(values) != count:
        raise ValueError(f"daily_counts: read {len(values)} values for {count} rows")
    return values
