"""Size windows and dialogs to the screen they open on, so nothing starts off-screen.

Qt sizes a new top-level window to at most two thirds of the screen, which on a 1366×768 field
laptop squeezes the entry form into scroll bars; a remembered geometry from a larger monitor
puts the status bar below the screen's edge. Every window therefore asks here: the size it
wants, bounded by the screen's free area less the frame the window manager will add (which Qt
only learns after the window is shown), and a position that keeps the whole frame visible.
"""

from PySide6.QtCore import QPoint, QRect, QSize
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

# Borders and title bar a window manager adds around the client area (generous for a laptop).
FRAME = QSize(8, 34)


def available_area(widget: QWidget) -> QRect:
    """The free area (without panels) of the screen ``widget`` or its parent window is on."""
    parent = widget.parentWidget()
    screen = (parent.window().screen() if parent is not None else None) or widget.screen()
    screen = screen or QGuiApplication.primaryScreen()
    return screen.availableGeometry()


def room(widget: QWidget) -> QSize:
    """The largest client size whose frame still fits the screen."""
    area = available_area(widget)
    return QSize(area.width() - FRAME.width(), area.height() - FRAME.height())


def fit_to_screen(widget: QWidget, wanted: QSize | None = None) -> None:
    """Resize ``widget`` to ``wanted`` (default its size hint) within the screen, and keep it on it."""
    limit = room(widget)
    size = (wanted if wanted is not None else widget.sizeHint()).boundedTo(limit)
    size = size.expandedTo(widget.minimumSize().boundedTo(limit))
    widget.resize(size)
    keep_on_screen(widget)


def keep_on_screen(widget: QWidget) -> None:
    """Move ``widget`` (a top-level) so its frame lies inside the screen, centred over its parent if any."""
    area = available_area(widget)
    size = widget.size()
    parent = widget.parentWidget()
    if parent is not None and parent.isVisible():
        centre = parent.window().frameGeometry().center()
        top_left = QPoint(centre.x() - size.width() // 2, centre.y() - size.height() // 2)
    else:
        top_left = widget.pos()
    x = min(max(top_left.x(), area.left()), area.right() + 1 - size.width() - FRAME.width())
    y = min(max(top_left.y(), area.top()), area.bottom() + 1 - size.height() - FRAME.height())
    widget.move(max(x, area.left()), max(y, area.top()))
