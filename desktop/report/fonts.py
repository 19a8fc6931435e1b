"""A font that carries Cyrillic, so place names and narratives in Ukrainian print as written.

Qt embeds (a subset of) every font a PDF uses; the only way to lose Cyrillic is to lay the text
out in a family that lacks it and let the PDF fall back glyph by glyph. So the report asks the
font database for the first family that declares the Cyrillic writing system.
"""

from functools import cache

from PySide6.QtGui import QFont, QFontDatabase

PREFERRED = ("DejaVu Sans", "Noto Sans", "Liberation Sans", "Arial", "Segoe UI", "Helvetica Neue", "Nimbus Sans")


@cache
def report_family() -> str:
    """The first preferred family with Cyrillic, else any family with it, else the default font's."""
    families = QFontDatabase.families(QFontDatabase.WritingSystem.Cyrillic)
    for name in PREFERRED:
        if name in families:
            return name
    return families[0] if families else QFont().family()


def report_font(point_size: float = 9.5, *, bold: bool = False) -> QFont:
    font = QFont(report_family())
    font.setPointSizeF(point_size)
    font.setBold(bold)
    # No "fi"/"fl" ligatures: text copied from the PDF into an email must read "ceasefire", not "ceaseﬁre".
    for tag in ("liga", "clig"):
        font.setFeature(QFont.Tag(tag), 0)
    return font
