"""Sums over numpy columns of small integer codes: what the timeline's in-memory copies share.

:mod:`db.trends.day_cube` (``daily_counts``) and :mod:`db.trends.incident_cube` (one row per incident) hold
the same kind of columns: a day number, whether the row falls after the reporting cut-off, a
code per filter column (its position in the column's vocabulary) and a measure. Selecting rows,
summing them per group and day, and knowing when a copy is out of date work the same for both.
"""

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from threading import Lock
from typing import Generic, Protocol, TypeVar

import numpy as np
import numpy.typing as npt

from db.core.sql_driver import sqlite3
from db.storage.meta import get_meta

EPOCH_DAY = date(1970, 1, 1)
META_EPOCH = "rollup_epoch"

Ints = npt.NDArray[np.integer]


def day_number_sql(column: str) -> str:
    """SQL for the days from 1970-01-01 to the ISO date in ``column``."""
    return f"CAST(julianday({column}) - 2440587.5 AS INTEGER)"


def day_number(day: date) -> int:
    return (day - EPOCH_DAY).days


def parse_ints(text: str | None) -> npt.NDArray[np.int64]:
    """Integers SQLite joined with commas (numpy's text parser: a hundred times faster than split)."""
    return np.fromstring(text, dtype=np.int64, sep=",") if text else np.zeros(0, dtype=np.int64)


@dataclass(frozen=True)
class Stamp:
    """Which state of which database a copy holds: the file, the rollups' epoch, the generation."""

    path: str
    epoch: str
    gen: int


def stamp_of(conn: sqlite3.Connection) -> Stamp | None:
    """The current stamp of ``conn``'s database (None for a database that is not a file)."""
    path = conn.execute("SELECT file FROM pragma_database_list WHERE name = 'main'").fetchone()[0]
    if not path:
        return None
    epoch = get_meta(conn, META_EPOCH)
    gen = int(conn.execute("SELECT coalesce(max(gen), 0) FROM rollup_days").fetchone()[0])
    return Stamp(path, epoch or "", gen)


class Stamped(Protocol):
    @property
    def stamp(self) -> Stamp: ...


C = TypeVar("C", bound=Stamped)


class Copies(Generic[C]):
    """In-memory copies of one kind, one per database file, brought up to date when asked for.

    A copy is loaded whole when there is none, when the rollups have a new epoch (a rebuilt
    projection) or when the generation went back (a restored backup); it is refreshed from the
    changed days when the generation moved on; otherwise it is returned as it is.
    """

    def __init__(self) -> None:
        self._copies: dict[str, C] = {}
        self._lock = Lock()

    def current(
        self,
        conn: sqlite3.Connection,
        load: Callable[[sqlite3.Connection, Stamp], C],
        refresh: Callable[[sqlite3.Connection, C, Stamp], C],
    ) -> C | None:
        stamp = stamp_of(conn)
        if stamp is None:
            return None
        with self._lock:
            copy = self._copies.get(stamp.path)
            if copy is None or copy.stamp.epoch != stamp.epoch or copy.stamp.gen > stamp.gen:
                copy = load(conn, stamp)
            elif copy.stamp.gen < stamp.gen:
                copy = refresh(conn, copy, stamp)
            self._copies[stamp.path] = copy
        return copy


def changed_days(conn: sqlite3.Connection, since_gen: int) -> list[str]:
    """The days whose rollup rows changed after generation ``since_gen``."""
    return [r[0] for r in conn.execute("SELECT day FROM rollup_days WHERE gen > ? ORDER BY day", (since_gen,))]


@dataclass(frozen=True)
class GroupSums:
    """One group: the grouped values, the day, the sum and the part after the reporting cut-off."""

    values: tuple[str | None, ...]
    day: date
    total: int
    late: int


def selected(
    days: Ints,
    codes: dict[str, Ints],
    vocab: dict[str, list[str]],
    where: Sequence[tuple[str, Sequence[str]]],
    first: date | None,
    last: date | None,
) -> npt.NDArray[np.bool_]:
    """Rows with a day (-1 is none) in ``first``..``last`` whose columns take the allowed values."""
    mask = days >= 0
    if first is not None:
        mask &= days >= day_number(first)
    if last is not None:
        mask &= days <= day_number(last)
    for column, allowed in where:
        # A table of the column's codes: one lookup per row, ten times faster than np.isin here.
        table = np.zeros(max(len(vocab[column]), 1), dtype=np.bool_)
        table[[vocab[column].index(v) for v in allowed if v in vocab[column]]] = True
        mask &= table[codes[column]]
    return mask


def group_sums(
    days: Ints,
    late: npt.NDArray[np.bool_],
    codes: dict[str, Ints],
    vocab: dict[str, list[str]],
    group: Sequence[str],
    values: Ints,
) -> Iterator[GroupSums]:
    """Sums of ``values`` per ``group`` values and day (rows already selected); '' comes back None."""
    if len(days) == 0:
        return
    low = int(days.min())
    span = int(days.max()) - low + 1
    key = days.astype(np.int64) - low
    width = 1
    for column in reversed(group):
        key = key + codes[column].astype(np.int64) * (span * width)
        width *= len(vocab[column])
    size = span * width
    weights = values.astype(np.int64)
    totals = np.bincount(key, weights=weights, minlength=size)
    lates = np.bincount(key, weights=np.where(late, weights, 0), minlength=size)
    for index in np.flatnonzero(totals):
        rest, offset = divmod(int(index), span)
        picked: list[str | None] = []
        for column in reversed(group):
            rest, code = divmod(rest, len(vocab[column]))
            picked.append(vocab[column][code] or None)
        day = EPOCH_DAY + timedelta(days=low + offset)
        yield GroupSums(tuple(reversed(picked)), day, int(totals[index]), int(lates[index]))


def merged_vocabulary(old: list[str], fresh: list[str]) -> tuple[list[str], npt.NDArray[np.int64]]:
    """``old`` with ``fresh``'s new values appended, and the map from fresh codes to merged codes."""
    merged = list(old)
    for value in fresh:
        if value not in merged:
            merged.append(value)
    return merged, np.array([merged.index(v) for v in fresh] or [0], dtype=np.int64)
