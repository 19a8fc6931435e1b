"""The period summary in the OSCE SMM's words, for a supervisor's report or email.

The SMM's daily and weekly reports compared a period with the previous one in a fixed sentence:
"745 ceasefire violations, including 160 explosions (3 impacts, 29 airbursts, 76 outgoing, 215
undetermined); in the previous period, 117 ceasefire violations, including 40 explosions."
Readers knew that form, so Truceline writes it the same way. Its terms, precisely:

- ceasefire violations: the sum of ``count`` over incidents of category ``fire``;
- explosions: the part of those with ``obs_type`` ``explosion``, split by ``explosion_kind``
  (an explosion recorded without a kind counts as undetermined, so the kinds add up);
- the previous period: as many days, ending the day before the period starts.

Sums come from the rollups when they can express the filter (the explosion kinds are in the key
of some, measures of ``daily_area_counts``), else from ``incidents``.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from db.core.sql_driver import sqlite3
from db.records.queries import IncidentFilter, day_bounds, where_clause
from db.storage.rollup_schema import KIND_MEASURES, Rollup, measure_source
from db.trends.rollups import rollup_filter, usable_rollup

By = Literal["zone", "sector"]
KINDS = ("impact", "airburst", "outgoing", "undetermined")
# How many of a kind: one impact, two impacts; "outgoing" and "undetermined" do not change.
_KIND_WORDS = {"impact": ("impact", "impacts"), "airburst": ("airburst", "airbursts")}


@dataclass(frozen=True)
class Tally:
    """Ceasefire violations in one period (and area), and the explosions among them by kind."""

    violations: int = 0
    kinds: tuple[int, ...] = (0,) * len(KINDS)  # in KINDS order

    @property
    def explosions(self) -> int:
        return sum(self.kinds)

    def kind(self, name: str) -> int:
        return self.kinds[KINDS.index(name)]

    def phrase(self, *, with_kinds: bool = True) -> str:
        """``745 ceasefire violations, including 160 explosions (3 impacts, …)``, or ``no ceasefire violations``."""
        if not self.violations:
            return "no ceasefire violations"
        text = f"{_count(self.violations, 'ceasefire violation', 'ceasefire violations')}, including "
        if not self.explosions:
            return text + "no explosions"
        text += _count(self.explosions, "explosion", "explosions")
        if with_kinds:
            parts = [_count(n, *_KIND_WORDS.get(k, (k, k))) for k, n in zip(KINDS, self.kinds, strict=True) if n]
            text += f" ({', '.join(parts)})"
        return text


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def sentence(current: Tally, previous: Tally) -> str:
    """The SMM's comparison, in lower case where it starts with "no" (capitalise it to open a line)."""
    return f"{current.phrase()}; in the previous period, {previous.phrase(with_kinds=False)}."


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


# An area "escalated" when its ceasefire violations rose by at least this many and this share.
ESCALATION_MIN = 10
ESCALATION_SHARE = 0.2


@dataclass(frozen=True)
class AreaSummary:
    """One zone's or sector's line; ``area_id`` None stands for incidents outside every sector."""

    area_id: str | None
    name: str
    current: Tally
    previous: Tally

    @property
    def label(self) -> str:
        return f"{self.area_id} ({self.name})" if self.area_id else self.name

    @property
    def line(self) -> str:
        return f"{self.label}: {sentence(self.current, self.previous)}"

    @property
    def change(self) -> int:
        return self.current.violations - self.previous.violations

    @property
    def escalated(self) -> bool:
        """Up by at least :data:`ESCALATION_MIN` ceasefire violations and :data:`ESCALATION_SHARE` (or from none)."""
        now, before = self.current.violations, self.previous.violations
        return now - before >= ESCALATION_MIN and (before == 0 or (now - before) / before >= ESCALATION_SHARE)


