"""Text from elsewhere, made safe to print on a terminal or write to a log.

Device labels, monitor names, places, narratives, CSV cells and the file names in a bundle's
error can come from another laptop or a file nobody here wrote. Printed raw, an escape sequence
clears the screen or recolours it, a newline forges a line ("State hash: 000…") and a direction
override reverses what follows. :func:`escaped` writes every such character as a visible escape
(``\\x1b``, ``\\n``, ``\\u202e``), so what reaches the terminal is exactly what was received,
only never executed. The window shows such text literally (plain-text widgets), not through this,
except in a table's one-line cell: there :func:`elided` keeps a hostile value to one short line.
"""

import re

# C0 and C1 controls and DEL (ESC starts every ANSI sequence), line and paragraph separators, and
# the invisible formatting characters that reorder or hide text: bidi embeddings, overrides,
# isolates and marks, the zero-width characters and the byte-order mark.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code == 0x0A:
        return "\\n"
    if code == 0x0D:
        return "\\r"
    if code == 0x09:
        return "\\t"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escaped(text: object) -> str:
    """``text`` as one printable line: control, escape and direction characters written as escapes."""
    shown = str(text)
    if _UNSAFE.search(shown) is None:  # the common case costs one scan
        return shown
    return _UNSAFE.sub(_escape, shown)


def elided(text: object, limit: int) -> str:
    """``text`` escaped as by :func:`escaped`, cut to ``limit`` characters with "…" when longer.

    For one-line table cells: a 50,000-character label or a newline must not make a row a page high.
    """
    shown = escaped(text)
    return shown if len(shown) <= limit else shown[: max(limit - 1, 0)] + "…"
