"""Measure the start-up of a built bundle: cold and warm, to the window shown and the timeline drawn.

"Cold" evicts the bundle's own files from the page cache before each run (posix_fadvise
DONTNEED, Linux), as after a reboot; system libraries stay cached, as they are on a laptop in use.
The time runs from launching ``truceline --smoke-test`` to its "window shown" line (and to
"timeline painted"), offscreen or on X11, on a data directory seeded by the bundle's own
``demo --incidents N``. Usage (after ``make dist``)::

    .venv/bin/python packaging/measure_start.py [BUNDLE_DIR] [--runs 5] [--incidents 1000]
    xvfb-run -a .venv/bin/python packaging/measure_start.py --platform xcb
"""

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def evict(folder: Path) -> None:
    """Drop ``folder``'s files from the page cache (the files stay; only their cached pages go)."""
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fdatasync(fd)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


PLATFORM = "offscreen"


def clean_env(home: Path) -> dict[str, str]:
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "QT_QPA_PLATFORM": PLATFORM}
    if PLATFORM == "xcb":
        env.update({name: os.environ[name] for name in ("DISPLAY", "XAUTHORITY") if name in os.environ})
    return env


def timed_start(program: Path, data: Path, home: Path) -> tuple[float, float, float]:
    """Seconds to "window shown", to "timeline painted", and until the process exited."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(program), "--data-dir", str(data), "--smoke-test"],
        stdout=subprocess.PIPE,
        text=True,
        env=clean_env(home),
    )
    assert process.stdout is not None
    shown = painted = float("nan")
    for line in process.stdout:
        if "window shown" in line:
            shown = time.perf_counter() - started
        elif "timeline painted" in line:
            painted = time.perf_counter() - started
    if process.wait() != 0:
        raise SystemExit(f"measure_start: {program} --smoke-test failed")
    return shown, painted, time.perf_counter() - started


def timed(command: list[str], home: Path) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=clean_env(home))
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle", nargs="?", type=Path, help="unpacked bundle folder (default: newest in dist/)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--platform", choices=("offscreen", "xcb"), default="offscreen", help="xcb: under xvfb-run")
    args = parser.parse_args()
    global PLATFORM
    PLATFORM = args.platform
    bundle = args.bundle or max((p for p in (ROOT / "dist").glob("*") if p.is_dir()), key=lambda p: p.stat().st_mtime)
    program = bundle / "truceline"
    with tempfile.TemporaryDirectory(prefix="truceline-measure-") as scratch:
        home, data = Path(scratch) / "home", Path(scratch) / "data"
        home.mkdir()
        subprocess.run(
            [str(program), "--data-dir", str(data), "--plain", "demo", "--incidents", str(args.incidents)],
            check=True,
            capture_output=True,
            env=clean_env(home),
        )
        results: dict[str, list[tuple[float, ...]]] = {"cold": [], "warm": []}
        versions: dict[str, list[float]] = {"cold": [], "warm": []}
        for _ in range(args.runs):
            evict(bundle)
            results["cold"].append(timed_start(program, data, home))
            results["warm"].append(timed_start(program, data, home))
            evict(bundle)
            versions["cold"].append(timed([str(program), "--version"], home))
            versions["warm"].append(timed([str(program), "--version"], home))
    print(f"{bundle.name}, {args.incidents:,} incidents, median of {args.runs} runs ({PLATFORM}):")
    for kind, runs in results.items():
        shown, painted, exited = (statistics.median(column) for column in zip(*runs, strict=True))
        print(
            f"  {kind}: window shown {shown:.2f} s, timeline painted {painted:.2f} s, exited {exited:.2f} s; "
            f"--version {statistics.median(versions[kind]):.2f} s"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
