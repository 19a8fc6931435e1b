"""Two programs on one data directory, one of them killed at random: nothing acknowledged is lost.

Issue 12: a ``truceline stats`` run beside the open window deleted the window's WAL, and every save
the window confirmed afterwards vanished when it was killed. This harness plays that out many
times (shared by ``tests/test_torture.py`` and ``tests/benchmarks/test_torture_bench.py``):

each round starts the writer of ``helpers/torture_writer.py`` (it behaves like the window: the
instance lock, one store, a second connection opened and closed after every save, one line on
stdout per committed save), runs the next CLI subcommands of :data:`COMMANDS` in another thread
(each its own process), SIGKILLs the writer at a random moment (while a command runs, or once the
commands have exited, which is when the WAL used to be deleted), then checks the directory: every
acknowledged save present, ``PRAGMA integrity_check`` ok and ``truceline check`` passing. Every
subcommand either works or is refused with one line saying why, never a traceback.

Everything waits on acknowledgements and process exits, never on sleeps; a watchdog bounds a round.
"""

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from db.storage import cipher, paths
from db.storage.connection import open_file

WRITER = Path(__file__).parent / "helpers" / "torture_writer.py"
ROUND_TIMEOUT_S = 300  # a watchdog only: a round takes seconds
COMMAND_TIMEOUT_S = 300
PACE_S = 0.02  # between two saves of the writer: a round then adds tens of saves, not thousands

# (name, arguments after --data-dir); {scratch} and {seed} are filled in when run. Every subcommand
# of the README's table but --version/--help (no data), restore (see RESTORE), erase (it destroys the
# key on purpose) and the ones that never open a data directory (mission init, roster sign, seal-key
# create). init and encrypt are always refused here (a directory exists; encrypt finds no passphrase
# in plain mode, an encrypted directory in encrypted mode); passphrase is refused on a plain directory
# and, on an encrypted one, re-wraps the key under the same passphrase while the writer runs.
COMMANDS: list[tuple[str, tuple[str, ...]]] = [
    ("stats", ("stats",)),
    ("export-csv", ("export-csv", "{scratch}/export.csv")),
    ("check", ("check",)),
    ("check --rebuild", ("check", "--rebuild")),  # nothing damaged here: "not needed", nothing written
    ("bundle log", ("bundle", "log")),
    ("bundle export", ("bundle", "export", "{scratch}/mine.zip")),
    ("backup", ("backup",)),
    ("import-csv", ("import-csv", "{scratch}/other.csv")),
    ("bundle import", ("bundle", "import", "{scratch}/other.zip")),
    ("demo", ("demo", "--incidents", "5", "--seed", "{seed}")),
    ("import-csv --dry-run", ("import-csv", "--dry-run", "{scratch}/other.csv")),
    ("report", ("report", "{scratch}/report.pdf")),
    ("mission show", ("mission", "show")),
    ("seal-key show", ("mission", "seal-key", "show")),
    ("init", ("init",)),
    ("encrypt", ("encrypt",)),
    ("passphrase", ("passphrase",)),
]
# Refused while the window (here: the writer, which holds its lock) is open; run only while the
# writer is certainly alive, so that it is never allowed to replace the database under the test.
RESTORE = ("restore", ("restore",))


@dataclass
class TortureReport:
    rounds: int = 0
    acknowledged: int = 0
    saves_refused: int = 0  # "not saved: busy" in the writer: never acknowledged, so never promised
    lost: list[str] = field(default_factory=list)
    damage: list[str] = field(default_factory=list)  # integrity_check or `truceline check` after a round
    command_problems: list[str] = field(default_factory=list)  # tracebacks, unclear failures
    commands_run: Counter[str] = field(default_factory=Counter)
    refusals: Counter[str] = field(default_factory=Counter)  # command -> times refused (in one clear line)
    refused_with: dict[str, str] = field(default_factory=dict)  # command -> the first such line
    writer_errors: list[str] = field(default_factory=list)  # what the writer said on stderr before it was killed
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not (self.lost or self.damage or self.command_problems or self.writer_errors)


def truceline(data_dir: Path, *args: str, passphrase: str | None = None) -> subprocess.CompletedProcess[str]:
    """One run of the ``truceline`` command in its own process, as a user would start it; with
    ``passphrase``, as a script would unlock an encrypted directory (``--passphrase-fd``, enough lines
    for any command: unlocking, or the current passphrase and a new one twice)."""
    given: tuple[str, ...] = ()
    fds: tuple[int, ...] = ()
    if passphrase is not None:
        read, write = os.pipe()
        os.write(write, f"{passphrase}\n".encode() * 4)
        os.close(write)
        given, fds = ("--passphrase-fd", str(read)), (read,)
    try:
        return subprocess.run(
            [sys.executable, "-m", "desktop", "--data-dir", str(data_dir), *given, *args],
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_S,
            check=False,
            pass_fds=fds,
        )
    finally:
        for fd in fds:
            os.close(fd)


