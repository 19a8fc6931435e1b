"""Exporting and importing bundles off the GUI thread, each on its own database connection.

A bundle of a hundred thousand versions takes seconds to verify and merge; the window must keep
repainting and the Cancel button must work meanwhile. The workers open their own connection
(:func:`db.storage.connection.connect`), so the window keeps reading the committed state while an import
runs; the import's single transaction makes its result appear all at once. Cancel is a flag the
``progress`` callback of the ``db`` functions reads: the bundle being read is then not applied.
"""

import logging
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal

from db.core.errors import TrucelineError
from db.core.sql_driver import sqlite3
from db.exchange.export import NothingToExport, export_bundle
from db.exchange.importing import import_bundle
from db.exchange.verify import BundleCancelled
from db.storage.connection import connect
from db.storage.damage import damage_seen
from db.storage.device import DeviceIdentity
from db.storage.projection import Calendar

log = logging.getLogger(__name__)

PERMILLE = 1000


class ImportWorker(QThread):
    """Imports ``paths`` one after the other; a refused bundle is reported and the next one tried."""

    fileStarted = Signal(int, str)  # noqa: N815 (Qt naming) index, file name
    progressed = Signal(int)  # overall progress, 0 … PERMILLE × number of files
    imported = Signal(object)  # db.exchange.importing.ImportResult
    refused = Signal(str, str)  # file name, the reason in one sentence
    cancelled = Signal(str)

    def __init__(self, database: Path, calendar: Calendar, paths: list[Path], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._database = database
        self._calendar = calendar
        self._paths = paths
        self._stop = False

    def cancel(self) -> None:
        self._stop = True

    def run(self) -> None:
        try:
            conn = connect(self._database)
        except TrucelineError as error:
            self.refused.emit("", str(error))
            return
        try:
            for index, path in enumerate(self._paths):
                if self._stop:
                    self.cancelled.emit(f"Stopped before {path.name}; it and the bundles after it were not imported.")
                    return
                self.fileStarted.emit(index, path.name)

                def progress(done: int, total: int, index: int = index) -> bool:
                    self.progressed.emit(index * PERMILLE + PERMILLE * done // max(total, 1))
                    return not self._stop

                try:
                    result = import_bundle(conn, self._calendar, path, progress)
                except BundleCancelled:
                    self.cancelled.emit(f"Stopped during {path.name}: nothing from it was applied.")
                    return
                except (TrucelineError, sqlite3.Error, OSError) as error:
                    damage_seen(error)
                    log.warning("refused bundle %s: %s", path, error)
                    self.refused.emit(path.name, str(error))
                    continue
                except Exception as error:  # a bug must still reach the person, not die with the thread
                    log.exception("unexpected error importing bundle %s", path)
                    self.refused.emit(path.name, f"unexpected error, nothing from it was applied: {error!r}")
                    continue
                log.info("imported bundle %s: %s", path, result.summary())
                self.progressed.emit((index + 1) * PERMILLE)
                self.imported.emit(result)
        finally:
            conn.close()


class ExportWorker(QThread):
    """Writes one bundle and verifies it; reports the result, "nothing new", or the failure."""

    progressed = Signal(int)  # 0 … PERMILLE
    exported = Signal(object)  # db.exchange.export.ExportResult
    nothingNew = Signal(str)  # noqa: N815 (Qt naming)
    failed = Signal(str)

    def __init__(
        self, database: Path, device: DeviceIdentity, out: Path, everything: bool, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._database = database
        self._device = device
        self._out = out
        self._everything = everything
        self._stop = False

    def cancel(self) -> None:
        self._stop = True

    def run(self) -> None:
        def progress(done: int, total: int) -> bool:
            self.progressed.emit(PERMILLE * done // max(total, 1))
            return not self._stop

        try:
            conn = connect(self._database)
        except TrucelineError as error:
            self.failed.emit(str(error))
            return
        try:
            result = export_bundle(conn, self._device, self._out, everything=self._everything, progress=progress)
        except NothingToExport as error:
            self.nothingNew.emit(str(error))
        except (TrucelineError, sqlite3.Error, OSError) as error:
            damage_seen(error)
            self.failed.emit(str(error))
        except Exception as error:  # a bug must still reach the person, not die with the thread
            log.exception("unexpected error exporting a bundle to %s", self._out)
            self.failed.emit(f"unexpected error: {error!r}")
        else:
            log.info("exported bundle %s: %s", result.path, result.summary())
            self.progressed.emit(PERMILLE)
            self.exported.emit(result)
        finally:
            conn.close()