def ranking(areas: tuple[AreaSummary, ...]) -> list[str]:
    """The areas ranked by the change in ceasefire violations, largest rise first, escalations said.

    A supervisor asks "where did it get worse?" before "what happened in each": this answers the
    first in a few lines; the per-area sentences follow for the second.
    """
    active = [a for a in areas if a.current.violations or a.previous.violations]
    ranked = sorted(active, key=lambda a: (-a.change, -a.current.violations, a.label))
    lines = [
        f"{number}. {area.label}: {area.current.violations:,} (previous {area.previous.violations:,}), "
        f"{_change(area.current.violations, area.previous.violations)}{', escalated' if area.escalated else ''}"
        for number, area in enumerate(ranked, start=1)
    ]
    escalated = [a.area_id or a.name for a in ranked if a.escalated]
    lines.append(
        f"Escalated: {', '.join(escalated)}."
        if escalated
        else f"Escalated: none (no area rose by {ESCALATION_MIN} violations and {ESCALATION_SHARE:.0%})."
    )
    quiet = [a.area_id or a.name for a in areas if a not in active]
    if quiet:
        lines.append(f"No ceasefire violations in either period: {', '.join(quiet)}.")
    return lines


@dataclass(frozen=True)
class Summary:
    """A period compared with the previous one, in total and per zone or sector."""

    first: date
    last: date
    time_zone: str
    current: Tally
    previous: Tally
    cutoff: time | None = None
    by: By | None = None
    areas: tuple[AreaSummary, ...] = ()

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def previous_first(self) -> date:
        return self.first - timedelta(days=self.days)

    @property
    def previous_last(self) -> date:
        return self.first - timedelta(days=1)

    @property
    def sentence(self) -> str:
        return _capitalised(sentence(self.current, self.previous))

    @property
    def period_line(self) -> str:
        kind = (
            f"reporting days ending at {self.cutoff:%H:%M} {self.time_zone}"
            if self.cutoff is not None
            else f"local days in {self.time_zone}"
        )
        plural = "day" if self.days == 1 else "days"
        return (
            f"Period: {_span(self.first, self.last)} ({self.days} {plural}, {kind}); "
            f"previous period: {_span(self.previous_first, self.previous_last)}."
        )

    @property
    def change_line(self) -> str:
        return (
            f"Change: ceasefire violations {_change(self.current.violations, self.previous.violations)}; "
            f"explosions {_change(self.current.explosions, self.previous.explosions)}."
        )

    def as_text(self) -> str:
        """Plain text to paste into an email: the sentence first, then the period, the change and the areas."""
        lines = [self.sentence, self.period_line, self.change_line]
        if self.by is not None:
            what = "zone" if self.by == "zone" else "DMZ sector"
            lines += ["", f"By {what}, ranked by the change in ceasefire violations:", *ranking(self.areas)]
            lines += ["", f"Each {what}:"]
            lines += [area.line for area in self.areas]
        return "\n".join(lines) + "\n"


def _span(first: date, last: date) -> str:
    return first.isoformat() if first == last else f"{first.isoformat()} to {last.isoformat()}"


def _change(now: int, before: int) -> str:
    if now == before:
        return "unchanged"
    direction = "up" if now > before else "down"
    amount = f"{direction} {abs(now - before):,}"
    if not before:
        return f"{amount} (none in the previous period)"
    return f"{amount} ({(now - before) / before:+.0%})"


@dataclass(frozen=True)
class RunningTotal:
    """Everything since a chosen date (a ceasefire, an agreement), up to and including ``until``."""

    since: date
    until: date
    tally: Tally

    def line(self, label: str = "") -> str:
        about = f" ({label})" if label else ""
        return f"Since {self.since.isoformat()}{about}, to {self.until.isoformat()}: {self.tally.phrase()}."


