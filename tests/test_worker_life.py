"""Killed work leaves nothing running: SIGKILL of ``truceline demo`` ends its worker processes too."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as listing:
                found.update(int(child) for child in listing.read().split())
    except (FileNotFoundError, ProcessLookupError):
        pass
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ", 1)[1][0] != "Z"  # a zombie has ended
    except FileNotFoundError:
        return False


def _until(condition: object, seconds: float) -> bool:
    """Poll a process-level condition (no Qt event loop here) until it holds or time runs out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return bool(condition())  # type: ignore[operator]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_sigkill_of_demo_ends_its_workers(tmp_path: Path) -> None:
    demo = subprocess.Popen(
        [sys.executable, "-m", "desktop", "--data-dir", str(tmp_path / "d"), "demo", "--incidents", "200000"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # The pool's two workers (and multiprocessing's resource tracker) once they are started.
        assert _until(lambda: len(_children(demo.pid)) >= 3, 120), _children(demo.pid)
        workers = _children(demo.pid)
        os.kill(demo.pid, signal.SIGKILL)
        demo.wait()
        assert _until(lambda: not any(_alive(pid) for pid in workers), 30), [p for p in workers if _alive(p)]
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
        for pid in _children(demo.pid) | locals().get("workers", set()):
            if _alive(pid):  # only on failure: leave nothing of this test running
                os.kill(pid, signal.SIGKILL)
