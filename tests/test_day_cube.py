"""The in-memory copy of daily_counts answers exactly what SQL answers, and stays exact as the
data changes: saves and amendments reload only their days, a rebuilt projection reloads all."""

from dataclasses import replace
from pathlib import Path

import pytest
from support import record_events, save

import db.trends.day_cube as day_cube
import db.trends.incident_cube as incident_cube
from db.core.sql_driver import sqlite3
from db.records.incidents import amend_incident, get_incident
from db.records.monitors import Monitor
from db.records.queries import IncidentFilter
from db.storage.connection import transaction
from db.storage.projection import rebuild_projection
from db.storage.store import Store
from db.storage.versions import Writer
from db.trends.timeline import Timeline, timeline

# Where, what and state at once: no narrow rollup has all three, so daily_counts answers.
FILTERS = [
    (IncidentFilter(zone_ids=("EAST",), states=("submitted",)), "obs_type"),
    (IncidentFilter(sector_ids=("DMZ-04", None), categories=("fire",)), "verification_state"),
    (IncidentFilter(weapon_classes=("mortar",), states=("submitted", "verified")), "sector"),
    (IncidentFilter(zone_ids=("SOUTH",), weapon_classes=("mortar",), states=("submitted",)), "category"),
    # A text search: the matches from FTS5, summed from the per-incident arrays (db/trends/incident_cube.py).
    (IncidentFilter(text="heard"), "zone"),
    (IncidentFilter(text="explosion", zone_ids=("EAST",)), "verification_state"),
]


def both_ways(store: Store, monkeypatch: pytest.MonkeyPatch) -> list[tuple[Timeline, Timeline]]:
    pairs = []
    for flt, dimension in FILTERS:
        for reporting in (False, True):
            ask = dict(tz=store.tz, cutoff=store.calendar.cutoff, dimension=dimension, reporting_days=reporting)
            from_cube = timeline(store.conn, flt, **ask)  # type: ignore[arg-type]
            with monkeypatch.context() as m:
                m.setattr("db.trends.rollups.cube_of", lambda conn: None)
                m.setattr("db.trends.timeline.incident_cube_of", lambda conn, tz: None)
                from_sql = timeline(store.conn, flt, **ask)  # type: ignore[arg-type]
            pairs.append((from_cube, from_sql))
    return pairs


def test_the_cube_answers_what_sql_answers_as_the_data_changes(
    store: Store, writer: Writer, supervisor: Monitor, monkeypatch: pytest.MonkeyPatch
) -> None:
    record_events(store, writer)
    for cube, sql in both_ways(store, monkeypatch):
        assert cube == sql
        assert cube.series  # something to compare

    loads: list[str] = []
    reads: list[str] = []
    real_load, real_read = day_cube.load_cube, incident_cube._columns

    def spy(conn: sqlite3.Connection, stamp: object, where: str = "", params: tuple[str, ...] = ()) -> object:
        loads.append(where)
        return real_load(conn, stamp, where, params)  # type: ignore[arg-type]

    def read_spy(conn: sqlite3.Connection, where: str, params: tuple[str, ...], vocab: dict[str, list[str]]) -> object:
        reads.append(where)
        return real_read(conn, where, params, vocab)

    monkeypatch.setattr(day_cube, "load_cube", spy)
    monkeypatch.setattr(incident_cube, "_columns", read_spy)
    # A new incident and an amendment that moves one to another day, zone and state.
    save(store, writer, observed_start="2026-05-13T09:00:00Z", observed_end=None, zone_id="EAST")
    first = store.conn.execute("SELECT incident_id FROM incidents ORDER BY rowid LIMIT 1").fetchone()[0]
    moved = replace(
        get_incident(store.conn, first).incident,
        observed_start="2026-05-15T12:00:00Z",
        observed_end=None,
        zone_id="SOUTH",
        sector_id="DMZ-09",
        verification_state="verified",
    )
    judge = store.writer(supervisor.monitor_id)  # verifying is a supervisor's decision
    amend_incident(store.conn, judge, first, moved, "wrong day and zone", store.calendar)
    for cube, sql in both_ways(store, monkeypatch):
        assert cube == sql
    assert loads and all(where.startswith("WHERE day IN") for where in loads)  # only the changed days
    assert reads and all(where.startswith("WHERE (observed_start >=") for where in reads)

    loads.clear()
    reads.clear()
    with transaction(store.conn):
        rebuild_projection(store.conn, store.calendar)
    for cube, sql in both_ways(store, monkeypatch):
        assert cube == sql
    assert "" in loads and "WHERE rowid >= ? AND rowid < ?" in reads  # a new epoch: everything read again


def test_a_generation_that_went_back_reloads_everything(
    store: Store, writer: Writer, monkeypatch: pytest.MonkeyPatch
) -> None:
    record_events(store, writer)
    day_cube.cube_of(store.conn)
    cached = day_cube.cube_of(store.conn)
    assert cached is not None
    # As after a restored backup: the database is at an older generation than the copy.
    store.conn.execute("UPDATE rollup_days SET gen = 0")
    again = day_cube.cube_of(store.conn)
    assert again is not cached and again is not None and again.stamp.gen == 0
    for cube, sql in both_ways(store, monkeypatch):
        assert cube == sql


def test_an_in_memory_database_has_no_cube() -> None:
    from db.storage.connection import connect
    from db.storage.store import migrate

    conn = connect(":memory:")
    migrate(conn, Path("/nonexistent"))
    assert day_cube.cube_of(conn) is None


def test_a_text_search_finds_the_same_incidents_by_exact_terms_as_by_prefix(store: Store, writer: Writer) -> None:
    from db.records.queries import fts_query
    from db.trends.incident_cube import matching_rowids

    for narrative in ("Tracer fire seen", "tracers at dusk", "TRACE of a crater", "Обстріл біля Торецька", "café"):
        save(store, writer, narrative=narrative, observed_end=None)
    for text in ("tracer", "trace", "Trac", "tr fire", "crater", "xyz", "Торец", "cafe", "café", "  ", "t"):
        query = fts_query(text)
        expected = (
            {r[0] for r in store.conn.execute("SELECT rowid FROM incidents_fts WHERE incidents_fts MATCH ?", (query,))}
            if query
            else set()
        )
        assert set(matching_rowids(store.conn, text).tolist()) == expected, text
