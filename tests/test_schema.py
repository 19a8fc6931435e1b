"""Schema from a blank database, migration safety, and the connection's settings."""

import shutil
from dataclasses import replace
from pathlib import Path

import expected_schema
import pytest
from sqlite_utils import Database
from support import valid_raw

from db.core.errors import DamagedDatabaseError, DatabaseError
from db.core.sql_driver import sqlite3
from db.model.validation import validate_incident
from db.records.incidents import amend_incident, get_incident, record_incidents
from db.records.monitors import add_monitor
from db.records.queries import IncidentFilter, count_incidents
from db.storage import cipher
from db.storage.backup import list_backups
from db.storage.connection import connect
from db.storage.conversion import encrypt_directory
from db.storage.integrity import check_database, check_projection
from db.storage.projection import PROJECTION_COLUMNS, kept_incident_count
from db.storage.rollup_schema import index_and_trigger_statements, table_statements
from db.storage.schema import M002_INDEXES_AND_TRIGGERS, M002_TABLES, migrations
from db.storage.store import META_THEATRE, migrate, open_store
from desktop.cli.main import main as cli_main


def describe(conn: sqlite3.Connection) -> tuple[dict[str, list[str]], dict[str, list[str]], list[str]]:
    """Tables with their columns, indexes with theirs, and trigger names, in the form of tests/expected_schema.py."""
    tables: dict[str, list[str]] = {}
    for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "AND name NOT LIKE '\\_%' ESCAPE '\\' AND name NOT LIKE 'incidents_fts_%' ORDER BY name"
    ):
        tables[name] = [
            f"{column} {kind}".strip() + (" NOT NULL" if notnull else "") + (f" PK{pk}" if pk else "")
            for _cid, column, kind, notnull, _default, pk in conn.execute(f"PRAGMA table_info([{name}])")
        ]
    indexes = {
        name: [r[2] for r in conn.execute(f"PRAGMA index_info([{name}])")]
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
    }
    triggers = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name")]
    return tables, indexes, triggers


def test_migrations_build_the_whole_schema_from_a_blank_database(tmp_path: Path) -> None:
    conn = connect(tmp_path / "blank.db")
    assert migrate(conn, tmp_path / "backups") == [
        "m001_initial",
        "m002_reporting_day",
        "m003_chain_heads",
        "m004_rollup_days",
        "m005_sort_indexes",
        "m006_monitor_devices",
        "m007_performance_indexes",
        "m008_roster",
        "m009_incident_count",
    ]
    tables, indexes, triggers = describe(conn)
    assert tables == expected_schema.EXPECTED_TABLES
    assert indexes == expected_schema.EXPECTED_INDEXES
    assert triggers == expected_schema.EXPECTED_TRIGGERS
    assert migrate(conn, tmp_path / "backups") == []  # nothing pending the second time
    assert not list_backups(tmp_path / "backups")  # a blank database needs no backup


def test_todays_rollup_definitions_are_still_the_ones_m002_froze() -> None:
    """db.storage.projection keeps the rollups with db.storage.rollup_schema; the tables are m002's literal SQL.

    When a later step changes a rollup, compare with that step's statements instead.
    """
    assert table_statements() == M002_TABLES
    assert index_and_trigger_statements() == M002_INDEXES_AND_TRIGGERS


def test_every_connection_gets_the_safety_pragmas(tmp_path: Path) -> None:
    conn = connect(tmp_path / "p.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA trusted_schema").fetchone()[0] == 0
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000


