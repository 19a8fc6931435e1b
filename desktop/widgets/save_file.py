"""Choosing the file a dialog writes, and replacing an existing one only when the user says so.

Every dialog that writes a file (the CSV export, the report) asks the same way: a file dialog that
starts in the folder last used, a suffix added when the name has none, and an existing file kept
unless the user picks Replace (Enter and Esc keep it). What may one day be evidence is never
overwritten silently, and the question is asked after the suffix is added, about the file that
would really be replaced (the file dialog's own question is about the name as typed).
"""

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from desktop.widgets.last_folder import remember_folder


def choose_file(parent: QWidget, title: str, suggested: Path, file_filter: str) -> Path | None:
    """The file the user picks in a save dialog starting at ``suggested``; None if they cancel.

    Replacing is asked about later, by :func:`target_to_write`, once the suffix is known.
    """
    chosen, _ = QFileDialog.getSaveFileName(
        parent, title, str(suggested), file_filter, options=QFileDialog.Option.DontConfirmOverwrite
    )
    return Path(chosen) if chosen else None


def target_to_write(parent: QWidget, path: Path, default_suffix: str, what: str) -> Path | None:
    """``path`` with ``default_suffix`` if it has none, once the user agreed to replace a file already there
    (``what`` names what would replace it: "this export"); None if they keep it. Its folder is remembered
    for the next file dialog."""
    target = path.expanduser()
    if target.suffix == "":
        target = target.with_suffix(default_suffix)
    if target.exists() and not may_replace(parent, target, what):
        return None
    remember_folder(target)
    return target


def may_replace(parent: QWidget, target: Path, what: str) -> bool:
    """Ask before replacing ``target``: True only when the user picks Replace."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Replace file?")
    box.setText(f"{target.name} already exists in {target.parent}.")
    box.setInformativeText(f"Replace it with {what}?")
    replace = box.addButton("&Replace", QMessageBox.ButtonRole.DestructiveRole)
    keep = box.addButton("&Keep it", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(keep)
    box.setEscapeButton(keep)
    box.exec()
    return box.clickedButton() is replace
