"""Packaging (packaging/): the desktop files agree with db/core/identity.py and validate, the icons are
all there, and install.sh puts a bundle in place and takes it away again.

The PyInstaller build itself runs in ``make dist`` and its smoke test in ``make smoke``, not here.
"""

import configparser
import importlib.util
import os
import shutil
import stat
import subprocess
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from types import ModuleType

import pytest
from PySide6.QtGui import QImage
from PySide6.QtSvg import QSvgRenderer

from db.core import resources
from db.core.identity import APP_ID, APP_NAME, DIST_NAME, RELEASE_DATE, VERSION

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"


def load_freedesktop() -> ModuleType:
    # packaging/ is a folder of build scripts, not an importable package (the name is PyPI's).
    spec = importlib.util.spec_from_file_location("truceline_freedesktop", PACKAGING / "freedesktop.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def share(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("share")
    load_freedesktop().write_share(folder)
    return folder


def desktop_entry(path: Path) -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return dict(parser["Desktop Entry"])


# -- desktop entry, metainfo, icons --------------------------------------------------------------


def test_the_desktop_entry_names_the_app_as_identity_does(share: Path) -> None:
    entry = desktop_entry(share / "applications" / f"{APP_ID}.desktop")
    assert entry["Name"] == APP_NAME
    assert entry["Icon"] == APP_ID
    assert entry["Exec"] == entry["TryExec"] == DIST_NAME
    assert entry["StartupWMClass"] == APP_NAME


def test_the_metainfo_carries_id_name_and_this_version(share: Path) -> None:
    component = ElementTree.parse(share / "metainfo" / f"{APP_ID}.metainfo.xml").getroot()
    assert component.findtext("id") == APP_ID
    assert component.findtext("name") == APP_NAME
    assert component.findtext("launchable") == f"{APP_ID}.desktop"
    assert component.findtext("provides/binary") == DIST_NAME
    releases = component.findall("releases/release")
    assert [(r.get("version"), r.get("date")) for r in releases] == [(VERSION, RELEASE_DATE)]


def test_every_icon_size_is_installed_under_the_app_id(share: Path) -> None:
    hicolor = share / "icons" / "hicolor"
    assert (hicolor / "scalable" / "apps" / f"{APP_ID}.svg").is_file()
    for size in resources.ICON_SIZES:
        image = QImage(str(hicolor / f"{size}x{size}" / "apps" / f"{APP_ID}.png"))
        assert (image.width(), image.height()) == (size, size)


def test_the_icon_svg_draws_and_each_png_has_its_size() -> None:
    assert QSvgRenderer(str(resources.icon_svg())).isValid()
    for size in resources.ICON_SIZES:
        image = QImage(str(resources.icon_png(size)))
        assert (image.width(), image.height()) == (size, size), resources.icon_png(size)


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="desktop-file-utils not installed")
def test_the_desktop_entry_validates(share: Path) -> None:
    done = subprocess.run(
        ["desktop-file-validate", str(share / "applications" / f"{APP_ID}.desktop")], capture_output=True, text=True
    )
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout


