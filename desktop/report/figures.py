"""The report's images (timeline chart, map) as drawn on the GUI thread, and their PNG encoding."""

from dataclasses import dataclass

from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtGui import QImage


@dataclass(frozen=True)
class Figures:
    """The report's images, drawn on the GUI thread before writing (either may be missing)."""

    images: dict[str, QImage]


def png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):  # type: ignore[call-overload]
        raise OSError("an image of the report could not be encoded as PNG")
    buffer.close()
    return bytes(data.data())
