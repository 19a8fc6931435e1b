"""CSV budgets (ARCHITECTURE.md §10), as ratios to peers on the same rows, printed side by side.

Export: every incident of the benchmark database, native format, against the ``sqlite3`` shell's
``.mode csv`` (``-csv``) and ``sqlite-utils rows --csv`` on the same rows in the same order.
Budget: at most 2x the shell, faster than sqlite-utils. The export only reads the shared database.

Import: 100,000 exported rows into a fresh database, against raw ``executemany`` of the same
incidents' rows as stored (version, projection and head rows) into a fresh database of the same
schema. Budget: at least a third of the raw speed. Both print wall and CPU time.
"""

import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from benchutil import report

from db.csv_io.export import export_csv
from db.csv_io.importing import import_csv
from db.records.monitors import add_monitor
from db.records.queries import IncidentFilter
from db.storage.connection import connect, transaction
from db.storage.projection import PROJECTION_COLUMNS
from db.storage.store import open_store
from db.storage.versions import VERSION_COLUMNS

SHELL = shutil.which("sqlite3") or "/usr/bin/sqlite3"
SQLITE_UTILS = str(Path(sys.executable).with_name("sqlite-utils"))
IMPORT_ROWS = 100_000
ORDER = "observed_start, incident_id"


@pytest.fixture
def scratch() -> Iterator[Path]:
    directory = Path(tempfile.mkdtemp(prefix="csv-bench-", dir="/tmp"))
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_command(command: list[str], out: Path) -> tuple[float, float]:
    """Wall and CPU seconds of a command writing to ``out``."""
    started, cpu = time.perf_counter(), children_cpu()
    with out.open("wb") as handle:
        subprocess.run(command, check=True, stdout=handle)
    return time.perf_counter() - started, children_cpu() - cpu


def test_export_against_the_sqlite3_shell_and_sqlite_utils(million: Path, scratch: Path) -> None:
    database = million / "truceline.db"
    conn = connect(database, readonly=True)
    try:
        tz = open_store_tz(conn)
        started, cpu = time.perf_counter(), time.process_time()
        result = export_csv(conn, IncidentFilter(), scratch / "native.csv", tz=tz)
        ours, ours_cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        conn.close()
    ours_size = (scratch / "native.csv").stat().st_size
    (scratch / "native.csv").unlink()
    columns = ", ".join(PROJECTION_COLUMNS)
    shell, shell_cpu = timed_command(
        [SHELL, "-readonly", "-csv", "-header", str(database), f"SELECT {columns} FROM incidents ORDER BY {ORDER}"],
        scratch / "shell.csv",
    )
    (scratch / "shell.csv").unlink()
    utils, utils_cpu = timed_command(
        [SQLITE_UTILS, "rows", str(database), "incidents", "--csv", "--order", ORDER], scratch / "utils.csv"
    )
    (scratch / "utils.csv").unlink()
    report(
        f"CSV export of {result.rows:,} incidents (native, every column, MGRS and local time)",
        [
            ("truceline export-csv", f"{ours:.1f} s wall, {ours_cpu:.1f} s CPU ({ours_size / 1e6:,.0f} MB)"),
            ("sqlite3 shell -csv, same rows and order", f"{shell:.1f} s wall, {shell_cpu:.1f} s CPU"),
            ("sqlite-utils rows --csv, same rows and order", f"{utils:.1f} s wall, {utils_cpu:.1f} s CPU"),
            ("ratio to the sqlite3 shell", f"{ours / shell:.2f}x wall, {ours_cpu / shell_cpu:.2f}x CPU (budget 2x)"),
            ("ratio to sqlite-utils", f"{ours / utils:.2f}x wall, {ours_cpu / utils_cpu:.2f}x CPU (budget < 1x)"),
        ],
    )
    # CPU time decides: the machine is shared, and other people's work inflates wall time unevenly.
    assert ours_cpu <= 2 * shell_cpu
    assert ours < utils


