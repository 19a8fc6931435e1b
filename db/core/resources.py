"""Find the files in ``resources/`` from a checkout, an installed wheel or a PyInstaller bundle.

In a checkout the folder sits beside ``db/``; a wheel installs it as the package
``truceline_resources``; a frozen bundle unpacks it under ``sys._MEIPASS/resources``. The
PyInstaller spec (packaging/truceline.spec) reads :data:`FROZEN_FOLDER` and :data:`ICON_SIZES`
from here, so the bundle is laid out the way this module looks for it.
"""

import sys
from importlib import resources as importlib_resources
from pathlib import Path

FROZEN_FOLDER = "resources"
# The application icon: one SVG and the PNG sizes desktops and window managers ask for
# (freedesktop hicolor sizes; 16 for menus and title bars, 512 for software centres).
ICON_NAME = "truceline"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def resources_root() -> Path:
    """The directory holding Truceline's resources, wherever the app runs from."""
    frozen_base = getattr(sys, "_MEIPASS", None)
    if frozen_base is not None:
        return Path(frozen_base) / FROZEN_FOLDER
    checkout = Path(__file__).resolve().parents[2] / "resources"
    if (checkout / "theatre").is_dir():
        return checkout
    return Path(str(importlib_resources.files("truceline_resources")))


def resource_path(*parts: str) -> Path:
    """Path of one resource file, e.g. ``resource_path("theatre", "default.geojson")``."""
    return resources_root().joinpath(*parts)


def icon_svg() -> Path:
    """The scalable application icon."""
    return resource_path("icons", f"{ICON_NAME}.svg")


def icon_png(size: int) -> Path:
    """The application icon drawn at ``size`` x ``size`` pixels (one of :data:`ICON_SIZES`)."""
    return resource_path("icons", f"{ICON_NAME}-{size}.png")