@pytest.mark.skipif(shutil.which("appstreamcli") is None, reason="appstreamcli not installed")
def test_the_metainfo_validates(share: Path) -> None:
    done = subprocess.run(
        ["appstreamcli", "validate", "--no-net", str(share / "metainfo" / f"{APP_ID}.metainfo.xml")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_template_field_that_identity_lacks_is_refused(tmp_path: Path) -> None:
    template = tmp_path / "bad.desktop.in"
    template.write_text("[Desktop Entry]\nName=@APP_NAME@\nComment=@SLOGAN@\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="bad.desktop.in uses unknown field.*SLOGAN"):
        load_freedesktop().render(template)


# -- install.sh and uninstall.sh --------------------------------------------------------------------


@pytest.fixture
def bundle(tmp_path: Path, share: Path) -> Path:
    """A stand-in for the unpacked archive: a program that prints its version, share/, the scripts."""
    folder = tmp_path / "unpacked"
    folder.mkdir()
    program = folder / DIST_NAME
    program.write_text(f"#!/bin/sh\necho '{APP_NAME} {VERSION}'\n", encoding="utf-8")
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    (folder / "_internal").mkdir()
    shutil.copytree(share, folder / "share")
    for script in ("install.sh", "uninstall.sh"):
        shutil.copy2(PACKAGING / script, folder / script)
    return folder


def run_script(script: Path, *args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {"HOME": str(home), "PATH": os.environ["PATH"]}
    return subprocess.run(["bash", str(script), *args], capture_output=True, text=True, env=env, timeout=60)


def files_under(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if not path.is_dir())


def test_install_for_one_user_then_uninstall_leaves_nothing(bundle: Path, tmp_path: Path) -> None:
    root, home = tmp_path / "root", tmp_path / "home"
    done = run_script(bundle / "install.sh", "--root", str(root), home=home)
    assert done.returncode == 0, done.stderr
    app = root / str(home).lstrip("/") / ".local" / "lib" / DIST_NAME
    share = root / str(home).lstrip("/") / ".local" / "share"
    assert subprocess.run([str(app / DIST_NAME)], capture_output=True, text=True).stdout.strip().endswith(VERSION)
    link = root / str(home).lstrip("/") / ".local" / "bin" / DIST_NAME
    assert os.readlink(link) == str(home / ".local" / "lib" / DIST_NAME / DIST_NAME)
    entry = desktop_entry(share / "applications" / f"{APP_ID}.desktop")
    assert entry["Exec"] == str(home / ".local" / "lib" / DIST_NAME / DIST_NAME)
    assert (share / "metainfo" / f"{APP_ID}.metainfo.xml").is_file()
    assert (share / "icons" / "hicolor" / "48x48" / "apps" / f"{APP_ID}.png").is_file()

    done = run_script(app / "uninstall.sh", "--root", str(root), home=home)
    assert done.returncode == 0, done.stderr
    assert files_under(root) == []


def test_install_for_everyone_uses_opt_and_usr_local(bundle: Path, tmp_path: Path) -> None:
    root = tmp_path / "root"
    done = run_script(bundle / "install.sh", "--system", "--root", str(root), home=tmp_path / "home")
    assert done.returncode == 0, done.stderr
    assert (root / "opt" / DIST_NAME / DIST_NAME).is_file()
    assert os.readlink(root / "usr/local/bin" / DIST_NAME) == f"/opt/{DIST_NAME}/{DIST_NAME}"
    entry = desktop_entry(root / "usr/local/share/applications" / f"{APP_ID}.desktop")
    assert entry["Exec"] == f"/opt/{DIST_NAME}/{DIST_NAME}"
    assert (root / "usr/local/share/icons/hicolor/scalable/apps" / f"{APP_ID}.svg").is_file()

    done = run_script(bundle / "uninstall.sh", "--system", "--root", str(root), home=tmp_path / "home")
    assert done.returncode == 0, done.stderr
    assert files_under(root) == []


def test_installing_again_replaces_the_previous_version(bundle: Path, tmp_path: Path) -> None:
    root, home = tmp_path / "root", tmp_path / "home"
    assert run_script(bundle / "install.sh", "--root", str(root), home=home).returncode == 0
    app = root / str(home).lstrip("/") / ".local" / "lib" / DIST_NAME
    (app / "_internal" / "left-over-from-old-version").write_text("x", encoding="utf-8")
    assert run_script(bundle / "install.sh", "--root", str(root), home=home).returncode == 0
    assert not (app / "_internal" / "left-over-from-old-version").exists()
    assert (app / DIST_NAME).is_file()


def test_uninstall_leaves_a_folder_that_is_not_an_installation(bundle: Path, tmp_path: Path) -> None:
    root, home = tmp_path / "root", tmp_path / "home"
    stranger = root / str(home).lstrip("/") / ".local" / "lib" / DIST_NAME
    stranger.mkdir(parents=True)
    (stranger / "notes.txt").write_text("mine", encoding="utf-8")
    done = run_script(bundle / "uninstall.sh", "--root", str(root), home=home)
    assert done.returncode == 0
    assert "does not look like a truceline installation" in done.stderr
    assert (stranger / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_install_refuses_an_unknown_option(bundle: Path, tmp_path: Path) -> None:
    done = run_script(bundle / "install.sh", "--everywhere", home=tmp_path / "home")
    assert done.returncode == 2
    assert "unknown option '--everywhere'" in done.stderr
