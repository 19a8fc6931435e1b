"""A command run beside the open window never costs the window a save it acknowledged (issue 12).

The window is played by ``helpers/torture_writer.py``: a real store in its own process that opens
and closes a second connection after each save, as the window's worker threads do.
"""

from pathlib import Path

from torture import COMMANDS, RESTORE, damage_found, kill, run_torture, start_writer, truceline

from db.storage import cipher

PASSPHRASE = "olive tractor under moonlight"
FAST = cipher.KdfParams(time_cost=1, memory_kib=1024, parallelism=1)


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


def test_torture_on_an_encrypted_directory_loses_nothing_and_unlocks_every_command(tmp_path: Path) -> None:
    """The same on SQLCipher: the writer and every command unlock with the passphrase from a descriptor."""
    data, scratch = tmp_path / "data", tmp_path / "scratch"
    data.mkdir()
    scratch.mkdir()
    cipher.create_key(data, PASSPHRASE, FAST)
    cipher.forget(data)
    # The first command of a round always starts before the kill: the passphrase change is always tried.
    with_key = ("passphrase", "stats", "check", "bundle export", "encrypt", "mission show", "import-csv")
    try:
        report = run_torture(data, scratch, rounds=2, seed=5, per_round=(4, 4), passphrase=PASSPHRASE, only=with_key)
    finally:
        cipher.forget(data)
    assert report.lost == [] and report.damage == [] and report.command_problems == [], report
    assert report.rounds == 2 and report.acknowledged >= 2
    assert report.commands_run["passphrase"] >= 1 and "passphrase" not in report.refusals  # re-wrapped, not refused
    assert set(report.refusals) <= {"encrypt"}  # already encrypted: refused in one line, as judged above
    assert cipher.is_encrypted(data) and truceline(data, "stats").returncode == 2  # nothing opens it without the key