def period_summary(
    conn: sqlite3.Connection,
    flt: IncidentFilter,
    first: date,
    last: date,
    *,
    tz: ZoneInfo,
    by: By | None = None,
    cutoff: time | None = None,
) -> Summary:
    """Days ``first``..``last`` (inclusive) compared with as many days before them.

    ``flt`` narrows what is counted (zones, sectors, weapons, states, text…); its own period is
    replaced by ``first``..``last``. The days are local days in ``tz``, or reporting days when
    ``cutoff`` (the theatre's, as the stored reporting days were computed with it) is given.
    """
    if last < first:
        raise ValueError(f"the period ends ({last}) before it starts ({first})")
    length = timedelta(days=(last - first).days + 1)
    area = {"zone": "zone_id", "sector": "sector_id", None: None}[by]
    totals = {True: _Sums(), False: _Sums()}  # keyed by "in the period" (else the previous one)
    per_area: dict[tuple[bool, str | None], _Sums] = {}
    for day, place, counts in _fire(conn, flt, first - length, last, tz, area, cutoff is not None):
        current = day >= first
        totals[current].add(counts)
        if area is not None:
            per_area.setdefault((current, place), _Sums()).add(counts)
    areas: tuple[AreaSummary, ...] = ()
    if by is not None:
        empty = _Sums()
        names = _area_names(conn, by, flt, {place for _, place in per_area})
        areas = tuple(
            AreaSummary(
                place,
                name,
                per_area.get((True, place), empty).tally(),
                per_area.get((False, place), empty).tally(),
            )
            for place, name in names
        )
    return Summary(first, last, tz.key, totals[True].tally(), totals[False].tally(), cutoff, by, areas)


class _Sums:
    """Violations and explosions by kind, added up as rows are read."""

    def __init__(self) -> None:
        self.counts = [0] * (1 + len(KINDS))

    def add(self, counts: Sequence[int]) -> None:
        self.counts = [a + b for a, b in zip(self.counts, counts, strict=True)]

    def tally(self) -> Tally:
        return Tally(self.counts[0], tuple(self.counts[1:]))


def running_total(
    conn: sqlite3.Connection,
    flt: IncidentFilter,
    since: date,
    until: date,
    tz: ZoneInfo,
    *,
    cutoff: time | None = None,
) -> RunningTotal:
    """Ceasefire violations and explosions from ``since`` to ``until`` (inclusive), as a :class:`Tally`."""
    if until < since:
        raise ValueError(f"the running total ends ({until}) before it starts ({since})")
    sums = _Sums()
    for _, _, counts in _fire(conn, flt, since, until, tz, None, cutoff is not None):
        sums.add(counts)
    return RunningTotal(since, until, sums.tally())


# What each of the five numbers of a Tally sums: the violations, then the explosions by kind.
_PARTS = ("violations", *KIND_MEASURES)
Counts = tuple[int, ...]


def _sums(rollup: Rollup) -> list[str]:
    """The SELECT sums giving the five parts (and their late parts, if the rollup splits them).

    A rollup with kind measures is summed as it is; another is summed under the kinds' conditions
    on its key's ``obs_type`` and ``explosion_kind``.
    """
    lates = ["", "_late"] if rollup.split else [""]
    if rollup.kinds:
        return [f"sum({part}{late})" for late in lates for part in _PARTS]
    conditions = ["1", *KIND_MEASURES.values()]
    return [f"sum(iif({condition}, violations{late}, 0))" for late in lates for condition in conditions]


