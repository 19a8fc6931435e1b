"""The application icon for every window, from the same PNG files the installer puts on the desktop.

PNGs rather than the SVG, so the icon needs no SVG plugin and looks as drawn at each size.
"""

from PySide6.QtCore import QSize
from PySide6.QtGui import QIcon

from db.core.resources import ICON_SIZES, icon_png


def application_icon() -> QIcon:
    """Truceline's icon at every size in ``db.core.resources.ICON_SIZES``."""
    icon = QIcon()
    for size in ICON_SIZES:
        icon.addFile(str(icon_png(size)), QSize(size, size))
    return icon
