"""Budgets of the storage layer: demo throughput, save latency on a full database, and check time."""

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchutil import INCIDENTS, SAVE_RAW, report

from db.model.validation import validate_incident
from db.records.incidents import amend_incident, record_incident
from db.records.monitors import add_monitor
from db.storage.store import open_store

DEMO_BUDGET_S = 180.0
SAVE_P99_BUDGET_MS = 20.0


def test_demo_writes_a_million_incidents_in_three_minutes(tmp_path: Path) -> None:
    target = tmp_path / "demo"
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "desktop", "--data-dir", str(target), "demo", "--incidents", str(INCIDENTS)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    elapsed = time.perf_counter() - started
    size = (target / "truceline.db").stat().st_size
    report(
        "truceline demo",
        [
            ("incidents", f"{INCIDENTS:,}"),
            ("wall time", f"{elapsed:.1f} s (budget {DEMO_BUDGET_S * INCIDENTS / 1e6:.0f} s per million)"),
            ("throughput", f"{INCIDENTS / elapsed:,.0f} incidents/s"),
            ("database size", f"{size / 1e9:.2f} GB"),
        ],
    )
    shutil.rmtree(target)
    assert elapsed < DEMO_BUDGET_S * INCIDENTS / 1e6


def test_save_latency_on_a_full_database(million: Path) -> None:
    store = open_store(million)
    try:
        author = add_monitor(store.conn, "Bench Mark", "BNCH", "monitor")
        writer = store.writer(author.monitor_id)
        raw = SAVE_RAW
        saves, amends = [], []
        for n in range(300):
            started = time.perf_counter()
            saved = record_incident(store.conn, writer, validate_incident(raw, theatre=store.theatre), store.calendar)
            saves.append(time.perf_counter() - started)
            if n % 3 == 0:
                started = time.perf_counter()
                changed = validate_incident({**raw, "count": 4}, theatre=store.theatre)
                amend_incident(store.conn, writer, saved.incident_id, changed, "bench amend", store.calendar)
                amends.append(time.perf_counter() - started)
        total = store.conn.execute("SELECT count(*) FROM incidents").fetchone()[0]
    finally:
        store.close()

    def p99(values: list[float]) -> float:
        return statistics.quantiles(values, n=100)[98] * 1000

    report(
        f"save one incident (validate + commit) on {total:,} incidents, synchronous=FULL",
        [
            ("new incident p50 / p99", f"{statistics.median(saves) * 1000:.1f} / {p99(saves):.1f} ms"),
            ("amendment p50 / p99", f"{statistics.median(amends) * 1000:.1f} / {p99(amends):.1f} ms"),
            ("disk", os.environ.get("TRUCELINE_BENCH_DISK", "local SSD of the development machine")),
        ],
    )
    assert p99(saves) < SAVE_P99_BUDGET_MS
    assert p99(amends) < SAVE_P99_BUDGET_MS


def test_check_of_a_full_database(million: Path) -> None:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "desktop", "--data-dir", str(million), "check"], capture_output=True, text=True
    )
    elapsed = time.perf_counter() - started
    report("truceline check", [("wall time", f"{elapsed:.1f} s"), ("result", result.stdout.strip().splitlines()[-1])])
    assert result.returncode == 0, result.stdout + result.stderr