def test_pending_migrations_back_the_database_up_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    conn = connect(tmp_path / "old.db")
    migrate(conn, tmp_path / "backups")
    conn.execute("INSERT INTO meta (key, value) VALUES ('marker', 'before m002')")

    @migrations()
    def m002_test_step(db: Database) -> None:
        db.execute("CREATE TABLE test_step (x INTEGER)")

    try:
        assert migrate(conn, tmp_path / "backups") == ["m002_test_step"]
    finally:
        migrations._migrations.pop()
    (backup,) = list_backups(tmp_path / "backups")
    assert backup.label == "before-m002-test-step"
    copy = sqlite3.connect(backup.path)
    assert copy.execute("SELECT value FROM meta WHERE key = 'marker'").fetchone() == ("before m002",)
    assert "test_step" not in {r[0] for r in copy.execute("SELECT name FROM sqlite_master")}
    assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_database_from_a_newer_truceline_is_refused_not_migrated(tmp_path: Path) -> None:
    store = open_store(tmp_path / "data")
    store.conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('truceline', 'm099_future', 'x')"
    )
    store.close()
    with pytest.raises(DatabaseError, match="newer version of Truceline"):
        open_store(tmp_path / "data")


def test_a_file_that_is_not_a_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    directory = tmp_path / "data"
    directory.mkdir()
    target = directory / "truceline.db"
    target.write_bytes(b"these are my notes, not a database\n" * 10)
    with pytest.raises(DatabaseError, match="not a Truceline database"):
        open_store(directory)
    assert target.read_bytes() == b"these are my notes, not a database\n" * 10


def test_a_truncated_database_is_refused(tmp_path: Path) -> None:
    store = open_store(tmp_path / "data")
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    path = tmp_path / "data" / "truceline.db"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(DatabaseError):
        open_store(tmp_path / "data")


def test_reopening_keeps_the_device_identity(tmp_path: Path) -> None:
    first = open_store(tmp_path / "data")
    device = first.device.device_id
    first.close()
    second = open_store(tmp_path / "data")
    assert second.device.device_id == device
    assert (tmp_path / "data" / "device_key.pem").stat().st_mode & 0o077 == 0
    second.close()


# Local times in Kyiv around the 19:30 cut-off, and across both DST changes of 2026, as UTC.
AROUND_THE_CUTOFF = [
    "2026-03-28T17:29:59Z",  # 19:29:59 local (UTC+2): reporting day 28 March
    "2026-03-28T17:30:00Z",  # 19:30:00 local: reporting day 29 March
    "2026-03-29T00:30:00Z",  # 03:30 local on the day clocks go forward
    "2026-03-29T16:30:00Z",  # 19:30 local (now UTC+3): reporting day 30 March
    "2026-10-24T21:30:00Z",  # 00:30 local, 25 October, the day clocks go back
    "2026-10-25T00:30:00Z",  # 02:30 local (UTC+2 again)
    "2026-10-25T17:29:00Z",  # 19:29 local: reporting day 25 October
    "2026-10-25T21:59:00Z",  # 23:59 local: reporting day 26 October
]


def make_m001_database(source: Path, target: Path) -> None:
    """Copy the history of a current data directory into a database built by m001 alone.

    This is what a laptop running the release before m002 holds: the same versions, zones and
    theatre, and an incidents table without ``report_day`` whose m001 rollup its triggers filled.
    """
    target.mkdir(parents=True)
    shutil.copy(source / "device_key.pem", target / "device_key.pem")
    conn = connect(target / "truceline.db")
    migrations.apply(Database(conn, execute_plugins=False, recursive_triggers=True), stop_before="m002_reporting_day")
    conn.execute("ATTACH DATABASE ? AS source", (str(source / "truceline.db"),))
    for table in ("meta", "devices", "zones", "sectors", "incident_versions", "incident_heads"):
        conn.execute(f"INSERT INTO {table} SELECT * FROM source.{table}")
    conn.execute(  # m001's columns (m006 added the device and the signature)
        "INSERT INTO monitors SELECT monitor_id, name, callsign, role, created_at FROM source.monitors"
    )
    columns = ", ".join(c for c in PROJECTION_COLUMNS if c != "report_day")
    conn.execute(f"INSERT INTO incidents ({columns}) SELECT {columns} FROM source.incidents")
    conn.execute("INSERT INTO incidents_fts (incidents_fts) VALUES ('rebuild')")
    conn.commit()
    conn.execute("DETACH DATABASE source")
    conn.close()