def open_store_tz(conn):  # type: ignore[no-untyped-def]
    from zoneinfo import ZoneInfo

    from db.storage.store import current_theatre

    return ZoneInfo(current_theatre(conn).time_zone)


def test_import_against_raw_executemany(million: Path, scratch: Path) -> None:
    database = million / "truceline.db"
    source = connect(database, readonly=True)
    try:
        first = source.execute(
            f"SELECT observed_start FROM incidents ORDER BY {ORDER} LIMIT 1 OFFSET ?", (IMPORT_ROWS,)
        ).fetchone()[0]
        flt = IncidentFilter(end_utc=first)
        exported = export_csv(source, flt, scratch / "rows.csv", tz=open_store_tz(source))
        ids = [r[0] for r in source.execute("SELECT incident_id FROM incidents WHERE observed_start < ?", (first,))]
        marks = ", ".join("?" * len(PROJECTION_COLUMNS))
        projection = source.execute(
            f"SELECT {', '.join(PROJECTION_COLUMNS)} FROM incidents WHERE observed_start < ?", (first,)
        ).fetchall()
        versions = source.execute(
            f"SELECT {', '.join(VERSION_COLUMNS)} FROM incident_versions WHERE version_id IN "
            "(SELECT head_version_id FROM incidents WHERE observed_start < ?)",
            (first,),
        ).fetchall()
        devices = source.execute("SELECT * FROM devices").fetchall()
    finally:
        source.close()
    assert exported.rows == len(ids) == IMPORT_ROWS

    raw_store = open_store(scratch / "raw")
    try:
        started, cpu = time.perf_counter(), time.process_time()
        with transaction(raw_store.conn):
            raw_store.conn.executemany("INSERT OR IGNORE INTO devices VALUES (?, ?, ?, ?)", devices)
            raw_store.conn.executemany(
                f"INSERT INTO incident_versions ({', '.join(VERSION_COLUMNS)}) "
                f"VALUES ({', '.join('?' * len(VERSION_COLUMNS))})",
                versions,
            )
            raw_store.conn.executemany(
                f"INSERT INTO incidents ({', '.join(PROJECTION_COLUMNS)}) VALUES ({marks})", projection
            )
            raw_store.conn.executemany(
                "INSERT INTO incident_heads (incident_id, version_id) VALUES (?, ?)",
                [(row[0], row[2]) for row in projection],
            )
        raw, raw_cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        raw_store.close()

    target = open_store(scratch / "target")
    try:
        person = add_monitor(target.conn, "Bench Mark", "BNCH", "supervisor")
        started, cpu = time.perf_counter(), time.process_time()
        summary = import_csv(
            target.conn,
            target.writer(person.monitor_id),
            scratch / "rows.csv",
            theatre=target.theatre,
            calendar=target.calendar,
        )
        ours, ours_cpu = time.perf_counter() - started, time.process_time() - cpu
        again_started = time.perf_counter()
        again = import_csv(
            target.conn,
            target.writer(person.monitor_id),
            scratch / "rows.csv",
            theatre=target.theatre,
            calendar=target.calendar,
        )
        again_s = time.perf_counter() - again_started
    finally:
        target.close()
    assert summary.added == IMPORT_ROWS and again.present == IMPORT_ROWS
    report(
        f"CSV import of {IMPORT_ROWS:,} exported rows into a fresh database",
        [
            ("truceline import-csv", f"{ours:.1f} s wall, {ours_cpu:.1f} s CPU ({IMPORT_ROWS / ours:,.0f} rows/s)"),
            ("raw executemany (version, projection, head rows)", f"{raw:.1f} s wall, {raw_cpu:.1f} s CPU"),
            ("speed relative to raw", f"{raw / ours:.2f} wall, {raw_cpu / ours_cpu:.2f} CPU (budget >= 0.33)"),
            ("re-import of the same file (all already present)", f"{again_s:.1f} s"),
        ],
    )
    # Speed is rows per second of wall time: the raw load spends half of it waiting for the disk,
    # which is as real for the user as our CPU time. (Export judges CPU: its peer is another process.)
    assert raw / ours >= 1 / 3
