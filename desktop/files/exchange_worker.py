"""Exporting and importing bundles off the GUI thread, each on its own database connection.

A bundle of a hundred thousand versions takes seconds to verify and merge; the window must keep
repainting and the Cancel button must work meanwhile. The workers open their own connection
(:func:`db.storage.connection.connect`), so the window keeps reading the committed state while an import
runs; the import's single transaction makes its result appear all at once. Cancel is a flag the
``progress`` callback of the ``db`` functions reads: the bundle being read is then not applied.
"""

import logging
from collections.abc import Sequence
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from PySide6.QtCore import QObject, Signal

from db.core.errors import TrucelineError
from db.core.sql_driver import sqlite3
from db.exchange.export import ExportResult, NothingToExport, export_bundle
from db.exchange.importing import import_bundle
from db.exchange.verify import BundleCancelled
from db.storage.connection import connect
from db.storage.damage import damage_seen
from db.storage.device import DeviceIdentity
from db.storage.projection import Calendar
from desktop.widgets.background_task import PER_MILLE, BackgroundTask, Progress

log = logging.getLogger(__name__)

PERMILLE = PER_MILLE  # overall progress per file (the window's one scale for task progress)


class ImportWorker(BackgroundTask):
    """Imports ``paths`` one after the other; a refused bundle is reported and the next one tried.

    Besides the task's own signals it says which file it is on, what each import did, which file was
    refused and why, and where a Cancel stopped it. Overall progress is ``PERMILLE`` per file.
    """

    fileStarted = Signal(int, str)  # noqa: N815 (Qt naming) index, file name
    imported = Signal(object)  # db.exchange.importing.ImportResult
    refused = Signal(str, str)  # file name, the reason in one sentence
    stopped = Signal(str)

    def __init__(
        self,
        database: Path,
        calendar: Calendar,
        paths: list[Path],
        parent: QObject | None = None,
        keys: Sequence[X25519PrivateKey] = (),
    ) -> None:
        super().__init__(parent=parent)
        self._keys = tuple(keys)  # to open sealed bundles (desktop.files.seal_prompt)
        self._database = database
        self._calendar = calendar
        self._paths = paths

    def work(self, progress: Progress) -> None:
        conn = connect(self._database)
        try:
            for index, path in enumerate(self._paths):
                if self.cancelled:
                    self.stopped.emit(f"Stopped before {path.name}; it and the bundles after it were not imported.")
                    return
                self.fileStarted.emit(index, path.name)

                def progress_in_file(done: int, total: int, index: int = index) -> bool:
                    return progress(index * PERMILLE + PERMILLE * done // max(total, 1), PERMILLE * len(self._paths))

                if not self._import_one(conn, path, progress_in_file):
                    return
                progress((index + 1) * PERMILLE, PERMILLE * len(self._paths))
        finally:
            conn.close()

    def _import_one(self, conn: sqlite3.Connection, path: Path, progress: Progress) -> bool:
        """Import one file, reporting what happened; False when Cancel stopped it."""
        try:
            result = import_bundle(conn, self._calendar, path, progress, self._keys)
        except BundleCancelled:
            self.stopped.emit(f"Stopped during {path.name}: nothing from it was applied.")
            return False
        except (TrucelineError, sqlite3.Error, OSError) as error:
            damage_seen(error)
            log.warning("refused bundle %s: %s", path, error)
            self.refused.emit(path.name, str(error))
            return True
        except Exception as error:  # a bug must still reach the person, not die with the thread
            log.exception("unexpected error importing bundle %s", path)
            self.refused.emit(path.name, f"unexpected error, nothing from it was applied: {error!r}")
            return True
        log.info("imported bundle %s: %s", path, result.summary())
        self.imported.emit(result)
        return True


class ExportWorker(BackgroundTask):
    """Writes one bundle and verifies it; ``succeeded`` carries the ExportResult or NothingToExport.

    Reading, writing and verifying each fill a third of the progress (db.exchange.export).
    """

    def __init__(
        self, database: Path, device: DeviceIdentity, out: Path, everything: bool, parent: QObject | None = None
    ) -> None:
        super().__init__(parent=parent)
        self._database = database
        self._device = device
        self._out = out
        self._everything = everything

    def work(self, progress: Progress) -> ExportResult | NothingToExport:
        conn = connect(self._database)
        try:
            result = export_bundle(conn, self._device, self._out, everything=self._everything, progress=progress)
        except NothingToExport as nothing:
            return nothing
        finally:
            conn.close()
        log.info("exported bundle %s: %s", result.path, result.summary())
        return result