@pytest.fixture
def history(tmp_path: Path) -> Path:
    """A data directory with incidents around the cut-off and the DST changes, one of them amended."""
    store = open_store(tmp_path / "current")
    author = add_monitor(store.conn, "Amelia Hart", "HART", "supervisor")
    writer = store.writer(author.monitor_id)
    template = validate_incident(valid_raw(observed_end=None), theatre=store.theatre)
    incidents = [
        replace(template, observed_start=start, count=n + 1, sector_id=None if n % 3 == 0 else template.sector_id)
        for n, start in enumerate(AROUND_THE_CUTOFF)
    ]
    saved = record_incidents(store.conn, writer, incidents, store.calendar)
    changed = replace(incidents[2], observed_start="2026-06-01T16:45:00Z", verification_state="verified")
    amend_incident(store.conn, writer, saved[2].incident_id, changed, "time corrected", store.calendar)
    store.close()
    return tmp_path / "current"


def test_a_database_from_m001_migrates_after_a_verified_backup(history: Path, tmp_path: Path) -> None:
    old = tmp_path / "old"
    make_m001_database(history, old)
    before = sqlite3.connect(old / "truceline.db")
    counts = [before.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("incidents", "incident_versions")]
    m001_totals = before.execute("SELECT sum(incidents), sum(violations) FROM daily_counts").fetchone()
    before.close()

    store = open_store(old)
    try:
        (backup,) = list_backups(old / "backups")
        assert backup.label == "before-m002-reporting-day"
        copy = sqlite3.connect(backup.path)
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert [r[0] for r in copy.execute("SELECT name FROM _sqlite_migrations")] == ["m001_initial"]
        assert "report_day" not in {r[1] for r in copy.execute("PRAGMA table_info(incidents)")}
        assert copy.execute("SELECT count(*) FROM incidents").fetchone()[0] == counts[0]
        copy.close()

        conn = store.conn
        assert [
            conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("incidents", "incident_versions")
        ] == counts
        assert conn.execute("SELECT sum(incidents), sum(violations) FROM daily_counts").fetchone() == m001_totals
        assert conn.execute("SELECT count(*) FROM incidents WHERE report_day IS NULL").fetchone()[0] == 0
        assert kept_incident_count(conn) == count_incidents(conn, IncidentFilter()) == counts[0]  # m009's count
        assert check_projection(conn, store.calendar) == []
        assert check_database(conn, store.calendar).ok
        report_days = dict(conn.execute("SELECT observed_start, report_day FROM incidents").fetchall())
        assert report_days["2026-03-28T17:29:59Z"] == "2026-03-28"
        assert report_days["2026-03-28T17:30:00Z"] == "2026-03-29"
        assert report_days["2026-03-29T16:30:00Z"] == "2026-03-30"
        assert report_days["2026-10-25T17:29:00Z"] == "2026-10-25"
        assert report_days["2026-10-25T21:59:00Z"] == "2026-10-26"
        assert report_days["2026-06-01T16:45:00Z"] == "2026-06-02"  # the amended head: 19:45 local
    finally:
        store.close()
    reopened = open_store(old)
    reopened.close()
    assert len(list_backups(old / "backups")) == 1  # nothing pending the second time, no second backup
    assert cli_main(["--data-dir", str(old), "check"]) == 0  # what `truceline check` says of it


def make_m008_database(source: Path, target: Path) -> None:
    """Copy a current data directory into a database built by the steps up to m008: no incident count kept."""
    target.mkdir(parents=True)
    shutil.copy(source / "device_key.pem", target / "device_key.pem")
    conn = connect(target / "truceline.db")
    migrations.apply(Database(conn, execute_plugins=False, recursive_triggers=True), stop_before="m009_incident_count")
    conn.execute("ATTACH DATABASE ? AS source", (str(source / "truceline.db"),))
    conn.execute("INSERT INTO incidents SELECT * FROM source.incidents")  # its triggers fill daily_counts...
    tables = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM main.sqlite_master WHERE type = 'table' AND name NOT IN ('incidents', 'incidents_fts') "
            "AND name NOT LIKE 'incidents_fts_%' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '\\_%' ESCAPE '\\'"
        )
    ]
    for table in tables:  # ...which are replaced by the source's, as the release before m009 kept them
        conn.execute(f"DELETE FROM {table}")
        conn.execute(f"INSERT INTO {table} SELECT * FROM source.{table}")
    conn.execute("INSERT INTO incidents_fts (incidents_fts) VALUES ('rebuild')")
    conn.commit()
    conn.execute("DETACH DATABASE source")
    conn.close()


