"""Saving a plot as a PNG image or an SVG drawing, never leaving half a file under the final name.

Supervisors paste timelines into reports; a crash or a full disk mid-export must not leave a
truncated image where the last good one was. The image is rendered in memory, written to a
temporary file beside the target and renamed over it, as the CSV exports do (ARCHITECTURE.md §7).
"""

import importlib
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyqtgraph as pg
import pyqtgraph.exporters
from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from db.core.atomic_file import write_atomically
from desktop.widgets.last_folder import last_folder, remember_folder

FORMATS = {".png": "PNG image (*.png)", ".svg": "SVG drawing (*.svg)"}
FILE_FILTER = ";;".join(FORMATS.values())


def render(item: pg.GraphicsItem, suffix: str) -> bytes:
    """The file content of ``item`` (a PlotItem, with everything in its layout) as PNG or SVG."""
    if suffix == ".png":
        image = pyqtgraph.exporters.ImageExporter(item).export(toBytes=True)
        assert isinstance(image, QImage)
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        # PySide6 wants the format as str here, whatever its type stubs say.
        if not image.save(buffer, "PNG"):  # type: ignore[call-overload]
            raise OSError("the image could not be encoded as PNG")
        buffer.close()
        return bytes(data.data())
    if suffix == ".svg":
        with _closed_paths_tolerated():
            return bytes(pyqtgraph.exporters.SVGExporter(item).export(toBytes=True))
    raise ValueError(f"cannot export as {suffix or 'a file without a suffix'}: choose .png or .svg")


def export_plot(item: pg.GraphicsItem, path: Path) -> None:
    """Write ``item`` to ``path`` (its suffix picks PNG or SVG) through a temporary file and a rename.

    Raises :class:`OSError` when the directory cannot be written, leaving nothing behind.
    """
    write_atomically(path, render(item, path.suffix.lower()))


@contextmanager
def _closed_paths_tolerated() -> Iterator[None]:
    """Let pyqtgraph 0.14.0's SVG exporter read the closed paths that Qt 6.11 writes.

    Qt now ends a closed path with ``Z`` and the exporter's coordinate rewriting expects only
    ``x,y`` pairs, so every plot fails (pyqtgraph issue 3495, fixed by its pull request 3458, not
    yet released). While exporting, the ``Z`` is dropped before the rewriting: the paths concerned
    are filled rectangles and clip regions, which SVG closes for filling anyway. Remove this once
    a pyqtgraph release carries the fix.
    """
    module: Any = importlib.import_module("pyqtgraph.exporters.SVGExporter")
    original = module.correctCoordinates

    def tolerant(node: Any, defs: Any, item: Any, options: Any) -> Any:
        for path in node.getElementsByTagName("path"):
            data = path.getAttribute("d")
            if "Z" in data or "z" in data:
                path.setAttribute("d", re.sub(r"\s*[Zz]\s*", " ", data).strip())
        return original(node, defs, item, options)

    module.correctCoordinates = tolerant
    try:
        yield
    finally:
        module.correctCoordinates = original


def ask_and_export(parent: QWidget, what: str, export: Callable[[Path], None]) -> Path | None:
    """Ask where to save ``what`` ("map", "timeline"), starting in the last folder used, then ``export`` there.

    A name without .png or .svg gets the suffix of the chosen type. A failure is shown in one message
    naming the reason, and the file under that name is left as it was. Returns the path written.
    """
    suggested = str(last_folder() / f"{what}.png")
    name, chosen = QFileDialog.getSaveFileName(parent, f"Export {what}", suggested, FILE_FILTER)
    if not name:
        return None
    path = Path(name)
    if path.suffix.lower() not in FORMATS:
        path = path.with_name(path.name + (".svg" if chosen == FORMATS[".svg"] else ".png"))
    remember_folder(path)
    try:
        export(path)
    except (OSError, ValueError) as error:
        QMessageBox.warning(parent, "Export failed", f"The {what} was not saved.\n\n{error}")
        return None
    return path