def start_writer(
    data_dir: Path, *extra: str, log: Path | None = None, passphrase: str | None = None
) -> subprocess.Popen[str]:
    """The writer, once it holds the lock and its store ("ready" read from its stdout); its stderr
    goes to ``log`` if given; ``passphrase`` unlocks an encrypted directory (the first line of its stdin)."""
    errors = open(log, "a") if log else None  # the child keeps its own copy
    unlock = ("--unlock",) if passphrase is not None else ()
    try:
        proc = subprocess.Popen(
            [sys.executable, str(WRITER), str(data_dir), *unlock, *extra],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            bufsize=1,
        )
    finally:
        if errors:
            errors.close()
    assert proc.stdout is not None and proc.stdin is not None
    if passphrase is not None:
        proc.stdin.write(f"{passphrase}\n")
        proc.stdin.flush()
    first = proc.stdout.readline().strip()
    if first != "ready":
        proc.kill()
        reap(proc)
        raise RuntimeError(f"the writer did not start (it said {first!r}, exit {proc.returncode})")
    return proc


def kill(proc: subprocess.Popen[str]) -> list[str]:
    """SIGKILL the writer; what it printed before it died was acknowledged too."""
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.stdout is not None
    rest = proc.stdout.read().splitlines()
    reap(proc)
    return [line.strip() for line in rest if line.strip()]


def reap(proc: subprocess.Popen[str]) -> None:
    """Wait for a dead writer and close our ends of its pipes."""
    proc.wait()
    for pipe in (proc.stdin, proc.stdout):
        if pipe is not None:
            try:
                pipe.close()
            except BrokenPipeError:  # flushing into a dead process
                pass


def damage_found(data_dir: Path, acknowledged: set[str], passphrase: str | None = None) -> tuple[list[str], list[str]]:
    """(acknowledged ids missing, damage) once no writer is left: ``truceline check`` first, as a
    user would run it, then the ids and ``integrity_check`` through a connection of our own."""
    damage = []
    checked = truceline(data_dir, "check", passphrase=passphrase)
    if checked.returncode != 0 or "result: ok" not in checked.stdout:
        damage.append(f"truceline check (exit {checked.returncode}): {(checked.stdout + checked.stderr)[-600:]}")
    if passphrase is not None:
        cipher.unlock(data_dir, passphrase)  # this process reads it too; the key is held, not the passphrase
    conn = open_file(data_dir / paths.DATABASE_NAME, query="mode=ro")
    try:
        present = {row[0] for row in conn.execute("SELECT incident_id FROM incidents")}
        integrity = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    finally:
        conn.close()
    if integrity != ["ok"]:
        damage.append(f"integrity_check: {'; '.join(integrity[:5])}")
    return sorted(acknowledged - present), damage


def judge(name: str, result: subprocess.CompletedProcess[str]) -> str | None:
    """A problem with how a command ended, or None: it worked, or was refused in one clear line."""
    said = result.stderr.strip()
    if "Traceback" in result.stderr:
        return f"{name}: a traceback instead of a sentence: {said[-600:]}"
    if result.returncode == 0:
        return None
    if result.returncode != 2:
        return f"{name}: exit status {result.returncode}: {(result.stdout + result.stderr)[-600:]}"
    if len(said.splitlines()) != 1 or not said.startswith("truceline: "):
        return f"{name}: refused without one clear line: {said[-600:]!r}"
    return None


def prepare(scratch: Path) -> None:
    """Another laptop's records to import in the loop: a bundle and a native CSV of 20 incidents."""
    other = scratch / "other-laptop"
    for args in (
        ("demo", "--incidents", "20", "--seed", "99"),
        ("bundle", "export", str(scratch / "other.zip")),
        ("export-csv", str(scratch / "other.csv")),
    ):
        done = truceline(other, *args)
        if done.returncode != 0:
            raise RuntimeError(f"preparing the other laptop failed: {args}: {done.stderr}")


