"""Start the Qt application: open the data directory, then show the main window.

Migrations and the start-up check run before any window opens; a database that cannot be
opened is explained in a message box and the app exits without touching the file. Between two
windows, with the store closed, the app restores a backup or encrypts a plain directory when the
window asked for it (desktop/window/encrypt_dialog.py).
"""

import ctypes.util
import os
import sys
from pathlib import Path

import shiboken6
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox

from db.core.errors import DamagedDatabaseError, TrucelineError
from db.core.identity import APP_ID, APP_NAME, ORGANISATION, VERSION
from db.records.monitors import local_profile
from db.storage import cipher, paths
from db.storage.recovery import restore_backup, start_empty, verified_backups
from db.storage.store import Store, open_store
from desktop.widgets.preferences import settings
from desktop.window.app_icon import application_icon
from desktop.window.encrypt_dialog import EncryptionRequest, run_conversion
from desktop.window.error_dialog import UnexpectedErrors
from desktop.window.instance_lock import InstanceLock
from desktop.window.main_window import MainWindow
from desktop.window.passphrase_dialog import NewPassphraseDialog, UnlockDialog
from desktop.window.profile_dialog import ProfileDialog
from desktop.window.recovery_dialog import RecoveryDialog
from desktop.window.startup_check import StartupCheck


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
    """Open the window; ``smoke_test`` instead checks it draws and exits (see desktop/window/smoke_test.py)."""
    missing = missing_x11_libraries()
    if missing:
        print(
            f"truceline: the window needs system libraries that are missing: {' '.join(missing)}\n"
            f"Install them (Debian/Ubuntu): sudo apt-get install {' '.join(missing)}",
            file=sys.stderr,
        )
        return 2
    app = make_application()
    lock = InstanceLock(paths.data_dir())
    try:
        lock.acquire()
    except TrucelineError as error:
        if smoke_test:
            print(f"truceline: {error}", file=sys.stderr)
        else:
            QMessageBox.warning(None, APP_NAME, str(error))
        return 2
    if smoke_test:
        try:
            return smoke(app)
        finally:
            lock.release()
    try:
        while True:
            store = open_or_recover()
            if store is None:
                return 2
            code, after = run_main_window(app, store)
            if isinstance(after, EncryptionRequest):
                encrypt_between_windows(store.data_dir, after)
                continue  # the same directory, now encrypted and unlocked (or plain as it was)
            if not after:
                return code
            if not offer_recovery("The start-up check found the database damaged."):
                return 2
    finally:
        lock.release()


def smoke(app: QApplication) -> int:
    """The hidden --smoke-test: the real window on this data, no dialogs (desktop/window/smoke_test.py)."""
    from desktop.window.smoke_test import run_smoke_test

    try:
        store = open_store(check=False)
    except TrucelineError as error:
        print(f"truceline: {error}", file=sys.stderr)
        return 2
    try:
        return run_smoke_test(app, store, local_profile(store.conn))
    finally:
        store.close()


def unlock_or_create(directory: Path) -> bool | None:
    """Ask the passphrase that unlocks ``directory``, or a new one for a new directory; whether the
    user chose a plain (training) directory, None if they quit."""
    if cipher.is_erased(directory) or cipher.is_unlocked(directory):
        return False  # open_store says what an erased directory means
    if cipher.is_encrypted(directory):
        return False if UnlockDialog(directory).exec() else None
    if (directory / paths.DATABASE_NAME).exists() or cipher.new_directories_plain():
        return False
    dialog = NewPassphraseDialog(directory)
    if not dialog.exec():
        return None
    return dialog.plain


def open_or_recover() -> Store | None:
    """The store, after the user restored a backup or started empty if the file was damaged."""
    while True:
        plain = unlock_or_create(paths.data_dir())
        if plain is None:
            return None
        try:
            return open_store(check=False, plain=plain)
        except DamagedDatabaseError as error:
            if not offer_recovery(str(error)):
                return None
        except TrucelineError as error:
            QMessageBox.critical(None, APP_NAME, f"{APP_NAME} cannot open its data.\n\n{error}")
            return None


def offer_recovery(problem: str) -> bool:
    """Ask what to do about a damaged database and do it; False when the user quits."""
    data_dir = paths.data_dir()
    backups = verified_backups(data_dir)
    dialog = RecoveryDialog(problem, data_dir, backups[0] if backups else None)
    if not dialog.exec():
        return False
    try:
        if dialog.choice == RecoveryDialog.RESTORE:
            recovery = restore_backup(data_dir, backups[0])
            QMessageBox.information(None, "Backup restored", "\n\n".join(recovery.advice()))
        else:
            kept = start_empty(data_dir)
            QMessageBox.information(
                None,
                "Starting empty",
                f"The damaged database was kept, unchanged, in {kept}. Import bundles from the other laptops "
                "to get their records back.",
            )
    except TrucelineError as error:
        QMessageBox.critical(None, APP_NAME, f"The recovery did not complete; nothing was deleted.\n\n{error}")
        return False
    return True


def encrypt_between_windows(directory: Path, request: EncryptionRequest) -> None:
    """Convert the closed plain ``directory`` with a progress dialog and say how it went."""
    converted, outcome = run_conversion(directory, request)
    if converted:
        QMessageBox.information(None, APP_NAME, outcome)
    else:
        QMessageBox.warning(None, APP_NAME, outcome)


def run_main_window(app: QApplication, store: Store) -> tuple[int, bool | EncryptionRequest]:
    """Show the window until it closes; returns the exit code and whether recovery was requested, or the
    encryption the user asked for (the directory is converted between two windows)."""
    try:
        profile = local_profile(store.conn)
        if profile is None:
            dialog = ProfileDialog(store)
            if not dialog.exec() or dialog.monitor is None:
                return 0, False
            profile = dialog.monitor
        window = MainWindow(store, settings(), profile)
        # A bug in a slot is logged and shown in one dialog; the window stays usable.
        errors = UnexpectedErrors(lambda: window)
        errors.install()
        store.before_close(errors.uninstall)
        window.show()
        check = StartupCheck(store.data_dir / paths.DATABASE_NAME, window, tz=store.calendar.tz)
        check.finishedCheck.connect(window.report_startup_check)
        check.start()
        try:
            code = app.exec()
        finally:
            check.wait()
        if window.recovery_requested:
            return code, True
        if window.encryption is not None:  # no backup at closing: the conversion checks its own copy
            request = window.encryption
            store.close()
            shiboken6.delete(window)  # now: the encrypted directory's window must not meet this one's objects
            return code, request
        if window.damage.stopped or window.erased:
            return code, False  # never back up a damaged file; the next start offers the restore
        error = window.backups.backup_at_exit(None)
        if error:
            QMessageBox.warning(None, APP_NAME, f"The backup at closing failed; your data is unchanged.\n\n{error}")
        return code, False
    finally:
        store.close()
