"""``truceline --smoke-test``: prove that a build opens its window and draws the timeline, then exit.

A packaged build can import fine and still fail at the first paint (a Qt plugin or library left
out of the bundle, a resource not found). packaging/smoke_test.sh runs this from the bundle on the
offscreen platform: the real main window opens on the data directory, switches to the Trends tab
and waits for the timeline's first paint. It then checks what a user would see: the timeline was
queried, the bars drawn add up to something whenever the period holds incidents, and the painted
plot is not blank. Exit 0 only then; otherwise one line on stderr and exit 1, also on an exception
in any slot or after :data:`TIMEOUT_MS`.

The flag is hidden from ``--help`` (it is for packagers, documented in DEVELOPERS.md). It uses a
temporary settings file and saves nothing; it refuses a data directory holding an unsaved draft,
which the window would offer to restore or discard.
"""

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import shiboken6
from PySide6.QtCore import QEvent, QObject, QSettings, QTimer
from PySide6.QtWidgets import QApplication

from db.records.monitors import Monitor
from db.records.queries import count_incidents
from db.storage.drafts import load_drafts
from db.storage.paths import SETTINGS_NAME
from db.storage.store import Store
from desktop.window.main_window import MainWindow

TIMEOUT_MS = 30_000
# Used only when the data directory has no local profile yet; never written to the database.
SMOKE_PROFILE = Monitor(monitor_id="smoke-test", name="Smoke test", callsign="SMOKE", role="supervisor")


def run_smoke_test(app: QApplication, store: Store, profile: Monitor | None) -> int:
    """Open the main window over ``store``, wait for the timeline to be painted, return the exit status."""
    started = time.perf_counter()
    if load_drafts(store.data.drafts):
        # The window would ask about the draft, and an answer nobody gave must not discard it.
        print(
            "truceline: smoke test refused: this data directory holds an unsaved incident; use another --data-dir",
            file=sys.stderr,
        )
        return 2
    with tempfile.TemporaryDirectory(prefix="truceline-smoke-") as scratch:
        settings = QSettings(str(Path(scratch) / SETTINGS_NAME), QSettings.Format.IniFormat)
        window = MainWindow(store, settings, profile or SMOKE_PROFILE)
        probe = _Probe(app, window, store, started)
        previous_hook = sys.excepthook
        sys.excepthook = probe.exception
        try:
            window.show()
            probe.start()
            status = app.exec()
        finally:
            sys.excepthook = previous_hook
            window.close()
            # Now, not at some later garbage collection: the window's timers would outlive the store.
            shiboken6.delete(window)
            settings.sync()
    return status if probe.result is None else probe.result


class _Probe(QObject):
    """Watches the window through its first paints and decides the smoke test's result."""

    def __init__(self, app: QApplication, window: MainWindow, store: Store, started: float) -> None:
        super().__init__(window)
        self._app = app
        self._window = window
        self._store = store
        self._started = started
        self._painted = False
        self.result: int | None = None
        window.timeline.plot.viewport().installEventFilter(self)
        self._timeout = QTimer(self)  # a child, so it goes with the window
        self._timeout.setSingleShot(True)
        self._timeout.setInterval(TIMEOUT_MS)
        self._timeout.timeout.connect(lambda: self._fail(f"the timeline was not painted within {TIMEOUT_MS // 1000} s"))

    def start(self) -> None:
        self._timeout.start()
        self._when(self._exposed, self._shown)

    def _elapsed_ms(self) -> float:
        return (time.perf_counter() - self._started) * 1000

    def _exposed(self) -> bool:
        handle = self._window.windowHandle()
        return self._window.isVisible() and handle is not None and handle.isExposed()

    def _when(self, condition: Callable[[], bool], then: Callable[[], None]) -> None:
        """Call ``then`` once ``condition`` holds, checking between events."""
        if self.result is not None:
            return
        if condition():
            then()
        else:
            QTimer.singleShot(10, lambda: self._when(condition, then))

    def _shown(self) -> None:
        # packaging/measure_start.py times the start-up up to this line: keep its wording.
        print(f"smoke test: window shown ({self._elapsed_ms():.0f} ms after the store opened)", flush=True)
        self._window.tabs.setCurrentWidget(self._window.trends)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.Paint and not self._painted:
            self._painted = True
            QTimer.singleShot(0, self._verify)  # after this paint has been drawn
        return False

    def _verify(self) -> None:
        timeline = self._window.timeline.current_timeline()
        if timeline is None:
            self._fail("the timeline was painted but never queried the database")
            return
        incidents = count_incidents(self._store.conn, self._window.filter_bar.current_filter())
        drawn = sum(float(sum(bar.opts["height"])) for bar in self._window.timeline.plot.bars if bar.isVisible())
        if incidents and not drawn:
            self._fail(f"the period holds {incidents:,} incidents but the timeline drew no bars")
            return
        image = self._window.timeline.plot.grab().toImage()
        step = max(1, min(image.width(), image.height()) // 40)
        colours = {image.pixel(x, y) for x in range(0, image.width(), step) for y in range(0, image.height(), step)}
        if len(colours) < 3:
            self._fail(f"the painted timeline is blank ({len(colours)} colour(s) in {image.width()}x{image.height()})")
            return
        print(
            f"smoke test: timeline painted ({self._elapsed_ms():.0f} ms): {len(timeline.starts)} "
            f"{timeline.bin} bins, {drawn:,.0f} {timeline.metric} drawn for {incidents:,} incidents",
            flush=True,
        )
        self.result = 0
        self._app.exit(0)

    def exception(self, kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
        sys.__excepthook__(kind, error, trace)
        self._fail(f"{kind.__name__}: {error}")

    def _fail(self, reason: str) -> None:
        if self.result is not None:
            return
        print(f"truceline: smoke test failed: {reason}", file=sys.stderr, flush=True)
        self.result = 1
        self._app.exit(1)
