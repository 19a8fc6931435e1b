"""The crash tests at a larger scale: many SIGKILLs of a writer, every acknowledged save kept.

Two writers: the storage API in a loop, and the window's own form (Ctrl+N, type, save), whose
acknowledgement is the "Saved <ref>" the monitor reads in the status bar.
"""

import os
from pathlib import Path

from benchutil import report
from crash import WINDOW_WRITER, CrashReport, kill_writers

KILLS = int(os.environ.get("TRUCELINE_BENCH_KILLS", "200"))
WINDOW_KILLS = int(os.environ.get("TRUCELINE_BENCH_WINDOW_KILLS", "40"))


def rows(result: CrashReport) -> list[tuple[str, str]]:
    return [
        ("kills", f"{result.kills}"),
        ("acknowledged saves", f"{result.acknowledged:,}"),
        ("lost acknowledged saves", f"{len(result.lost)}"),
        ("integrity and chain check", "; ".join(result.integrity[:3])),
    ]


def test_many_kills_lose_nothing(tmp_path: Path) -> None:
    result = kill_writers(tmp_path / "data", kills=KILLS, seed=11)
    report("SIGKILL of a writer mid-save (storage API)", rows(result))
    assert result.lost == [] and result.integrity == ["ok"]


def test_many_kills_of_the_window_lose_nothing(tmp_path: Path) -> None:
    result = kill_writers(tmp_path / "data", kills=WINDOW_KILLS, seed=12, writer=WINDOW_WRITER)
    report("SIGKILL of the window mid-save (entry form)", rows(result))
    assert result.lost == [] and result.integrity == ["ok"]
