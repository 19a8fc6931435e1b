"""Find the files in ``resources/`` from a checkout, an installed wheel or a PyInstaller bundle.

In a checkout the folder sits beside ``db/``; a wheel installs it as the package
``truceline_resources``; a frozen bundle unpacks it under ``sys._MEIPASS/resources``.
"""

import sys
from importlib import resources as importlib_resources
from pathlib import Path


def resources_root() -> Path:
    """The directory holding Truceline's resources, wherever the app runs from."""
    frozen_base = getattr(sys, "_MEIPASS", None)
    if frozen_base is not None:
        return Path(frozen_base) / "resources"
    checkout = Path(__file__).resolve().parent.parent / "resources"
    if (checkout / "theatre").is_dir():
        return checkout
    return Path(str(importlib_resources.files("truceline_resources")))


def resource_path(*parts: str) -> Path:
    """Path of one resource file, e.g. ``resource_path("theatre", "default.geojson")``."""
    return resources_root().joinpath(*parts)
