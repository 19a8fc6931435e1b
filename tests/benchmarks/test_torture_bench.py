"""The torture test of issue 12 at length: hundreds of writer lives, each with CLI commands run
beside it and a SIGKILL at a random moment; every acknowledged save must survive all of them.
Then the same on an encrypted directory (issue 17), every process unlocking it from a descriptor."""

import os
from pathlib import Path

from benchutil import report
from torture import TortureReport, run_torture

from db.storage import cipher

ROUNDS = int(os.environ.get("TRUCELINE_BENCH_TORTURE_ROUNDS", "300"))


def rows(result: TortureReport) -> list[tuple[str, str]]:
    refused = ", ".join(f"{name} {count}" for name, count in sorted(result.refusals.items())) or "none"
    return [
        ("rounds (SIGKILLs of the writer)", f"{result.rounds}"),
        ("acknowledged saves", f"{result.acknowledged:,}"),
        ("lost acknowledged saves", f"{len(result.lost)}"),
        ("saves refused as busy (never acknowledged)", f"{result.saves_refused}"),
        ("CLI commands run beside the writer", f"{sum(result.commands_run.values())}"),
        ("refused in one line (times)", refused),
        ("tracebacks or unclear failures", f"{len(result.command_problems)}"),
        ("damage after a round (integrity, check)", f"{len(result.damage)}"),
        ("writer errors", f"{len(result.writer_errors)}"),
        ("time", f"{result.seconds:.0f} s ({result.seconds / max(result.rounds, 1):.1f} s a round)"),
    ]


def progress(number: int, so_far: TortureReport) -> None:
    if number % 25 == 0:
        print(f"  round {number}: {so_far.acknowledged:,} acknowledged, {len(so_far.lost)} lost", flush=True)


def test_hundreds_of_kills_beside_every_command_lose_nothing(tmp_path: Path) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    result = run_torture(tmp_path / "data", scratch, rounds=ROUNDS, seed=12, progress=progress)
    report("Torture: writer SIGKILLed at random beside every CLI subcommand", rows(result))
    judge(result, ROUNDS)


def test_the_same_on_an_encrypted_directory(tmp_path: Path) -> None:
    data, scratch = tmp_path / "data", tmp_path / "scratch"
    data.mkdir()
    scratch.mkdir()
    cipher.create_key(data, "benchmark passphrase, nothing secret", cipher.KdfParams(1, 1024, 1))
    cipher.forget(data)
    rounds = max(ROUNDS // 3, 1)
    try:
        result = run_torture(
            data, scratch, rounds=rounds, seed=17, progress=progress, passphrase="benchmark passphrase, nothing secret"
        )
    finally:
        cipher.forget(data)
    report("Torture on an encrypted directory (SQLCipher), every command unlocking it", rows(result))
    judge(result, rounds)


def judge(result: TortureReport, rounds: int) -> None:
    for problem in [*result.lost[:5], *result.damage[:5], *result.command_problems[:5], *result.writer_errors[:5]]:
        print(f"  problem: {problem}")
    assert result.rounds == rounds
    assert result.lost == [] and result.damage == [] and result.command_problems == []
    assert result.writer_errors == []
