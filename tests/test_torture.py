"""A command run beside the open window never costs the window a save it acknowledged (issue 12).

The window is played by ``helpers/torture_writer.py``: a real store in its own process that opens
and closes a second connection after each save, as the window's worker threads do.
"""

from pathlib import Path

from torture import COMMANDS, RESTORE, damage_found, kill, run_torture, start_writer, truceline


def test_a_command_run_beside_the_window_keeps_the_saves_the_window_makes_after_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    window = start_writer(data, "--step")  # its store is open; a second connection was opened and closed
    assert window.stdin is not None and window.stdout is not None
    window.stdin.write("save\n")
    before = window.stdout.readline().strip()
    stats = truceline(data, "stats")  # another process, which then exits
    assert stats.returncode == 0, stats.stderr
    window.stdin.write("save\n")
    after = window.stdout.readline().strip()  # "Saved": the commit returned
    assert after and not after.startswith("not saved"), after
    kill(window)  # power cut, crash, kill -9

    missing, damage = damage_found(data, {before, after})  # `truceline check`, integrity_check, the ids
    assert missing == [], "an acknowledged save was lost"
    assert damage == []


def test_torture_every_command_beside_a_writer_killed_at_random_loses_nothing(tmp_path: Path) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    report = run_torture(tmp_path / "data", scratch, rounds=3, seed=3, per_round=(3, 3))
    assert report.lost == [], "acknowledged saves were lost"
    assert report.damage == []
    assert report.command_problems == []
    assert report.rounds == 3 and report.acknowledged >= 4
    assert sum(report.commands_run.values()) >= 4
    assert set(report.commands_run) <= {name for name, _ in [*COMMANDS, RESTORE]}
