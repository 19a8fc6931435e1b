"""Recording and amending incidents: versions are the truth, the incident row is a projection."""

import json

import pytest
from support import valid_raw

from db.core.errors import NotFoundError, ValidationError
from db.core.hashing import canonical_json, sha256_hex
from db.core.sql_driver import sqlite3
from db.model.validation import validate_incident
from db.records.incidents import (
    Amendment,
    ConflictError,
    amend_incident,
    amend_incidents,
    get_incident,
    incident_history,
    record_incident,
    resolve_conflict,
)
from db.records.monitors import add_monitor
from db.storage.connection import transaction
from db.storage.integrity import check_database, check_projection, verify_chains
from db.storage.projection import PROJECTION_COLUMNS, rebuild_projection


def save(store, writer, **changes):  # type: ignore[no-untyped-def]
    return record_incident(
        store.conn, writer, validate_incident(valid_raw(**changes), theatre=store.theatre), store.calendar
    )


def test_a_recorded_incident_reads_back_with_its_reference(store, writer) -> None:  # type: ignore[no-untyped-def]
    saved = save(store, writer)
    record = get_incident(store.conn, saved.incident_id)
    assert record.ref == saved.ref
    assert record.ref.startswith(f"{record.incident.sector_id}-") and record.ref.endswith("-000001")
    assert record.heads == 1 and not record.in_conflict
    assert record.incident.count == 12 and record.incident.place == "Торецьк"
    assert record.obs_day == "2026-05-02"  # 21:15 UTC is 00:15 in Kyiv (UTC+3 in summer)


def test_a_version_holds_every_column_of_design(store, writer) -> None:  # type: ignore[no-untyped-def]
    saved = save(store, writer)
    row = store.conn.execute("SELECT * FROM incident_versions WHERE version_id = ?", (saved.version_id,)).fetchone()
    names = [d[0] for d in store.conn.execute("SELECT * FROM incident_versions LIMIT 0").description]
    version = dict(zip(names, row, strict=True))
    assert version["parent_ids"] == "[]" and version["reason"] is None and version["device_seq"] == 1
    assert version["device_id"] == store.device.device_id and version["author_id"] == writer.author_id
    assert version["recorded_at"].endswith("Z")
    assert version["payload_sha256"] == sha256_hex(version["payload"].encode())
    assert version["payload"] == canonical_json(json.loads(version["payload"])).decode()


def test_amending_keeps_every_version_with_its_reason(store, writer) -> None:  # type: ignore[no-untyped-def]
    saved = save(store, writer)
    changed = validate_incident(valid_raw(count=14, place="Toretsk"), theatre=store.theatre)
    amended = amend_incident(store.conn, writer, saved.incident_id, changed, "recounted with the team", store.calendar)
    assert amended.ref == saved.ref
    record = get_incident(store.conn, saved.incident_id)
    assert record.incident.count == 14 and record.head_version_id == amended.version_id
    history = incident_history(store.conn, saved.incident_id)
    assert [h.version.reason for h in history] == [None, "recounted with the team"]
    assert history[1].changed == ("place", "count")
    assert history[1].author_name == "Amelia Hart (HART)"
    assert history[1].version.parent_ids == (saved.version_id,)
    assert [h.is_head for h in history] == [False, True]


def test_amending_without_a_reason_is_refused_and_changes_nothing(store, writer) -> None:  # type: ignore[no-untyped-def]
    saved = save(store, writer)
    with pytest.raises(ValidationError, match="reason"):
        amend_incident(
            store.conn,
            writer,
            saved.incident_id,
            validate_incident(valid_raw(count=2), theatre=store.theatre),
            "  ",
            store.calendar,
        )
    assert len(incident_history(store.conn, saved.incident_id)) == 1
    assert get_incident(store.conn, saved.incident_id).incident.count == 12


def test_amending_an_unknown_incident_is_refused(store, writer) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotFoundError):
        amend_incident(
            store.conn,
            writer,
            "nope",
            validate_incident(valid_raw(zone_id="EAST"), theatre=store.theatre),
            "why",
            store.calendar,
        )


def test_editing_from_a_stale_version_makes_a_visible_conflict_not_an_overwrite(store, writer, supervisor) -> None:  # type: ignore[no-untyped-def]
    saved = save(store, writer)
    first = amend_incident(
        store.conn,
        writer,
        saved.incident_id,
        validate_incident(valid_raw(count=20), theatre=store.theatre),
        "first editor",
        store.calendar,
    )
    second = amend_incident(
        store.conn,
        writer,
        saved.incident_id,
        validate_incident(valid_raw(count=30), theatre=store.theatre),
        "second editor, started earlier",
        store.calendar,
        base_version_id=saved.version_id,
    )
    record = get_incident(store.conn, saved.incident_id)
    assert record.heads == 2 and record.in_conflict
    assert record.head_version_id == max(first.version_id, second.version_id)
    with pytest.raises(ConflictError):
        amend_incident(
            store.conn,
            writer,
            saved.incident_id,
            validate_incident(valid_raw(count=1), theatre=store.theatre),
            "x",
            store.calendar,
        )
    resolved = resolve_conflict(
        store.conn,
        store.writer(supervisor.monitor_id),  # resolving is a supervisor's decision
        saved.incident_id,
        validate_incident(valid_raw(count=25), theatre=store.theatre),
        "agreed 25",
        store.calendar,
    )
    record = get_incident(store.conn, saved.incident_id)
    assert record.heads == 1 and record.incident.count == 25
    history = incident_history(store.conn, saved.incident_id)
    assert sorted(history[-1].version.parent_ids) == sorted([first.version_id, second.version_id])
    assert resolved.version_id == record.head_version_id


