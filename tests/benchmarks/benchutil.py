"""Shared settings and output of the benchmarks."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCH_DIR = Path(os.environ.get("TRUCELINE_BENCH_DIR", ROOT / ".bench"))
INCIDENTS = int(os.environ.get("TRUCELINE_BENCH_INCIDENTS", "1000000"))


def report(title: str, rows: list[tuple[str, str]]) -> None:
    """Print a small table that can be pasted into the README."""
    print(f"\n{title}")
    for name, value in rows:
        print(f"  {name:<44} {value}")