def _fire(
    conn: sqlite3.Connection,
    flt: IncidentFilter,
    first: date,
    last: date,
    tz: ZoneInfo,
    area: str | None,
    reporting_days: bool,
) -> Iterator[tuple[date, str | None, Counts]]:
    """Violations of category fire and explosions by kind, per (day, area) of days ``first``..``last``.

    The days are reporting days when ``reporting_days``. The sums are taken with conditional
    aggregates grouped by a prefix of the rollup's key, so SQLite reads the rows in key order and
    never sorts them: a quarter by zone costs one pass over the quarter's rows.
    """
    flt = replace(flt, start_utc=None, end_utc=None)
    where = rollup_filter(flt, in_key_order=True)
    if where is None:
        yield from _fire_from_incidents(conn, flt, first, last, tz, area, reporting_days)
        return
    places = ["zone_id", "sector_id"] if area else []
    rollup = usable_rollup(conn, {*where.columns, "category", *places}, kinds=True)
    group = ["day", *([] if rollup.split else ["report_day"]), *places]
    if group != list(rollup.key[: len(group)]):
        raise AssertionError(f"{rollup.table} cannot be read in key order by {group}")
    sums = ", ".join(_sums(rollup))
    one_day = timedelta(days=1)
    # A reporting day also holds the late part of the local day before it.
    # Only the day may use an index (the key's first column): the rows then come in key order.
    conditions = [*where.conditions, "+category = 'fire'", "day BETWEEN ? AND ?"]
    params = [*where.params, (first - one_day if reporting_days else first).isoformat(), last.isoformat()]
    keys = ", ".join(group)
    sql = f"SELECT {keys}, {sums} FROM {rollup.table} WHERE {' AND '.join(conditions)} GROUP BY {keys}"
    width, n = len(group), len(_PARTS)
    for row in conn.execute(sql, params):
        day = date.fromisoformat(row[0])
        place = None
        if area:
            place = row[width - 2] if area == "zone_id" else (row[width - 1] or None)
        values = row[width:]
        if rollup.split:
            total, late = values[:n], values[n:]
            early = tuple(a - b for a, b in zip(total, late, strict=True))
            parts = [(day, early), (day + one_day, late)] if reporting_days else [(day, total)]
        else:
            parts = [(date.fromisoformat(row[1]) if reporting_days else day, values)]
        for unit, counts in parts:
            if counts[0] and first <= unit <= last:
                yield unit, place, tuple(counts)


def _fire_from_incidents(
    conn: sqlite3.Connection,
    flt: IncidentFilter,
    first: date,
    last: date,
    tz: ZoneInfo,
    area: str | None,
    reporting_days: bool,
) -> Iterator[tuple[date, str | None, Counts]]:
    """The same sums read from ``incidents``, for filters the rollups cannot express (text, conflicts)."""
    # A day wider on each side in UTC, so the time index narrows the rows; the stored day decides.
    start, end = day_bounds(first - timedelta(days=1), last + timedelta(days=1), tz)
    where, params = where_clause(replace(flt, start_utc=start, end_utc=end))
    day = "report_day" if reporting_days else "obs_day"
    sums = ", ".join(f"sum({measure_source(part, 'incidents')})" for part in _PARTS)
    sql = (
        f"SELECT {day}, {area or 'NULL'}, {sums} FROM incidents "
        f"WHERE {where} AND category = 'fire' AND {day} BETWEEN ? AND ? GROUP BY 1, 2"
    )
    for row in conn.execute(sql, [*params, first.isoformat(), last.isoformat()]):
        yield date.fromisoformat(row[0]), row[1], tuple(row[2:])


def _area_names(
    conn: sqlite3.Connection, by: By, flt: IncidentFilter, found: set[str | None]
) -> Sequence[tuple[str | None, str]]:
    """The areas to list: the theatre's (those the filter selects), and any other that has counts."""
    table, column, chosen = (
        ("zones", "zone_id", flt.zone_ids) if by == "zone" else ("sectors", "sector_id", flt.sector_ids)
    )
    names: dict[str | None, str] = dict(
        conn.execute(f"SELECT {column}, name FROM {table} ORDER BY {column}").fetchall()
    )
    listed = [a for a in names if not chosen or a in chosen]
    listed += sorted(a for a in found if a is not None and a not in listed)
    if None in found:
        listed.append(None)
    return [(a, names.get(a, a) if a is not None else "Outside the DMZ sectors") for a in listed]
