"""Shared settings and output of the benchmarks."""

import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCH_DIR = Path(os.environ.get("TRUCELINE_BENCH_DIR", ROOT / ".bench"))
INCIDENTS = int(os.environ.get("TRUCELINE_BENCH_INCIDENTS", "1000000"))


def report(title: str, rows: list[tuple[str, str]]) -> None:
    """Print a small table that can be pasted into the README."""
    print(f"\n{title}")
    for name, value in rows:
        print(f"  {name:<44} {value}")


RUNS = 7

# What the save benchmarks record: a mortar impact heard from an observation post.
SAVE_RAW = {
    "observed_start": "2026-05-01T21:15:00Z",
    "observer_lat": 48.40,
    "observer_lon": 37.70,
    "category": "fire",
    "obs_type": "explosion",
    "explosion_kind": "impact",
    "weapon_class": "mortar",
    "means": "heard",
    "count": 3,
    "narrative": "benchmark save",
}


def timed(call: Callable[[], object]) -> tuple[float, float]:
    """p50 and max in ms over RUNS calls, after one call to warm the cache."""
    call()
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times)
