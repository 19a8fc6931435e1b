"""The crash test at a larger scale: many SIGKILLs of a writer, every acknowledged save kept."""

import os
from pathlib import Path

from benchutil import report
from crash import kill_writers

KILLS = int(os.environ.get("TRUCELINE_BENCH_KILLS", "200"))


def test_many_kills_lose_nothing(tmp_path: Path) -> None:
    result = kill_writers(tmp_path / "data", kills=KILLS, seed=11)
    report(
        "SIGKILL of a writer mid-save",
        [
            ("kills", f"{result.kills}"),
            ("acknowledged saves", f"{result.acknowledged:,}"),
            ("lost acknowledged saves", f"{len(result.lost)}"),
            ("integrity and chain check", "; ".join(result.integrity[:3])),
        ],
    )
    assert result.lost == [] and result.integrity == ["ok"]