class _Commands(threading.Thread):
    """Runs this round's subcommands one after another until done or told to stop.

    ``guard`` is held while ``restore`` runs: the killer takes it first, so the writer (which holds
    the instance lock) is alive for the whole of every restore attempt.
    """

    def __init__(
        self,
        data_dir: Path,
        commands: list[tuple[str, tuple[str, ...]]],
        report: TortureReport,
        passphrase: str | None = None,
    ) -> None:
        super().__init__(daemon=True)
        self.data_dir, self.commands, self.report, self.passphrase = data_dir, commands, report, passphrase
        self.stop = threading.Event()
        self.guard = threading.Lock()
        self.started = 0
        self.done = threading.Event()

    def run(self) -> None:
        try:
            for name, args in self.commands:
                if name == RESTORE[0]:
                    with self.guard:
                        if self.stop.is_set():
                            break
                        self._one(name, args)
                        continue
                if self.stop.is_set():
                    break
                self._one(name, args)
        finally:
            self.done.set()

    def _one(self, name: str, args: tuple[str, ...]) -> None:
        self.started += 1
        result = truceline(self.data_dir, *args, passphrase=self.passphrase)
        self.report.commands_run[name] += 1
        problem = judge(name, result)
        if name == RESTORE[0] and result.returncode == 0:
            problem = "restore: replaced the database while the window held its lock"
        if problem:
            self.report.command_problems.append(problem)
        elif result.returncode:
            self.report.refusals[name] += 1
            self.report.refused_with.setdefault(name, result.stderr.strip())


def run_torture(
    data_dir: Path,
    scratch: Path,
    rounds: int,
    seed: int = 1,
    per_round: tuple[int, int] = (1, 3),
    progress: Callable[[int, TortureReport], None] | None = None,
    passphrase: str | None = None,
    only: tuple[str, ...] | None = None,
) -> TortureReport:
    """``rounds`` rounds of writer + CLI commands + SIGKILL + checks; stops by itself. With
    ``passphrase``, ``data_dir`` is an encrypted directory (made by the caller) and every process unlocks it;
    ``only`` names the commands to cycle through, in that order (default: all, then restore)."""
    rng = random.Random(seed)
    report = TortureReport()
    acknowledged: set[str] = set()
    prepare(scratch)
    known = dict([*COMMANDS, RESTORE])
    cycle = [(name, known[name]) for name in only] if only else [*COMMANDS, RESTORE]
    position = 0
    started = time.perf_counter()
    for number in range(1, rounds + 1):
        count = rng.randint(*per_round)
        planned = [cycle[(position + i) % len(cycle)] for i in range(count)]
        planned = [(name, tuple(a.format(scratch=scratch, seed=number) for a in args)) for name, args in planned]
        runs_before = sum(report.commands_run.values())
        log = scratch / "writer.log"
        ids = _one_round(data_dir, planned, rng, report, log, passphrase)
        said = log.read_text(encoding="utf-8").strip() if log.exists() else ""
        if said:
            report.writer_errors.append(f"round {number}: {said[-600:]}")
            log.unlink()
        position += sum(report.commands_run.values()) - runs_before
        acknowledged.update(ids)
        report.acknowledged = len(acknowledged)
        report.rounds = number
        lost, damage = damage_found(data_dir, acknowledged, passphrase)
        report.lost = lost
        report.damage.extend(f"round {number}: {d}" for d in damage)
        if progress:
            progress(number, report)
        if lost or damage or report.writer_errors:
            break  # the directory is no longer what the next round assumes; report it as it is
    report.seconds = time.perf_counter() - started
    return report


def _one_round(
    data_dir: Path,
    planned: list[tuple[str, tuple[str, ...]]],
    rng: random.Random,
    report: TortureReport,
    log: Path,
    passphrase: str | None,
) -> list[str]:
    """One writer life: the commands run beside it, and the writer killed after ``planned[at]`` has
    started and ``after`` more saves, or (at == len) once every command has exited."""
    writer = start_writer(data_dir, "--pace", str(PACE_S), log=log, passphrase=passphrase)
    watchdog = threading.Timer(ROUND_TIMEOUT_S, writer.kill)
    watchdog.start()
    commands = _Commands(data_dir, planned, report, passphrase)
    at = rng.randint(0, len(planned))
    after = rng.randint(1, 5) if at == len(planned) else rng.randint(0, 40)
    ids: list[str] = []
    assert writer.stdout is not None
    try:
        commands.start()
        counting = 0
        while True:
            line = writer.stdout.readline()
            if not line:
                report.writer_errors.append(f"the writer died on its own (exit {writer.wait()}) or hung")
                return ids
            if line.startswith("not saved:"):
                report.saves_refused += 1
                continue
            ids.append(line.strip())
            if commands.done.is_set() or commands.started > at:
                counting += 1
                if counting > after:
                    break
        with commands.guard:
            commands.stop.set()
            ids.extend(line for line in kill(writer) if not line.startswith("not saved:"))
    finally:
        watchdog.cancel()
        if writer.poll() is None:
            writer.kill()
        reap(writer)
        commands.stop.set()
        commands.join()
    return ids
