"""m007's indexes: the area filter uses its own, answers are unchanged, and the step migrates a database
that holds records after a backup, leaving `truceline check` passing. m007's other index,
``incident_versions_state``, served the state hash, which now comes from the devices' chains
(tests/test_state_hash.py); no query read it any more, and m009 drops it."""

from pathlib import Path

import pytest
from support import valid_raw

from db.core.sql_driver import sqlite3
from db.exchange.log import state_hash
from db.model.validation import validate_incident
from db.records.incidents import record_incidents
from db.records.monitors import add_monitor
from db.records.queries import Area, IncidentFilter, count_incidents, page_incidents, position_of, where_clause
from db.storage.backup import list_backups
from db.storage.integrity import check_database
from db.storage.store import Store, open_store
from db.storage.versions import Writer

POST = Area(48.38, 37.66, 48.44, 37.74)
TORETSK = Area(48.2, 37.4, 48.7, 38.2)


def _record(store: Store, writer: Writer, n: int = 60) -> None:
    """``n`` incidents spread over a degree, a third placed by the observer alone, with tied times."""
    incidents = []
    for i in range(n):
        lat, lon = 48.0 + (i * 7 % 60) / 60, 37.3 + (i * 11 % 60) / 60
        by_event = i % 3 != 0
        raw = valid_raw(
            observed_start=f"2026-05-{10 + i % 12:02d}T{9 + i % 2:02d}:00:00Z",
            observed_end=None,
            observer_lat=lat if not by_event else 48.40,
            observer_lon=lon if not by_event else 37.70,
            event_lat=lat if by_event else None,
            event_lon=lon if by_event else None,
            count=1 + i % 5,
            place=f"Place {i % 4}",
            zone_id=None,
            sector_id=None,
        )
        if not by_event:
            raw.update(bearing_deg=None, dist_min_km=None, dist_max_km=None)
        incidents.append(validate_incident(raw, theatre=store.theatre))
    record_incidents(store.conn, writer, incidents, store.calendar)


def _plan(conn: sqlite3.Connection, sql: str, params: list[object]) -> str:
    return " / ".join(row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params))


def test_an_area_count_uses_the_map_position_index(store, writer) -> None:  # type: ignore[no-untyped-def]
    _record(store, writer, 5)
    where, params = where_clause(IncidentFilter(area=POST))
    assert "incidents_map_position" in _plan(store.conn, f"SELECT count(*) FROM incidents WHERE {where}", params)


@pytest.mark.parametrize("sort", ["observed_start", "count", "place"])
@pytest.mark.parametrize("area", [POST, TORETSK, Area(44.0, 30.0, 52.0, 40.0), Area(50.0, 30.0, 51.0, 31.0)])
def test_pages_and_positions_are_the_same_by_either_index(store, writer, sort, area) -> None:  # type: ignore[no-untyped-def]
    """Whether a page walks the sort's index or reads the area's (``matching`` decides), rows agree."""
    _record(store, writer)
    flt = IncidentFilter(area=area)
    total = count_incidents(store.conn, flt)
    everything = page_incidents(store.conn, flt, sort=sort, limit=1000)  # the area's index allowed
    assert len(everything) == total
    # ``matching`` only chooses the index: all of the table walks the sort's; 25 of the 60 rows
    # walks it for a page of 7 (not sorted by place) and reads the area's for the rest; None the area's.
    for matching in (total, 10_000, 25, 1, None):
        assert page_incidents(store.conn, flt, sort=sort, limit=1000, matching=matching) == everything
        walked = [
            *page_incidents(store.conn, flt, sort=sort, limit=7, matching=matching),
            *page_incidents(store.conn, flt, sort=sort, offset=7, limit=1000, matching=matching),
        ]
        assert walked == everything
        for row, keyed in enumerate(everything):
            found = position_of(store.conn, flt, keyed.record.incident_id, sort, matching=matching)
            assert found == row


def test_m007_migrates_a_database_with_records_after_a_backup(data_dir: Path) -> None:
    store = open_store(data_dir)
    author = add_monitor(store.conn, "Amelia Hart", "HART", "monitor")
    _record(store, store.writer(author.monitor_id))
    expected = (count_incidents(store.conn, IncidentFilter(area=TORETSK)), state_hash(store.conn))
    # Back to the schema before m007 (and so before m009): m007's index that m009 left dropped,
    # m009's count and its triggers; both steps marked as not applied.
    store.conn.execute("DROP INDEX incidents_map_position")
    for statement in ("DROP TRIGGER incidents_count_insert", "DROP TRIGGER incidents_count_delete"):
        store.conn.execute(statement)
    store.conn.execute("DROP TABLE incident_count")
    store.conn.execute(
        "DELETE FROM _sqlite_migrations WHERE name IN ('m007_performance_indexes', 'm009_incident_count')"
    )
    store.close()

    store = open_store(data_dir)
    try:
        (backup,) = list_backups(data_dir / "backups")
        assert backup.label == "before-m007-performance-indexes"
        names = {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert "incidents_map_position" in names
        assert "incident_versions_state" not in names  # m007 made it, m009 dropped it again
        assert (count_incidents(store.conn, IncidentFilter(area=TORETSK)), state_hash(store.conn)) == expected
        report = check_database(store.conn, store.calendar)
        assert report.ok, report
    finally:
        store.close()
