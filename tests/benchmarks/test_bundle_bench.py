"""Budget: merging a bundle of 100,000 versions into a million incidents at ≥ 1/3 of raw executemany speed.

The bundle comes from a fresh data directory filled by ``truceline demo`` and exported with
``bundle export --all``. The benchmark database is never written: it is copied twice into this
test's own temporary directory (``cp`` when its WAL is empty, else the SQLite backup API), and
the copies are deleted at the end.

The peer is the least work that could store the same rows: ``executemany`` of the bundle's
versions into ``incident_versions``, of their projected rows into ``incidents`` (whose rollup
triggers fire as they do for the import), of their heads into ``incident_heads`` and of their
text into ``incidents_fts``, in one transaction on one copy, committed and checkpointed with the
same bulk settings the import uses (:func:`db.storage.connection.bulk_writes`). The import, on the other
copy, does all of that plus reading the zip, checking every signature, hash and chain link,
comparing with the versions held, projecting and refreshing the timeline rollups.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchutil import report
from sqlite_utils import Database

from db.core.sql_driver import sqlite3
from db.exchange.importing import import_bundle
from db.exchange.mission import KEY_FILE, PUBLIC_FILE, create_authority, read_public_file, trust_authority
from db.exchange.roster_file import load_roster, sign_roster
from db.exchange.verify import verify_bundle
from db.storage.connection import bulk_writes, connect, transaction
from db.storage.projection import Calendar, project_group
from db.storage.schema import migrations
from db.storage.store import calendar_of, current_theatre
from db.storage.versions import VERSION_COLUMNS

VERSIONS = int(os.environ.get("TRUCELINE_BENCH_BUNDLE_VERSIONS", "100000"))
RATIO_BUDGET = 1 / 3


def _copy_database(source: Path, target: Path) -> None:
    wal = source.with_name(source.name + "-wal")
    if not wal.exists() or wal.stat().st_size == 0:
        shutil.copyfile(source, target)
        return
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as origin, sqlite3.connect(target) as copy:
        origin.backup(copy)


def _baseline(conn: sqlite3.Connection, bundle_path: Path) -> float:
    """Seconds for executemany of the same rows into the same tables, committed and checkpointed."""
    bundle = verify_bundle(bundle_path)
    calendar = calendar_of(current_theatre(conn))
    versions = [v.as_row() for v in bundle.versions]
    rows, heads = [], []
    for version in bundle.versions:
        row, head_ids = project_group([version], calendar)
        rows.append(row)
        heads.extend((version.incident_id, h) for h in head_ids)
    from db.storage.projection import PROJECTION_COLUMNS

    narrative, place = PROJECTION_COLUMNS.index("narrative"), PROJECTION_COLUMNS.index("place")
    device = bundle.devices[0]
    started = time.perf_counter()
    with bulk_writes(conn), transaction(conn):
        conn.execute(
            "INSERT INTO devices (device_id, label, public_key, first_seen) VALUES (?, ?, ?, '2026-01-01T00:00:00Z')",
            (device.device_id, device.label, device.public_key),
        )
        marks = ", ".join("?" * len(VERSION_COLUMNS))
        conn.executemany(f"INSERT INTO incident_versions ({', '.join(VERSION_COLUMNS)}) VALUES ({marks})", versions)
        last_rowid = conn.execute("SELECT coalesce(max(rowid), 0) FROM incidents").fetchone()[0]
        marks = ", ".join("?" * len(PROJECTION_COLUMNS))
        conn.executemany(f"INSERT INTO incidents ({', '.join(PROJECTION_COLUMNS)}) VALUES ({marks})", rows)
        conn.executemany("INSERT INTO incident_heads (incident_id, version_id) VALUES (?, ?)", heads)
        conn.executemany(
            "INSERT INTO incidents_fts (rowid, narrative, place) VALUES (?, ?, ?)",
            [(last_rowid + n, row[narrative], row[place]) for n, row in enumerate(rows, start=1)],
        )
    return time.perf_counter() - started


def _name_in_roster(work: Path, source: Path, conn: sqlite3.Connection, calendar: Calendar) -> None:
    """Headquarters' set-up for the receiving copy: trust an authority, load its roster naming the demo laptop."""
    create_authority(work / "hq")
    trust_authority(conn, read_public_file(work / "hq" / PUBLIC_FILE))
    with sqlite3.connect(f"file:{source / 'truceline.db'}?mode=ro", uri=True) as origin:
        device_id, key = origin.execute(
            "SELECT device_id, public_key FROM devices WHERE device_id = "
            "(SELECT value FROM meta WHERE key = 'local_device_id')"
        ).fetchone()
        people = origin.execute("SELECT monitor_id, name FROM monitors WHERE role = 'supervisor'").fetchall()
    document = {
        "number": 1,
        "laptops": [{"device_id": device_id, "public_key": key, "label": "demo"}],
        "supervisors": [{"monitor_id": m, "name": n, "devices": [device_id]} for m, n in people],
    }
    (work / "roster.json").write_text(json.dumps(document))
    sign_roster(work / "roster.json", work / "hq" / KEY_FILE, work / "roster.signed")
    load_roster(conn, calendar, work / "roster.signed")


def test_bundle_import_runs_at_a_third_of_raw_executemany(million: Path) -> None:
    work = Path(tempfile.mkdtemp(prefix="bundle-bench-", dir="/tmp"))
    try:
        source, bundle = work / "source", work / f"bundle-{VERSIONS}.zip"
        for args in (("demo", "--incidents", str(VERSIONS)), ("bundle", "export", "--all", str(bundle))):
            command = [sys.executable, "-m", "desktop", "--data-dir", str(source), *args]
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        connections = []
        for name in ("raw", "import"):
            copy = work / name / "truceline.db"
            copy.parent.mkdir()
            _copy_database(million / "truceline.db", copy)
            conn = connect(copy)
            # Bring the copy to this schema (m003) without the pre-migration backup of a 2.6 GB file.
            migrations.apply(Database(conn, execute_plugins=False, recursive_triggers=True))
            connections.append(conn)
        raw_conn, conn = connections
        incidents = conn.execute("SELECT max(rowid) FROM incidents").fetchone()[0]
        calendar = calendar_of(current_theatre(conn))
        # The demo's reviewed states are its supervisors' decisions: the mission's roster names them
        # (without one they would be kept apart, not merged).
        _name_in_roster(work, source, conn, calendar)
        raw = _baseline(raw_conn, bundle)
        started = time.perf_counter()
        result = import_bundle(conn, calendar, bundle)
        merged = time.perf_counter() - started
        for each in connections:
            each.close()
        ratio = raw / merged
        report(
            f"bundle import into ~{incidents:,} incidents (copy of the benchmark database)",
            [
                ("bundle", f"{VERSIONS:,} versions, {bundle.stat().st_size / 1e6:.1f} MB"),
                ("import (verify + merge + project)", f"{merged:.1f} s ({result.added / merged:,.0f} versions/s)"),
                ("raw executemany of the same rows", f"{raw:.1f} s"),
                ("ratio (raw / import)", f"{ratio:.2f} (budget ≥ {RATIO_BUDGET:.2f})"),
            ],
        )
        assert result.added == VERSIONS
        assert ratio >= RATIO_BUDGET
    finally:
        shutil.rmtree(work, ignore_errors=True)