def test_a_database_from_m008_gets_its_incident_count_after_a_verified_backup(history: Path, tmp_path: Path) -> None:
    old = tmp_path / "old"
    make_m008_database(history, old)
    before = sqlite3.connect(old / "truceline.db")
    assert before.execute("SELECT count(*) FROM incidents").fetchone()[0] == len(AROUND_THE_CUTOFF)
    assert "incident_count" not in {r[0] for r in before.execute("SELECT name FROM sqlite_master")}
    before.close()

    store = open_store(old)
    try:
        (backup,) = list_backups(old / "backups")
        assert backup.label == "before-m009-incident-count"
        conn = store.conn
        assert kept_incident_count(conn) == count_incidents(conn, IncidentFilter()) == len(AROUND_THE_CUTOFF)
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        assert "incident_versions_state" not in names and {"incidents_count_insert", "incidents_count_delete"} <= names
        assert check_database(conn, store.calendar).ok
        author = conn.execute("SELECT monitor_id FROM monitors").fetchone()[0]
        record_incidents(
            conn,
            store.writer(author),
            [validate_incident(valid_raw(observed_end=None), theatre=store.theatre)],
            store.calendar,
        )
        assert count_incidents(conn, IncidentFilter()) == len(AROUND_THE_CUTOFF) + 1  # and follows the next save
    finally:
        store.close()
    assert cli_main(["--data-dir", str(old), "check"]) == 0


def test_a_directory_last_opened_before_m009_can_be_encrypted_and_then_migrates(history: Path, tmp_path: Path) -> None:
    """``truceline encrypt`` checks its copy without migrating it: a database without m009's count passes."""
    old = tmp_path / "old"
    make_m008_database(history, old)
    try:
        encrypt_directory(old, "olive tractor under moonlight", cipher.KdfParams(1, 1024, 1))
        store = open_store(old)
        try:
            assert kept_incident_count(store.conn) == len(AROUND_THE_CUTOFF)
            assert check_database(store.conn, store.calendar).ok
        finally:
            store.close()
    finally:
        cipher.forget(old)


def test_the_migration_uses_the_cutoff_of_the_stored_theatre(history: Path, tmp_path: Path) -> None:
    old = tmp_path / "old"
    make_m001_database(history, old)
    conn = sqlite3.connect(old / "truceline.db")
    text = conn.execute("SELECT value FROM meta WHERE key = ?", (META_THEATRE,)).fetchone()[0]
    assert '"reporting_cutoff": "19:30"' in text
    conn.execute("UPDATE meta SET value = ? WHERE key = ?", (text.replace('"19:30"', '"18:00"'), META_THEATRE))
    conn.commit()
    conn.close()
    store = open_store(old)
    try:
        assert str(store.calendar.cutoff) == "18:00:00"
        head = store.conn.execute(
            "SELECT incident_id FROM incidents WHERE observed_start = '2026-03-28T17:29:59Z'"
        ).fetchone()[0]
        assert get_incident(store.conn, head).obs_day == "2026-03-28"
        # 19:29:59 local is after an 18:00 cut-off: the next reporting day.
        assert store.conn.execute("SELECT report_day FROM incidents WHERE incident_id = ?", (head,)).fetchone() == (
            "2026-03-29",
        )
        assert check_database(store.conn, store.calendar).ok
    finally:
        store.close()


def test_a_truncated_database_is_refused_even_without_the_start_up_check(tmp_path: Path) -> None:
    store = open_store(tmp_path / "data")
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    path = tmp_path / "data" / "truceline.db"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    truncated = path.read_bytes()
    with pytest.raises(DamagedDatabaseError, match="damaged"):
        open_store(tmp_path / "data", check=False)
    assert path.read_bytes() == truncated
