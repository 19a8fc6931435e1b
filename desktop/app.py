"""Start the Qt application: open the data directory, then show the main window.

Migrations and the start-up check run before any window opens; a database that cannot be
opened is explained in a message box and the app exits without touching the file.
"""

import ctypes.util
import os
import sys
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox

from db import paths
from db.errors import TrucelineError
from db.identity import APP_ID, APP_NAME, ORGANISATION, VERSION
from db.monitors import local_profile
from db.store import open_store
from desktop.app_icon import application_icon
from desktop.main_window import MainWindow
from desktop.profile_dialog import ProfileDialog
from desktop.startup_check import StartupCheck


def make_application() -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(QGuiApplication.highDpiScaleFactorRoundingPolicy().PassThrough)
    app = QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(VERSION)
    app.setOrganizationName(ORGANISATION)
    app.setDesktopFileName(APP_ID)
    app.setWindowIcon(application_icon())
    return app


def settings() -> QSettings:
    """Preferences in the config directory from ``db.paths`` (beside the data when overridden)."""
    directory = paths.config_dir()
    directory.mkdir(parents=True, exist_ok=True)
    return QSettings(str(directory / "truceline.ini"), QSettings.Format.IniFormat)


# What Qt's X11 platform plugin loads besides Qt itself (Debian/Ubuntu package names).
XCB_LIBRARIES = {
    "xcb-cursor": "libxcb-cursor0",
    "xcb-icccm": "libxcb-icccm4",
    "xcb-keysyms": "libxcb-keysyms1",
    "xcb-image": "libxcb-image0",
    "xcb-render-util": "libxcb-render-util0",
    "xcb-shape": "libxcb-shape0",
    "xcb-xkb": "libxcb-xkb1",
    "xkbcommon-x11": "libxkbcommon-x11-0",
}


def missing_x11_libraries() -> list[str]:
    """Packages Qt's X11 plugin needs that this Linux machine lacks (Qt would abort without them)."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM") or os.environ.get("WAYLAND_DISPLAY"):
        return []
    if not os.environ.get("DISPLAY"):
        return []
    return [
        package
        for name, package in XCB_LIBRARIES.items()
        if ctypes.util.find_library(name) is None and not _bundled(name)
    ]


def _bundled(name: str) -> bool:
    """A PyInstaller build carries the libraries the build machine had; the system search misses them."""
    base = getattr(sys, "_MEIPASS", None)
    return base is not None and any(Path(base).glob(f"lib{name}.so*"))


def run_window(smoke_test: bool = False) -> int:
    """Open the window; ``smoke_test`` instead checks it draws and exits (see desktop/smoke_test.py)."""
    missing = missing_x11_libraries()
    if missing:
        print(
            f"truceline: the window needs system libraries that are missing: {' '.join(missing)}\n"
            f"Install them (Debian/Ubuntu): sudo apt-get install {' '.join(missing)}",
            file=sys.stderr,
        )
        return 2
    app = make_application()
    try:
        store = open_store(check=False)
    except TrucelineError as error:
        if smoke_test:
            print(f"truceline: {error}", file=sys.stderr)
        else:
            QMessageBox.critical(None, APP_NAME, f"{APP_NAME} cannot open its data.\n\n{error}")
        return 2
    profile = local_profile(store.conn)
    if smoke_test:
        from desktop.smoke_test import run_smoke_test

        try:
            return run_smoke_test(app, store, profile)
        finally:
            store.close()
    if profile is None:
        dialog = ProfileDialog(store)
        if not dialog.exec() or dialog.monitor is None:
            store.close()
            return 0
        profile = dialog.monitor
    window = MainWindow(store, settings(), profile)
    window.show()
    check = StartupCheck(store.data_dir / paths.DATABASE_NAME, window)
    check.finishedCheck.connect(window.report_startup_check)
    check.start()
    try:
        return app.exec()
    finally:
        check.wait()
        store.close()
