"""Smoke test: the window opens over a data directory and shows what it holds."""

from PySide6.QtCore import QSettings

from db.identity import APP_NAME, VERSION
from db.store import Store
from desktop.main_window import MainWindow


def test_main_window_opens_and_remembers_its_geometry(qtbot, store: Store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = QSettings(str(tmp_path / "t.ini"), QSettings.Format.IniFormat)
    window = MainWindow(store, settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert window.windowTitle() == f"{APP_NAME} {VERSION}"
    assert "0 incidents" in window._summary.text()
    assert "Illustrative" in window._summary.text()
    window.resize(940, 640)
    qtbot.waitUntil(lambda: window.width() == 940)
    window.close()
    again = MainWindow(store, settings)
    qtbot.addWidget(again)
    # The offscreen screen is narrower than the window's minimum width, so only the height is comparable.
    assert again.height() == 640
