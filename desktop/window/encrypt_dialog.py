"""Encrypting a plain data directory from the window: File → "Encrypt this laptop's records…".

The conversion (db/storage/conversion.py) needs the directory to itself, so it cannot run under the
open window: the dialog only takes the new passphrase, the window closes (its drafts written, its
store closed), and the application (desktop/window/app.py) runs the conversion between two windows
with a progress dialog, then opens the same directory again, encrypted and already unlocked.

A refusal (another Truceline window or command is using the directory) or a failure before the
commit point (a full disk) leaves the plain directory as it was, and the window opens it again; a
failure after the commit point is finished on the next opening (``finish_conversion``).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMainWindow,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from db.core.errors import InUseError
from db.core.identity import APP_NAME
from db.storage import cipher
from db.storage.conversion import Conversion, Step, encrypt_directory
from desktop.widgets.background_task import BackgroundTask, Progress, show_progress
from desktop.window.passphrase_dialog import NewPassphraseFields

# The key derivation's cost; tests make it cheap.
KDF = cipher.DEFAULT_KDF
IN_USE = (
    "Nothing was changed: another program is using this laptop's records (a second Truceline window, or a "
    "command such as 'truceline check'); let it finish, then choose File → Encrypt this laptop's records… again."
)


@dataclass(frozen=True)
class EncryptionRequest:
    """What the window hands the application when it closes to be encrypted."""

    passphrase: str = field(repr=False)
    params: cipher.KdfParams = cipher.DEFAULT_KDF


class EncryptDialog(QDialog):
    """What the conversion does and the new passphrase (typed twice, with the first start's hint)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.request: EncryptionRequest | None = None
        self.setWindowTitle("Encrypt this laptop's records")
        intro = QLabel(
            "The records on this laptop are not encrypted: anyone who has the laptop can read them.\n\n"
            "Truceline closes them, encrypts them with a passphrase and opens them again, encrypted: the "
            "database, its backups, the drafts of the entry form, the copies set aside as damaged and this "
            "laptop's signing key. It takes a few minutes on a large database; an interruption, even a power "
            "cut, loses nothing.\n\n"
            "The passphrase cannot be recovered. If it is forgotten, the records on this laptop are lost; those "
            "already sent in a bundle stay with the supervisor. Truceline asks for it at every start.\n\n"
            "Demonstration and training data need not be encrypted: Cancel keeps them plain."
        )
        intro.setWordWrap(True)
        intro.setMinimumWidth(520)
        self.fields = NewPassphraseFields()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.encrypt_button = self.buttons.addButton("&Encrypt", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.fields)
        layout.addWidget(self.buttons)
        self.encrypt_button.setDefault(True)  # Enter in a field encrypts (once in the dialog, or Cancel would be)
        self.fields.first.setFocus()

    def accept(self) -> None:
        """Keep the passphrase for the conversion; a short or unrepeated one is named and nothing happens."""
        passphrase = self.fields.chosen()
        if passphrase is None:
            return
        self.request = EncryptionRequest(passphrase, KDF)
        super().accept()


class ConversionTask(BackgroundTask):
    """Runs ``encrypt_directory`` off the GUI thread; ``stepped`` says what it is doing."""

    stepped = Signal(str)

    def __init__(self, directory: Path, request: EncryptionRequest, parent: QWidget | None = None) -> None:
        super().__init__(parent=parent)
        self._directory = directory
        self._request = request

    def work(self, progress: Progress) -> object:
        def step(now: Step) -> None:
            self.stepped.emit(now.what)
            progress(now.done, now.total)

        try:
            return encrypt_directory(self._directory, self._request.passphrase, self._request.params, step)
        except InUseError as error:
            raise InUseError(IN_USE) from error


class ConversionDialog(QDialog):
    """The conversion's progress; it cannot be closed while it runs (an interruption is safe, but says nothing)."""

    def __init__(self, directory: Path, request: EncryptionRequest, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.directory = directory
        self.result_: Conversion | None = None
        self.problem = ""
        self.setWindowTitle(f"{APP_NAME}: encrypting the records")
        self.setWindowFlag(Qt.WindowType.WindowCloseButtonHint, False)
        intro = QLabel(
            f"Encrypting the records in {directory}. Truceline opens them again when it is done; "
            "it takes a few minutes on a large database."
        )
        intro.setWordWrap(True)
        intro.setMinimumWidth(480)
        self.stage = QLabel("Waiting for the records to close…")
        self.bar = QProgressBar()
        self.bar.setTextVisible(False)
        self.bar.setAccessibleName("Conversion progress")
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.stage)
        layout.addWidget(self.bar)
        self.task = ConversionTask(directory, request, self)
        self.task.stepped.connect(self._stepped)
        self.task.progressed.connect(self._progressed)
        self.task.succeeded.connect(self._succeeded)
        self.task.failed.connect(self._failed)

    def start(self) -> None:
        self.task.start()

    def _stepped(self, what: str) -> None:
        self.stage.setText(what[:1].upper() + what[1:] + "…")

    def _progressed(self, done: int, total: int) -> None:
        show_progress(self.bar, done, total)

    def _succeeded(self, result: object) -> None:
        self.task.wait()
        self.result_ = result if isinstance(result, Conversion) else None
        self.accept()

    def _failed(self, message: str) -> None:
        self.task.wait()
        self.problem = message or "the conversion stopped"
        self.done(QDialog.DialogCode.Rejected)

    def reject(self) -> None:
        """Esc does nothing while the conversion runs: it ends by itself, with success or a reason."""
        if not self.task.isRunning() and not self.task.isFinished():
            super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        if self.task.isRunning():
            event.ignore()
            return
        super().closeEvent(event)

    def outcome(self) -> str:
        """What the user is told once the dialog closed: done, refused (nothing changed), or half done."""
        if self.result_ is not None:
            text = "This laptop's records are encrypted. From now on Truceline asks for the passphrase at every start."
            if self.result_.left_plain:
                names = ", ".join(p.name for p in self.result_.left_plain)
                text += f"\n\nThese copies could not be read and were left as they were (not encrypted): {names}."
            return text
        if self.problem == IN_USE:
            return IN_USE
        if cipher.is_encrypted(self.directory):
            return (
                f"The records are encrypted, but the last steps did not finish ({self.problem}); "
                "Truceline finishes them when it opens the records."
            )
        return f"The records were not encrypted ({self.problem}); they are as they were, plain, and open again."


def run_conversion(directory: Path, request: EncryptionRequest) -> tuple[bool, str]:
    """Encrypt ``directory`` (its store closed) with a progress dialog; whether it worked, and what to say."""
    dialog = ConversionDialog(directory, request)
    dialog.start()
    dialog.exec()
    return dialog.result_ is not None, dialog.outcome()


def encrypt_action(window: QMainWindow, requested: Callable[[EncryptionRequest], None]) -> QAction:
    """The File menu's "Encrypt this laptop's records…" (only for a plain directory)."""
    action = QAction("Encrypt t&his laptop's records…", window)
    action.setStatusTip("Encrypt the records, backups, drafts and device key of this plain data directory")

    def ask() -> None:
        dialog = EncryptDialog(window)
        if dialog.exec() and dialog.request is not None:
            requested(dialog.request)

    action.triggered.connect(ask)
    return action
