"""Changing the passphrase and the emergency erase, from the window's File menu.

Both go through db/storage/cipher.py like ``truceline passphrase`` and ``truceline erase``. The
erase is confirmed by typing a word, destroys ``key.json`` and closes the window at once: what it
showed can no longer be read from the disk by anyone (records not yet sent in a bundle are lost).
"""

from collections.abc import Callable
from pathlib import Path

from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QVBoxLayout,
    QWidget,
)

from db.core.errors import TrucelineError, WrongPassphraseError
from db.storage import cipher
from desktop.window.passphrase_dialog import NewPassphraseFields, password_field


class ChangePassphraseDialog(QDialog):
    """The current passphrase, then a new one twice (the fields of the first start); the old one stops
    working only once the new one works."""

    def __init__(self, directory: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.directory = directory
        self.throttle = cipher.Throttle()
        self.setWindowTitle("Change the passphrase")
        self.current = password_field("Current passphrase")
        self.fields = NewPassphraseFields()
        self.first, self.second, self.problem = self.fields.first, self.fields.second, self.fields.problem
        current = QFormLayout()
        current.setContentsMargins(0, 0, 0, 0)
        current.addRow("&Current passphrase:", self.current)
        note = QLabel("The new passphrase cannot be recovered; backups taken before the change open with it too.")
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(current)
        layout.addWidget(note)
        layout.addWidget(self.fields)
        layout.addWidget(buttons)

    def accept(self) -> None:
        new = self.fields.chosen()
        if new is None:
            return
        try:
            cipher.change_passphrase(self.directory, self.current.text(), new)
        except WrongPassphraseError:
            self.current.clear()
            self.current.setFocus()
            self.problem.setText(
                "The current passphrase is wrong; nothing was changed. "
                f"Wait {self.throttle.failed():g} s before the next try."
            )
            return
        except TrucelineError as error:
            self.problem.setText(str(error))
            return
        super().accept()


class EraseDialog(QDialog):
    """The emergency erase: what is lost, and the word to type before the key is destroyed."""

    def __init__(self, directory: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.directory = directory
        self.setWindowTitle("Emergency erase")
        text = QLabel(
            "This destroys the key of this laptop's data. The database, its backups, drafts and the device key "
            "become unreadable at once, for anyone, including you, even with the passphrase.\n\n"
            "Records not yet exported in a bundle and given to a supervisor are lost for good.\n\n"
            f"Type {cipher.ERASE_WORD} to destroy the key. Truceline closes afterwards."
        )
        text.setWordWrap(True)
        self.word = QLineEdit()
        self.word.setAccessibleName("Confirmation word")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.erase_button = self.buttons.addButton("&Destroy the key", QDialogButtonBox.ButtonRole.DestructiveRole)
        self.erase_button.setEnabled(False)
        self.erase_button.clicked.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.word.textChanged.connect(lambda typed: self.erase_button.setEnabled(typed == cipher.ERASE_WORD))
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(self.word)
        layout.addWidget(self.buttons)

    def accept(self) -> None:
        if self.word.text() != cipher.ERASE_WORD:
            return
        cipher.erase_key(self.directory)
        super().accept()


def key_actions(window: QMainWindow, directory: Path, erased: Callable[[], None]) -> list[QAction]:
    """The File menu's "Change passphrase…" and "Emergency erase…" (only for an encrypted directory)."""
    change = QAction("Change &passphrase…", window)
    change.triggered.connect(lambda: ChangePassphraseDialog(directory, window).exec())
    erase = QAction("E&mergency erase…", window)
    erase.setStatusTip("Destroy the key: every encrypted file of this laptop becomes unreadable at once")

    def ask() -> None:
        if EraseDialog(directory, window).exec():
            erased()

    erase.triggered.connect(ask)
    return [change, erase]
