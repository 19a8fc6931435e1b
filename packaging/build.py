"""``make dist``: build the one-folder bundle with PyInstaller and pack it as a versioned .tar.gz.

The archive unpacks to one folder, ``truceline-VERSION-OS-ARCH/``, that runs where it lands::

    truceline            the program (command line; without a subcommand, the window)
    _internal/           Python, Qt and the app, as PyInstaller lays them out
    share/               desktop entry, AppStream metainfo and icons (packaging/freedesktop.py)
    install.sh           puts it in place for one user or the whole machine (Linux)
    uninstall.sh         takes it away again
    BUILD-INFO.txt       version, commit and build platform

Everything is written under ``build/`` and ``dist/`` of the checkout; ``make clean`` removes both.
"""

import platform
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import freedesktop  # noqa: E402 (beside this file)

from db.core.identity import APP_NAME, DIST_NAME, VERSION  # noqa: E402

SPEC = ROOT / "packaging" / "truceline.spec"
BUILD = ROOT / "build"
DIST = ROOT / "dist"
SYSTEMS = {"linux": "linux", "win32": "windows", "darwin": "macos"}


def release_name() -> str:
    system = SYSTEMS.get(sys.platform, sys.platform)
    return f"{DIST_NAME}-{VERSION}-{system}-{platform.machine().lower()}"


def main() -> int:
    started = time.perf_counter()
    name = release_name()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--clean",
            "--log-level",
            "WARN",
            "--distpath",
            str(BUILD / "pyinstaller"),
            "--workpath",
            str(BUILD / "pyinstaller-work"),
            str(SPEC),
        ],
        check=True,
        cwd=ROOT,
    )
    stage = DIST / name
    if stage.exists():
        shutil.rmtree(stage)
    shutil.copytree(BUILD / "pyinstaller" / DIST_NAME, stage, symlinks=True)
    strip_python(stage / "_internal")
    freedesktop.write_share(stage / "share")
    for script in ("install.sh", "uninstall.sh"):
        shutil.copy2(ROOT / "packaging" / script, stage / script)
    (stage / "BUILD-INFO.txt").write_text(build_info(), encoding="utf-8")

    archive = DIST / f"{name}.tar.gz"
    with tarfile.open(archive, "w:gz", compresslevel=6) as tar:
        tar.add(stage, arcname=name, filter=_owned_by_root)
    print(f"{stage.relative_to(ROOT)}/: {tree_size(stage) / 1e6:.0f} MB unpacked")
    print(f"{archive.relative_to(ROOT)}: {archive.stat().st_size / 1e6:.0f} MB")
    print(f"built in {time.perf_counter() - started:.0f} s")
    return 0


def strip_python(internal: Path) -> None:
    """Strip debug symbols from CPython's own libraries on Linux (libpython and lib-dynload).

    They are most of the Python part of the bundle. PyInstaller's ``strip`` option would also
    strip the wheels' vendored libraries, which patchelf has rewritten and strip breaks (numpy's
    OpenBLAS then fails to load), so only these are stripped.
    """
    strip = shutil.which("strip")
    if not sys.platform.startswith("linux") or strip is None:
        return
    targets = [*internal.glob("libpython3*.so*"), *internal.glob("python3*/lib-dynload/*.so")]
    targets = [path for path in targets if path.is_file() and not path.is_symlink()]
    if targets:
        subprocess.run([strip, "--strip-unneeded", *map(str, targets)], check=True)


def build_info() -> str:
    def git(*args: str) -> str:
        try:
            done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True)
        except (OSError, subprocess.CalledProcessError):
            return "unknown"
        return done.stdout.strip()

    return (
        f"{APP_NAME} {VERSION}\n"
        f"commit: {git('describe', '--always', '--dirty', '--abbrev=12')}\n"
        f"built on: {platform.platform()}, Python {platform.python_version()}\n"
    )


def tree_size(root: Path) -> int:
    return sum(path.stat().st_size for path in root.rglob("*") if path.is_file() and not path.is_symlink())


def _owned_by_root(info: tarfile.TarInfo) -> tarfile.TarInfo:
    # The builder's user and group mean nothing on the laptop that unpacks it.
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    return info


if __name__ == "__main__":
    raise SystemExit(main())
