"""Start the Qt application: open the data directory, then show the main window.

Migrations and the start-up check run before any window opens; a database that cannot be
opened is explained in a message box and the app exits without touching the file.
"""

import sys

from PySide6.QtCore import QSettings
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox

from db import paths
from db.errors import TrucelineError
from db.identity import APP_ID, APP_NAME, ORGANISATION, VERSION
from db.store import open_store
from desktop.main_window import MainWindow


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
    return app


def settings() -> QSettings:
    """Preferences in the config directory from ``db.paths`` (beside the data when overridden)."""
    directory = paths.config_dir()
    directory.mkdir(parents=True, exist_ok=True)
    return QSettings(str(directory / "truceline.ini"), QSettings.Format.IniFormat)


def run_window() -> int:
    app = make_application()
    try:
        store = open_store()
    except TrucelineError as error:
        QMessageBox.critical(None, APP_NAME, f"{APP_NAME} cannot open its data.\n\n{error}")
        return 2
    window = MainWindow(store, settings())
    window.show()
    try:
        return app.exec()
    finally:
        store.close()
