"""The window's side of sealed bundles: trusting the mission's sealing key, and its passphrase before an import.

The same ``db`` functions as ``truceline mission seal-key trust`` and ``bundle import``: the
public file is trusted with its fingerprint shown to compare by voice; before importing bundles
that only the mission's key opens, a supervisor's laptop asks the passphrase of the key it holds
(a laptop without it imports nothing from them, each refused in one sentence by the import).
"""

from collections.abc import Sequence
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from db.core.errors import TrucelineError
from db.exchange.mission import fingerprint
from db.exchange.seal_keys import (
    PUBLIC_FILE,
    held_seal_key,
    opening_keys,
    read_seal_public_file,
    trust_seal_key,
    trusted_seal_key,
    unlock_seal_key,
)
from db.exchange.sealed import needs_other_key
from db.storage.store import Store
from desktop.widgets.last_folder import last_folder, remember_folder

ATTEMPTS = 3
TITLE = "Mission sealing key"


class SealPassphraseDialog(QDialog):
    """The passphrase of the mission's sealing key, asked before importing bundles only it opens."""

    def __init__(self, parent: QWidget | None = None, problem: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle("Sealed bundles")
        text = QLabel(
            "These bundles are sealed for the mission: only the mission's sealing key, which this laptop "
            "holds, opens them. Type its passphrase (not this laptop's) to import them."
        )
        text.setWordWrap(True)
        self.problem = QLabel(problem)
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #b00020;")
        self.problem.setVisible(bool(problem))
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName("Passphrase of the mission's sealing key")
        self.passphrase.setPlaceholderText("Passphrase of the mission's sealing key")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("&Unlock and import")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (text, self.problem, self.passphrase, buttons):
            layout.addWidget(widget)
        self.setMinimumWidth(440)
        self.passphrase.setFocus()


def ask_passphrase(parent: QWidget, problem: str) -> str | None:
    """The passphrase typed, or None when the person cancelled."""
    dialog = SealPassphraseDialog(parent, problem)
    try:
        return dialog.passphrase.text() if dialog.exec() else None
    finally:
        dialog.deleteLater()


def trusted_text(shown: str) -> str:
    return (
        f"From now on this laptop's bundles are sealed: only the mission can read them.\n\nFingerprint:\n{shown}\n\n"
        "Compare it, group by group, with the fingerprint headquarters reads out."
    )


def trust_from_file(parent: QWidget, store: Store) -> str | None:
    """File → Mission sealing key…: choose the public file, trust it, show its fingerprint; the fingerprint or None."""
    current = trusted_seal_key(store.conn)
    if current is not None:
        QMessageBox.information(
            parent,
            TITLE,
            f"This laptop already seals its bundles for the mission key\n{fingerprint(current)}",
        )
        return None
    chosen, _filter = QFileDialog.getOpenFileName(
        parent, TITLE, str(last_folder()), f"Mission sealing key ({PUBLIC_FILE} *.pub);;All files (*)"
    )
    if not chosen:
        return None
    remember_folder(Path(chosen))
    try:
        shown = trust_seal_key(store.conn, read_seal_public_file(Path(chosen)))
    except TrucelineError as error:
        QMessageBox.warning(parent, TITLE, f"The key was not trusted: {error}")
        return None
    QMessageBox.information(parent, TITLE, trusted_text(shown))
    return shown


def keys_for_import(parent: QWidget, store: Store, files: Sequence[Path]) -> tuple[X25519PrivateKey, ...] | None:
    """The keys to open ``files`` with: this laptop's own, and the mission's if needed and held (its
    passphrase asked, up to :data:`ATTEMPTS` times). None when the person cancelled."""
    own = opening_keys(store.device)
    held = held_seal_key(store.data_dir)
    if held is None or not any(needs_other_key(path, own) for path in files):
        return own
    problem = ""
    for _attempt in range(ATTEMPTS):
        text = ask_passphrase(parent, problem)
        if text is None:
            return None
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)  # scrypt takes a moment, on purpose
        try:
            return opening_keys(store.device, unlock_seal_key(held, text))
        except TrucelineError:
            problem = "That passphrase does not unlock the mission's sealing key; try again."
        finally:
            QGuiApplication.restoreOverrideCursor()
    QMessageBox.warning(parent, "Sealed bundles", "The passphrase was wrong three times; nothing was imported.")
    return None
