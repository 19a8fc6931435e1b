"""Budgets of the supervisor view (ARCHITECTURE.md §10): timeline refresh < 50 ms, period summary < 100 ms.

On the shared million-incident database. Opening it with a Truceline that has a pending schema
step migrates it first (after a verified backup); the first run reports how long that took.
"""

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from benchutil import report, timed

from db.core.sql_driver import sqlite3
from db.records.queries import IncidentFilter, day_bounds
from db.storage.store import Store, open_store
from db.trends.summary import period_summary, running_total
from db.trends.timeline import timeline

TIMELINE_BUDGET_MS = 50.0
SUMMARY_BUDGET_MS = 100.0


def pending_steps(directory: Path) -> list[str]:
    conn = sqlite3.connect(f"file:{directory / 'truceline.db'}?mode=ro", uri=True)
    try:
        applied = {r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations")}
    finally:
        conn.close()
    from db.storage.schema import migrations

    return [m.name for m in migrations._migrations if m.name not in applied]


def open_timed(directory: Path) -> tuple[Store, str]:
    pending = pending_steps(directory)
    started = time.perf_counter()
    store = open_store(directory)
    elapsed = time.perf_counter() - started
    if pending:
        return store, f"{elapsed:.1f} s to back up and apply {', '.join(pending)}"
    return store, f"nothing to migrate (opened in {elapsed:.2f} s)"


def test_timeline_and_summary_budgets(million: Path) -> None:
    store, migration = open_timed(million)
    try:
        conn, tz, cutoff = store.conn, store.tz, store.calendar.cutoff
        total = conn.execute("SELECT count(*) FROM incidents").fetchone()[0]
        last = date.fromisoformat(conn.execute("SELECT max(day) FROM daily_counts").fetchone()[0])
        month = IncidentFilter(*day_bounds(last - timedelta(days=29), last, tz))
        quarter = IncidentFilter(*day_bounds(last - timedelta(days=89), last, tz))

        def tl(flt: IncidentFilter, **options: Any) -> Callable[[], Any]:
            return lambda: timeline(conn, flt, tz=tz, cutoff=cutoff, **options)

        everything = IncidentFilter()
        fire_verified = IncidentFilter(categories=("fire",), states=("verified",))
        east_verified = IncidentFilter(zone_ids=("EAST",), states=("verified",))
        sector_mortar = IncidentFilter(sector_ids=("DMZ-03",), weapon_classes=("mortar",), states=("verified",))
        fire_east = IncidentFilter(categories=("fire",), zone_ids=("EAST",), states=("verified",))
        timelines = [
            ("all, by day", tl(everything)),
            ("all, by day, stacked by zone", tl(everything, dimension="zone")),
            ("all, by day, stacked by sector", tl(everything, dimension="sector")),
            ("all, by day, stacked by category", tl(everything, dimension="category")),
            ("all, by day, stacked by weapon", tl(everything, dimension="weapon_class")),
            ("all, by reporting day, by state", tl(everything, dimension="verification_state", reporting_days=True)),
            (
                "all, by week, by obs. type, incidents",
                tl(everything, bin="week", dimension="obs_type", metric="incidents"),
            ),
            ("all, by month, stacked by zone", tl(everything, bin="month", dimension="zone")),
            ("fire + verified, stacked by sector", tl(fire_verified, dimension="sector")),
            ("sector DMZ-03, stacked by weapon", tl(IncidentFilter(sector_ids=("DMZ-03",)), dimension="weapon_class")),
            ("weapon mortar, stacked by zone", tl(IncidentFilter(weapon_classes=("mortar",)), dimension="zone")),
            ("30 days, stacked by category", tl(month, dimension="category")),
            (
                "90 days, EAST + verified, by weapon",
                tl(replace(quarter, zone_ids=("EAST",), states=("verified",)), dimension="weapon_class"),
            ),
            ("90 days from noon, by reporting day", tl(shifted(quarter, hours=12), reporting_days=True)),
            ("text 'Toretsk' (9,500 matches), by zone", tl(IncidentFilter(text="Toretsk"), dimension="zone")),
            ("conflicts only", tl(IncidentFilter(conflicts_only=True))),
            # Where, what and state at once: from the in-memory copy of daily_counts (db/trends/day_cube.py).
            ("all, EAST + verified, by obs. type", tl(east_verified, dimension="obs_type")),
            ("all, DMZ-03 + mortar + verified, by state", tl(sector_mortar, dimension="verification_state")),
            (
                "all, fire + verified + EAST, by weapon, reporting days",
                tl(fire_east, dimension="weapon_class", reporting_days=True),
            ),
            # A text search matching a fifth of the incidents: FTS5's rowids, summed from the
            # per-incident arrays (db/trends/incident_cube.py).
            ("text 'tracer' (200,000 matches), by day", tl(IncidentFilter(text="tracer"))),
            (
                "text 'tracer' + EAST, by state",
                tl(IncidentFilter(text="tracer", zone_ids=("EAST",)), dimension="verification_state"),
            ),
        ]

        def summary(days: int, flt: IncidentFilter = everything, **options: Any) -> Callable[[], Any]:
            return lambda: period_summary(conn, flt, last - timedelta(days=days - 1), last, tz=tz, **options)

        mortar_verified = IncidentFilter(states=("verified",), weapon_classes=("mortar",))
        summaries = [
            ("7 days", summary(7)),
            ("30 days by zone", summary(30, by="zone")),
            ("30 reporting days by sector", summary(30, by="sector", cutoff=cutoff)),
            ("30 days by zone, verified mortar fire", summary(30, mortar_verified, by="zone")),
            ("90 days by sector, verified", summary(90, IncidentFilter(states=("verified",)), by="sector")),
            ("182 days by zone", summary(182, by="zone")),
            (
                "running total over a year",
                lambda: running_total(conn, everything, last - timedelta(days=364), last, tz),
            ),
        ]
        timeline_times = [(name, *timed(call)) for name, call in timelines]
        summary_times = [(name, *timed(call)) for name, call in summaries]
    finally:
        store.close()

    def rows(results: list[tuple[str, float, float]], budget: float) -> list[tuple[str, str]]:
        return [(name, f"p50 {p50:6.1f} ms, max {worst:6.1f} ms (budget {budget:.0f})") for name, p50, worst in results]

    report(f"schema migration on opening ({total:,} incidents)", [("first open", migration)])
    report(f"timeline refresh on {total:,} incidents, whole year unless said", rows(timeline_times, TIMELINE_BUDGET_MS))
    report(f"period summary on {total:,} incidents (vs the previous period)", rows(summary_times, SUMMARY_BUDGET_MS))
    assert all(p50 < TIMELINE_BUDGET_MS for _, p50, _ in timeline_times), timeline_times
    assert all(p50 < SUMMARY_BUDGET_MS for _, p50, _ in summary_times), summary_times


def shifted(flt: IncidentFilter, *, hours: int) -> IncidentFilter:
    """The same period moved by ``hours``: its ends fall inside days, which incidents must answer."""

    def move(text: str | None) -> str | None:
        if text is None:
            return None
        moment = datetime.fromisoformat(text.replace("Z", "+00:00")) + timedelta(hours=hours)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    return replace(flt, start_utc=move(flt.start_utc), end_utc=move(flt.end_utc))
