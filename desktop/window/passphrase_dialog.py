"""The passphrase at start: a new one for a new data directory, or the one that unlocks it.

A new passphrase is typed twice, with a strength hint and the warning that it cannot be
recovered; a demonstration or training directory may be created plain instead, and the title bar
then says so. Unlocking waits longer after each wrong passphrase (db/storage/cipher.py ``Throttle``);
a wrong one changes nothing.
"""

from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from db.core.errors import TrucelineError, WrongPassphraseError
from db.core.identity import APP_NAME
from db.storage import cipher


def password_field(accessible: str) -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setAccessibleName(accessible)
    return field


class NewPassphraseFields(QWidget):
    """A new passphrase typed twice, with a strength hint: the first start and the conversion of a plain
    directory (desktop/window/encrypt_dialog.py) ask for it the same way."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.first = password_field("New passphrase")
        self.second = password_field("Repeat the passphrase")
        self.strength = QLabel()
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        # Room kept for two lines, so a refusal appearing moves nothing and is never cut off.
        self.problem.setMinimumHeight(2 * self.problem.fontMetrics().lineSpacing())
        self.problem.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("&Passphrase:", self.first)
        form.addRow("", self.strength)
        form.addRow("&Repeat:", self.second)
        form.addRow(self.problem)
        self.first.textChanged.connect(self._show_strength)
        self._show_strength("")

    def _show_strength(self, text: str) -> None:
        hint = f"Strength: {cipher.strength_hint(text)}" if text else f"At least {cipher.MIN_PASSPHRASE} characters."
        self.strength.setText(hint)

    def set_typing_enabled(self, enabled: bool) -> None:
        for widget in (self.first, self.second):
            widget.setEnabled(enabled)

    def chosen(self) -> str | None:
        """The passphrase, or None after naming the field at fault (too short, or the two entries differ)."""
        passphrase = self.first.text()
        problem = cipher.passphrase_problem(passphrase)
        if problem is not None:
            self.problem.setText(f"Passphrase: {problem}.")
            self.first.setFocus()
            return None
        if self.second.text() != passphrase:
            self.problem.setText("Repeat: the two entries differ; type the same passphrase twice.")
            self.second.setFocus()
            return None
        self.problem.clear()
        return passphrase


class NewPassphraseDialog(QDialog):
    """First start: choose the passphrase that encrypts the data directory (or, for training, none)."""

    def __init__(self, directory: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.directory = directory
        self.plain = False
        self.setWindowTitle(f"{APP_NAME}: choose a passphrase")
        intro = QLabel(
            "Everything this laptop records is encrypted with a passphrase. Choose a long one: several words "
            "are easier to type and harder to guess.\n\n"
            "It cannot be recovered. If it is forgotten, the records on this laptop are lost; records already "
            "sent in a bundle stay with the supervisor."
        )
        intro.setWordWrap(True)
        self.fields = NewPassphraseFields()
        self.first, self.second = self.fields.first, self.fields.second
        self.strength, self.problem = self.fields.strength, self.fields.problem
        self.plain_check = QCheckBox("P&lain: no encryption (demonstration or training only)")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.fields)
        layout.addWidget(self.plain_check)
        layout.addWidget(self.buttons)
        self.plain_check.toggled.connect(lambda plain: self.fields.set_typing_enabled(not plain))

    def accept(self) -> None:
        """Create the key; a short or unrepeated passphrase is named and nothing is created."""
        if self.plain_check.isChecked():
            self.plain = True
            super().accept()
            return
        passphrase = self.fields.chosen()
        if passphrase is None:
            return
        try:
            cipher.create_key(self.directory, passphrase)
        except TrucelineError as error:
            self.problem.setText(str(error))
            return
        super().accept()


class PassphrasePrompt(QWidget):
    """A passphrase field, a button and a message, slowing down after each wrong passphrase.

    Used by the unlock dialog at start and by the lock screen; ``check`` says whether the text
    opens the key (and may raise a readable error).
    """

    def __init__(self, directory: Path, button_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.directory = directory
        self.throttle = cipher.Throttle()
        self.field = password_field("Passphrase")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.buttons = QDialogButtonBox()
        self.button = self.buttons.addButton(button_text, QDialogButtonBox.ButtonRole.AcceptRole)
        form = QFormLayout(self)
        form.addRow("&Passphrase:", self.field)
        form.addRow(self.message)
        form.addRow(self.buttons)
        self._wait = QTimer(self)
        self._wait.setSingleShot(True)
        self._wait.timeout.connect(self._ready)

    def opens(self) -> bool:
        """Whether the typed passphrase opens the key; a wrong one is said, cleared, and slows the next try."""
        try:
            ok = self._check(self.field.text())
        except TrucelineError as error:
            self.message.setText(str(error))
            return False
        if ok:
            self.throttle.succeeded()
            self.field.clear()
            self.message.clear()
            return True
        delay = self.throttle.failed()
        self.field.clear()
        self.field.setEnabled(False)
        self.button.setEnabled(False)
        self.message.setText(f"The passphrase is wrong; nothing was opened or changed. Try again in {delay:g} s.")
        self._wait.start(int(delay * 1000))
        return False

    def _check(self, passphrase: str) -> bool:
        if cipher.is_unlocked(self.directory):
            return cipher.check_passphrase(self.directory, passphrase)
        try:
            cipher.unlock(self.directory, passphrase)
        except WrongPassphraseError:
            return False
        return True

    def _ready(self) -> None:
        self.field.setEnabled(True)
        self.button.setEnabled(True)
        self.field.setFocus()

    def stop(self) -> None:
        self._wait.stop()


class UnlockDialog(QDialog):
    """Later starts: the passphrase that unlocks the data directory."""

    def __init__(self, directory: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"{APP_NAME}: unlock")
        intro = QLabel(f"The records in {directory} are encrypted. Type the passphrase to open them.")
        intro.setWordWrap(True)
        self.prompt = PassphrasePrompt(directory, "&Unlock", self)
        self.prompt.button.clicked.connect(self._try)
        self.prompt.field.returnPressed.connect(self._try)
        quit_button = self.prompt.buttons.addButton("&Quit", QDialogButtonBox.ButtonRole.RejectRole)
        quit_button.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.prompt)
        self.finished.connect(lambda _result: self.prompt.stop())

    def _try(self) -> None:
        if self.prompt.field.isEnabled() and self.prompt.opens():
            self.accept()
