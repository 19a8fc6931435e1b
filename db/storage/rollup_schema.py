"""The rollups of ``incidents`` as migration m002 creates them, and the SQL that keeps them.

``daily_counts`` has every dimension and the reporting day in its key and follows ``incidents``
row by row through triggers: exact for any filter. On a large mission it holds about half as many
rows as there are incidents (510,000 on the 1,000,000-incident demo), too many to sum within the
timeline's 50 ms (ARCHITECTURE.md §10): SQLite reads about ten million rollup rows a second, and
grouping by anything but the order of the key sorts them at a third of that.

So the timeline and the summary read narrower rollups when they cover the question. They keep
the reporting day as ``*_late`` measures (the part observed at or after the cut-off, which counts
in the next reporting day) instead of doubling their rows, and carry a covering index per
dimension so that grouping by it and by day is one ordered scan. Indexes whose entries change
with every count would nearly double the cost of writing an incident, so the narrow rollups are
not kept row by row: the triggers note which sums went stale (the incident's day and dimensions,
in ``rollup_stale``), and the projection derives just those groups again from ``daily_counts``
before its transaction commits (:func:`db.storage.projection.refresh_rollups`).

These are the definitions the projection keeps the rollups with today. Migration m002 created the
tables from a frozen, literal copy of this SQL (``db.storage.schema.M002_*``); tests/test_schema.py checks
that the two still agree. A change to a rollup is a new schema step with its own literal SQL.
"""

from dataclasses import dataclass
from typing import Literal

DAILY_COUNTS_KEY = (
    "day",
    "report_day",
    "zone_id",
    "sector_id",
    "category",
    "obs_type",
    "explosion_kind",
    "weapon_class",
    "verification_state",
)
COUNTS = ("incidents", "violations")
SPLIT_COUNTS = ("incidents", "violations", "incidents_late", "violations_late")
# Violations that were explosions of each kind (no kind recorded counts as undetermined, so the
# kinds add up to the explosions): what the period summary sums, kept as measures where the
# rollup's key has no explosion kind.
KIND_MEASURES = {
    "impacts": "obs_type = 'explosion' AND explosion_kind = 'impact'",
    "airbursts": "obs_type = 'explosion' AND explosion_kind = 'airburst'",
    "outgoing": "obs_type = 'explosion' AND explosion_kind = 'outgoing'",
    "undetermined": "obs_type = 'explosion' AND coalesce(explosion_kind, '') NOT IN ('impact', 'airburst', 'outgoing')",
}


@dataclass(frozen=True)
class Rollup:
    """One rollup: sums per key, whose first column is the local day.

    ``split`` rollups hold ``*_late`` measures instead of the reporting day in their key;
    ``kinds`` rollups also hold the violations of each explosion kind as measures.
    """

    table: str
    key: tuple[str, ...]
    split: bool = True
    kinds: bool = False
    indexed: tuple[str, ...] = ()

    @property
    def measures(self) -> tuple[str, ...]:
        if not self.split:
            return COUNTS
        if not self.kinds:
            return SPLIT_COUNTS
        return (*SPLIT_COUNTS, *KIND_MEASURES, *(f"{m}_late" for m in KIND_MEASURES))


DAILY_COUNTS = Rollup("daily_counts", DAILY_COUNTS_KEY, split=False)
# Smallest first (on the 1,000,000-incident demo: 84,000, 109,000 and 209,000 rows): what was
# observed and its state; where, what category and its state (with explosions by kind, for the
# summary by zone or sector); where and what. A filter that touches all three of where, what and
# state needs daily_counts.
NARROW_ROLLUPS = (
    Rollup(
        "daily_what_counts",
        ("day", "category", "obs_type", "explosion_kind", "weapon_class", "verification_state"),
        indexed=("obs_type", "weapon_class", "verification_state"),
    ),
    Rollup(
        "daily_area_counts",
        ("day", "zone_id", "sector_id", "category", "verification_state"),
        kinds=True,
        indexed=("sector_id", "category", "verification_state"),
    ),
    Rollup(
        "daily_area_what_counts",
        ("day", "zone_id", "sector_id", "category", "obs_type", "explosion_kind", "weapon_class"),
        indexed=("sector_id", "obs_type", "weapon_class"),
    ),
)
ROLLUPS = (DAILY_COUNTS, *NARROW_ROLLUPS)
ROLLUP_TABLES = (*(rollup.table for rollup in ROLLUPS), "rollup_stale")

# The incident columns a rollup row depends on: a change to any other leaves every rollup as it was.
_ROLLUP_INPUTS = ("obs_day", *DAILY_COUNTS_KEY[1:], "count")


def rollup_source(column: str, row: str) -> str:
    """The expression over an ``incidents`` row (``NEW``, ``OLD`` or the table) for a key column.

    A missing sector or explosion kind is stored as '' so the key stays unique (NULLs are never
    equal in a key).
    """
    if column == "day":
        return f"{row}.obs_day"
    if column in ("sector_id", "explosion_kind"):
        return f"coalesce({row}.{column}, '')"
    return f"{row}.{column}"


