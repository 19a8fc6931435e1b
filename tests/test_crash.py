"""A writer killed with SIGKILL in the middle of saves loses nothing it acknowledged."""

from pathlib import Path

from crash import WINDOW_WRITER, kill_writers


def test_sigkill_mid_save_loses_no_acknowledged_save(tmp_path: Path) -> None:
    report = kill_writers(tmp_path / "data", kills=24, seed=5)
    assert report.kills == 24 and report.acknowledged >= 24
    assert report.lost == []
    assert report.integrity == ["ok"]


def test_sigkill_while_saving_from_the_window_loses_nothing_the_status_bar_acknowledged(tmp_path: Path) -> None:
    report = kill_writers(tmp_path / "data", kills=5, seed=3, writer=WINDOW_WRITER)
    assert report.kills == 5 and report.acknowledged >= 5
    assert report.lost == []
    assert report.integrity == ["ok"]