def test_a_batch_amend_is_one_transaction_all_or_nothing(store, writer) -> None:  # type: ignore[no-untyped-def]
    first, second = save(store, writer, count=1), save(store, writer, count=2)
    changed = validate_incident(valid_raw(count=5), theatre=store.theatre)
    with pytest.raises(NotFoundError, match="no-such-id"):
        amend_incidents(
            store.conn,
            writer,
            [Amendment(first.incident_id, changed), Amendment("no-such-id", changed)],
            "r",
            store.calendar,
        )
    with pytest.raises(ValueError, match="more than once"):
        amend_incidents(store.conn, writer, [Amendment(first.incident_id, changed)] * 2, "r", store.calendar)
    assert store.conn.execute("SELECT count(*) FROM incident_versions").fetchone()[0] == 2
    saved = amend_incidents(
        store.conn,
        writer,
        [(first.incident_id, changed, None), (second.incident_id, changed, second.version_id)],
        "recounted both",
        store.calendar,
    )
    assert [s.ref for s in saved] == [first.ref, second.ref]
    for s in saved:
        record = get_incident(store.conn, s.incident_id)
        assert record.incident.count == 5 and record.head_version_id == s.version_id
        assert incident_history(store.conn, s.incident_id)[-1].version.reason == "recounted both"
    assert check_projection(store.conn, store.calendar) == []


def test_versions_cannot_be_changed_or_deleted(store, writer) -> None:  # type: ignore[no-untyped-def]
    saved = save(store, writer)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.conn.execute("UPDATE incident_versions SET reason = 'x' WHERE version_id = ?", (saved.version_id,))
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.conn.execute("DELETE FROM incident_versions")
    assert store.conn.execute("SELECT count(*) FROM incident_versions").fetchone()[0] == 1


def _snapshot(conn: sqlite3.Connection) -> tuple:  # type: ignore[type-arg]
    incidents = conn.execute(f"SELECT {', '.join(PROJECTION_COLUMNS)} FROM incidents ORDER BY incident_id").fetchall()
    heads = conn.execute("SELECT * FROM incident_heads ORDER BY 1, 2").fetchall()
    rollup = conn.execute("SELECT * FROM daily_counts ORDER BY 1, 2, 3, 4, 5, 6, 7, 8").fetchall()
    fts = conn.execute("SELECT rowid FROM incidents_fts WHERE incidents_fts MATCH 'impacts' ORDER BY rowid").fetchall()
    return incidents, heads, rollup, len(fts)


def test_rebuilding_the_projection_gives_the_live_one(store, writer) -> None:  # type: ignore[no-untyped-def]
    other = store.writer(add_monitor(store.conn, "Louis Mercier", "MERC", "monitor").monitor_id)
    ids = [save(store, writer, count=n, observed_start=f"2026-04-{n:02d}T10:00:00Z").incident_id for n in range(1, 9)]
    amend_incident(
        store.conn,
        other,
        ids[0],
        validate_incident(valid_raw(category="other", zone_id="EAST"), theatre=store.theatre),
        "r",
        store.calendar,
    )
    amend_incident(
        store.conn,
        other,
        ids[1],
        validate_incident(valid_raw(narrative="changed"), theatre=store.theatre),
        "r",
        store.calendar,
    )
    base = incident_history(store.conn, ids[2])[0].version.version_id
    amend_incident(
        store.conn, writer, ids[2], validate_incident(valid_raw(count=99), theatre=store.theatre), "a", store.calendar
    )
    amend_incident(
        store.conn,
        other,
        ids[2],
        validate_incident(valid_raw(count=98), theatre=store.theatre),
        "b",
        store.calendar,
        base_version_id=base,
    )
    live = _snapshot(store.conn)
    with transaction(store.conn):
        assert rebuild_projection(store.conn, store.calendar) == 8
    assert _snapshot(store.conn) == live
    assert check_projection(store.conn, store.calendar) == []


def test_a_flipped_byte_in_a_version_is_found_by_the_chain_check(store, writer) -> None:  # type: ignore[no-untyped-def]
    saved = [save(store, writer, count=n) for n in (1, 2, 3)]
    assert verify_chains(store.conn) == []
    conn = store.conn
    conn.execute("DROP TRIGGER incident_versions_no_update")  # what an attacker with the file could do
    conn.execute(
        "UPDATE incident_versions SET payload = replace(payload, '\"count\":2', '\"count\":7') WHERE version_id = ?",
        (saved[1].version_id,),
    )
    problems = verify_chains(conn)
    assert [p.version_id for p in problems] == [saved[1].version_id]
    assert "device" in problems[0].what and "version 2" in problems[0].what and "payload hash" in problems[0].what
    assert not check_database(conn, store.calendar).ok


def test_a_changed_reason_or_author_is_found_too(store, writer) -> None:  # type: ignore[no-untyped-def]
    saved = save(store, writer)
    amended = amend_incident(
        store.conn,
        writer,
        saved.incident_id,
        validate_incident(valid_raw(count=3), theatre=store.theatre),
        "r",
        store.calendar,
    )
    store.conn.execute("DROP TRIGGER incident_versions_no_update")
    store.conn.execute("UPDATE incident_versions SET reason = 'other' WHERE version_id = ?", (amended.version_id,))
    assert ["version hash" in p.what for p in verify_chains(store.conn)] == [True]


def test_a_clean_database_passes_every_check(store, writer) -> None:  # type: ignore[no-untyped-def]
    save(store, writer)
    report = check_database(store.conn, store.calendar)
    assert report.ok, report.problems
    assert (report.versions, report.incidents, report.devices) == (1, 1, 1)
