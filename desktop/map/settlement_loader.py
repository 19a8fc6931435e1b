"""Settlement names for a map canvas, read off the GUI thread (seconds the first time, then cached).

A plain worker thread, polled by a timer owned by the canvas: nothing Qt crosses threads, and a
map closed meanwhile leaves only a thread that finishes filling the cache.
"""

from concurrent.futures import ThreadPoolExecutor

from PySide6.QtCore import QObject, QTimer, Signal

from db.map.settlements import settlements_near
from db.map.shapes import theatre_bounds
from db.store import Store
from desktop.map.canvas import MapCanvas

POLL_MS = 100
_READER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="settlements")


class SettlementLoader(QObject):
    """Starts reading at once; draws the names on ``canvas`` when read, or says why not (``failed``)."""

    failed = Signal(str)

    def __init__(self, store: Store, canvas: MapCanvas) -> None:
        super().__init__(canvas)
        self._canvas = canvas
        self._future = _READER.submit(settlements_near, theatre_bounds(store.theatre), store.data_dir / "cache")
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._check)
        self._poll.start()
        self._check()

    def wait(self) -> None:
        """Block until the names are drawn (tests, and rendering an image without a window)."""
        try:
            self._future.result()
        except OSError:
            pass
        self._check()

    def _check(self) -> None:
        if not self._future.done() or not self._poll.isActive():
            return
        self._poll.stop()
        try:
            self._canvas.set_settlements(self._future.result())
        except OSError as error:
            self.failed.emit(f"Settlement names could not be read: {error}")
