"""Settlement names for a map canvas, read off the GUI thread (seconds the first time, then cached).

Reading starts when the canvas is first shown, so a window whose map is never opened never pays
for it. A plain worker thread, polled by a timer owned by the canvas: nothing Qt crosses threads,
and a map closed meanwhile leaves only a thread that finishes filling the cache.
"""

from concurrent.futures import Future, ThreadPoolExecutor

from PySide6.QtCore import QEvent, QObject, QTimer, Signal

from db.map.settlements import Settlement, settlements_near
from db.map.shapes import theatre_bounds
from db.storage.store import Store
from desktop.map.canvas import MapCanvas

POLL_MS = 100
_READER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="settlements")


class SettlementLoader(QObject):
    """Starts reading when ``canvas`` is first shown; draws the names when read, or says why not (``failed``)."""

    failed = Signal(str)

    def __init__(self, store: Store, canvas: MapCanvas) -> None:
        super().__init__(canvas)
        self._canvas = canvas
        self._bounds = theatre_bounds(store.theatre)
        self._cache = store.data.cache
        self._future: Future[list[Settlement]] | None = None
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._check)
        if canvas.isVisible():
            self._start()
        else:
            canvas.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if watched is self._canvas and event.type() == QEvent.Type.Show and self._future is None:
            self._start()
        return False

    def _start(self) -> None:
        self._future = _READER.submit(settlements_near, self._bounds, self._cache)
        self._poll.start()
        self._check()

    def wait(self) -> None:
        """Block until the names are drawn (tests, and rendering an image without a window)."""
        if self._future is None:
            self._start()
        assert self._future is not None
        try:
            self._future.result()
        except OSError:
            pass
        self._check()

    def _check(self) -> None:
        if self._future is None or not self._future.done() or not self._poll.isActive():
            return
        self._poll.stop()
        try:
            self._canvas.set_settlements(self._future.result())
        except OSError as error:
            self.failed.emit(f"Settlement names could not be read: {error}")