def measure_source(measure: str, source: Literal["incidents", "daily_counts"]) -> str:
    """What one row of ``incidents`` or ``daily_counts`` adds to ``measure``."""
    if source == "incidents":
        incidents, violations, day = "1", "count", "obs_day"
    else:
        incidents, violations, day = "incidents", "violations", "day"
    base = measure.removesuffix("_late")
    conditions = [f"report_day > {day}"] if measure.endswith("_late") else []
    if base in KIND_MEASURES:
        conditions.append(KIND_MEASURES[base])
    value = incidents if base == "incidents" else violations
    return f"iif({' AND '.join(conditions)}, {value}, 0)" if conditions else value


# rollup_stale has the key of daily_counts but the reporting day (no narrow rollup has it).
STALE_KEY = tuple(c for c in DAILY_COUNTS_KEY if c != "report_day")


def narrow_fill(rollup: Rollup, *, stale_only: bool = False) -> str:
    """Derive a narrow rollup from ``daily_counts``: every group, or only those ``rollup_stale`` names.

    Only the stale days of daily_counts are read, and of their rows only those of a stale group
    are summed, so refreshing after one saved incident touches a handful of rows.
    """
    columns = ", ".join((*rollup.key, *rollup.measures))
    keys = ", ".join(rollup.key)
    sums = ", ".join(f"sum({measure_source(m, 'daily_counts')})" for m in rollup.measures)
    where = ""
    if stale_only:
        where = f" WHERE day IN (SELECT day FROM rollup_stale) AND ({keys}) IN ({stale_groups(rollup)})"
    return f"INSERT INTO {rollup.table} ({columns}) SELECT {keys}, {sums} FROM daily_counts{where} GROUP BY {keys}"


def stale_groups(rollup: Rollup) -> str:
    """The keys of ``rollup`` whose sums a change noted in ``rollup_stale`` may have altered."""
    return f"SELECT DISTINCT {', '.join(rollup.key)} FROM rollup_stale"


def daily_counts_fill() -> str:
    """Fill ``daily_counts`` from ``incidents`` in one GROUP BY."""
    key = ", ".join(rollup_source(c, "incidents") for c in DAILY_COUNTS_KEY)
    return (
        f"INSERT INTO daily_counts ({', '.join((*DAILY_COUNTS_KEY, *COUNTS))}) "
        f"SELECT {key}, count(*), sum(count) FROM incidents GROUP BY {key}"
    )


def table_statements() -> list[str]:
    statements = []
    for rollup in ROLLUPS:
        columns = ",\n    ".join(
            [*(f"{c} TEXT NOT NULL" for c in rollup.key), *(f"{m} INTEGER NOT NULL" for m in rollup.measures)]
        )
        statements.append(
            f"CREATE TABLE {rollup.table} (\n    {columns},\n    PRIMARY KEY ({', '.join(rollup.key)})\n) WITHOUT ROWID"
        )
    # Sums of the narrow rollups that no longer follow daily_counts, until the projection refreshes them.
    columns = ",\n    ".join(f"{c} TEXT NOT NULL" for c in STALE_KEY)
    statements.append(
        f"CREATE TABLE rollup_stale (\n    {columns},\n    PRIMARY KEY ({', '.join(STALE_KEY)})\n) WITHOUT ROWID"
    )
    return statements


def index_and_trigger_statements() -> list[str]:
    # The indexes carry the counts the timeline sums, not the explosion kinds only the summary
    # reads (in key order, from the table itself).
    statements = [
        f"CREATE INDEX {r.table}_{c} ON {r.table} ({c}, day, {', '.join(SPLIT_COUNTS)})"
        for r in NARROW_ROLLUPS
        for c in r.indexed
    ]
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in _ROLLUP_INPUTS)
    statements += [
        f"CREATE TRIGGER incidents_rollup_insert AFTER INSERT ON incidents BEGIN\n    {_add('NEW')}\nEND",
        f"CREATE TRIGGER incidents_rollup_delete AFTER DELETE ON incidents BEGIN\n    {_remove('OLD')}\nEND",
        f"CREATE TRIGGER incidents_rollup_update AFTER UPDATE ON incidents WHEN {changed} BEGIN\n"
        f"    {_remove('OLD')}\n    {_add('NEW')}\nEND",
    ]
    return statements


def _match(row: str) -> str:
    return " AND ".join(f"{column} = {rollup_source(column, row)}" for column in DAILY_COUNTS_KEY)


def _mark_stale(row: str) -> str:
    # ON CONFLICT rather than OR IGNORE: an OR clause in a trigger yields to the outer statement's.
    values = ", ".join(rollup_source(c, row) for c in STALE_KEY)
    return f"INSERT INTO rollup_stale ({', '.join(STALE_KEY)}) VALUES ({values}) ON CONFLICT DO NOTHING;"


def _add(row: str) -> str:
    columns = ", ".join((*DAILY_COUNTS_KEY, *COUNTS))
    values = ", ".join((*(rollup_source(c, row) for c in DAILY_COUNTS_KEY), "1", f"{row}.count"))
    return (
        f"INSERT INTO daily_counts ({columns}) VALUES ({values})\n"
        "    ON CONFLICT DO UPDATE SET incidents = incidents + 1, violations = violations + excluded.violations;\n"
        f"    {_mark_stale(row)}"
    )


def _remove(row: str) -> str:
    match = _match(row)
    return (
        f"UPDATE daily_counts SET incidents = incidents - 1, violations = violations - {row}.count WHERE {match};\n"
        f"    DELETE FROM daily_counts WHERE incidents = 0 AND {match};\n"
        f"    {_mark_stale(row)}"
    )
