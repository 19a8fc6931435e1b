"""Refresh a view now if it is on screen, else the next time it is shown.

The trends views (timeline, summary) hang off the same filter bar as the table: a filter change
must not make a hidden tab run its queries, yet the tab must be current when the user turns to
it. One event filter does that for any widget, instead of each overriding ``showEvent``.
"""

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QWidget


class RefreshWhenShown(QObject):
    """``request()`` calls ``refresh`` at once when ``widget`` is visible, else on its next show."""

    def __init__(self, widget: QWidget, refresh: Callable[[], None]) -> None:
        super().__init__(widget)
        self._widget = widget
        self._refresh = refresh
        self.stale = False
        widget.installEventFilter(self)

    def request(self) -> None:
        if self._widget.isVisible():
            self._refresh()
        else:
            self.stale = True

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        # Qt may call the filter while this object is half made or half torn down (a paint during
        # a test's teardown); it then has no widget to refresh.
        widget = getattr(self, "_widget", None)
        if widget is not None and watched is widget and event.type() == QEvent.Type.Show and self.stale:
            self._refresh()
        return False
