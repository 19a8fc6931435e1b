"""What the user sees when the database cannot be used: what happened, and the way back.

The damaged file is never deleted or overwritten: both choices first move it into ``damaged/``
in the data directory (db/storage/recovery.py). Restoring puts the newest verified backup in its place
and then says, in plain words, what the backup lacks and which bundles bring it back.
"""

from pathlib import Path

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPushButton, QVBoxLayout, QWidget

from db.storage.backup import BackupInfo


class RecoveryDialog(QDialog):
    """Offers to restore ``backup`` (or, with none, to start empty) after ``problem``; or to quit."""

    RESTORE = 1
    START_EMPTY = 2

    def __init__(self, problem: str, data_dir: Path, backup: BackupInfo | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Truceline cannot use its database")
        self.choice = 0
        layout = QVBoxLayout(self)
        if backup is not None:
            taken = backup.taken_at.astimezone().strftime("%Y-%m-%d %H:%M")
            offer = (
                f"<p>The newest verified backup was taken <b>{taken}</b>. Restoring it brings back everything "
                "recorded up to then; afterwards Truceline tells you which bundles to import to get back what "
                "came later.</p>"
            )
        else:
            offer = (
                "<p>There is no verified backup in this data directory. You can start with an empty database "
                "and import bundles from the other laptops to get records back.</p>"
            )
        text = QLabel(
            "<p><b>The database file is damaged, unreadable, or not a Truceline database.</b></p>"
            f"<p style='color:#555'>{_escape(problem)}</p>"
            "<p>Nothing has been changed. Whatever you choose, the damaged file is kept, as it is, in "
            f"<tt>{_escape(str(data_dir / 'damaged'))}</tt>: it is never deleted.</p>" + offer
        )
        text.setWordWrap(True)
        text.setMinimumWidth(520)
        layout.addWidget(text)
        buttons = QDialogButtonBox()
        if backup is not None:
            self.restore_button: QPushButton | None = buttons.addButton(
                "&Restore the backup", QDialogButtonBox.ButtonRole.AcceptRole
            )
            self.restore_button.clicked.connect(lambda: self._choose(self.RESTORE))
            self.restore_button.setDefault(True)
        else:
            self.restore_button = None
        self.empty_button = buttons.addButton("Start &empty", QDialogButtonBox.ButtonRole.DestructiveRole)
        self.empty_button.clicked.connect(lambda: self._choose(self.START_EMPTY))
        quit_button = buttons.addButton("&Quit", QDialogButtonBox.ButtonRole.RejectRole)
        quit_button.clicked.connect(self.reject)
        layout.addWidget(buttons)

    def _choose(self, choice: int) -> None:
        self.choice = choice
        self.accept()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
