"""Kill a writer with SIGKILL mid-save, many times, and count what survived (shared by test and benchmark)."""

import os
import random
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from db.storage.integrity import check_database
from db.storage.store import open_store

WRITER = Path(__file__).parent / "helpers" / "save_forever.py"
# Saves through the window's form; acknowledges with the ref the status bar shows.
WINDOW_WRITER = Path(__file__).parent / "helpers" / "save_forever_window.py"


@dataclass
class CrashReport:
    kills: int = 0
    acknowledged: int = 0
    lost: list[str] = field(default_factory=list)
    integrity: list[str] = field(default_factory=list)


def kill_writers(data_dir: Path, kills: int, seed: int = 1, writer: Path = WRITER) -> CrashReport:
    """Start the writer, let it acknowledge a random number of saves, SIGKILL it; repeat.

    The plain writer acknowledges with incident ids, the window writer with refs.
    """
    rng = random.Random(seed)
    report = CrashReport()
    acknowledged: list[str] = []
    for _ in range(kills):
        with subprocess.Popen(
            [sys.executable, str(writer), str(data_dir)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL if writer == WINDOW_WRITER else None,  # Qt's offscreen chatter
            text=True,
            bufsize=1,
        ) as proc:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == "ready"
            for _ in range(rng.randint(1, 25)):
                acknowledged.append(proc.stdout.readline().strip())
            os.kill(proc.pid, signal.SIGKILL)
            # Whatever it printed before it died was acknowledged too.
            acknowledged.extend(line.strip() for line in proc.stdout.read().splitlines() if line.strip())
        report.kills += 1
    report.acknowledged = len(acknowledged)
    store = open_store(data_dir)
    try:
        key = "ref" if writer == WINDOW_WRITER else "incident_id"
        present = {r[0] for r in store.conn.execute(f"SELECT {key} FROM incidents")}
        report.lost = [i for i in acknowledged if i not in present]
        report.integrity = [r[0] for r in store.conn.execute("PRAGMA integrity_check")]
        report.integrity += [str(p) for p in check_database(store.conn, store.calendar).problems]
    finally:
        store.close()
    return report
