"""Benchmarks: the performance budgets of ARCHITECTURE.md §10, run with ``make bench``.

They need a large database. ``million`` builds one with ``truceline demo`` the first time (in
``.bench/`` of the checkout, or ``$TRUCELINE_BENCH_DIR``) and reuses it afterwards. Set
``TRUCELINE_BENCH_INCIDENTS`` for a smaller database while working on a benchmark.
"""

import subprocess
import sys
from pathlib import Path

import pytest
from benchutil import BENCH_DIR, INCIDENTS


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.bench)


@pytest.fixture(scope="session")
def million() -> Path:
    """Data directory of the shared benchmark database (built once, then reused)."""
    directory = BENCH_DIR / f"demo-{INCIDENTS}"
    marker = directory / "complete"
    if not marker.exists():
        subprocess.run(
            [sys.executable, "-m", "desktop", "--data-dir", str(directory), "demo", "--incidents", str(INCIDENTS)],
            check=True,
        )
        marker.write_text("built by tests/benchmarks/conftest.py\n")
    return directory
