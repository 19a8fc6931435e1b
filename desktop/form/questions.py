"""The questions the entry form may have to ask before it saves or closes.

Each is a message box whose safe answer is the one Enter and Esc give, since a monitor under
stress presses them without reading: "Keep editing" rather than "Discard", "Back to the form"
rather than either of two equally plausible times. The form shows them (``exec``) and reads the
button clicked; building them here keeps the wording together and the form module short.
"""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QMessageBox, QWidget

from db.model.local_time import AmbiguousTimeError


def occurrence_question(
    parent: QWidget, label: str, error: AmbiguousTimeError
) -> tuple[QMessageBox, dict[QAbstractButton, int]]:
    """Which of the two moments a wall-clock time in the autumn overlap means; buttons map to ``fold``."""
    first, second = error.candidates
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Which time?")
    box.setText(
        f"{label} {error.local:%H:%M} on {error.local:%Y-%m-%d} happened twice in {error.tz.key}: "
        "the clocks went back an hour that night."
    )
    box.setInformativeText(
        f"First, before the clocks went back: {first.offset_label}, {first.utc[11:16]} UTC.\n"
        f"Second, after: {second.offset_label}, {second.utc[11:16]} UTC.\n\nWhich did you observe?"
    )
    answers: dict[QAbstractButton, int] = {
        box.addButton(f"&First ({first.offset_label})", QMessageBox.ButtonRole.AcceptRole): first.fold,
        box.addButton(f"&Second ({second.offset_label})", QMessageBox.ButtonRole.AcceptRole): second.fold,
    }
    back = box.addButton("&Back to the form", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(back)
    box.setEscapeButton(back)
    return box, answers


def discard_question(parent: QWidget) -> tuple[QMessageBox, QAbstractButton]:
    """Ask whether to discard the typed incident; returns the box and its Discard button."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Discard?")
    box.setText("Discard this incident?")
    box.setInformativeText("What you typed will be lost.")
    discard = box.addButton("&Discard", QMessageBox.ButtonRole.DestructiveRole)
    keep = box.addButton("&Keep editing", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(keep)
    box.setEscapeButton(keep)
    return box, discard


def save_failed(parent: QWidget, error: Exception) -> QMessageBox:
    """Why a save failed, and that nothing typed was lost."""
    box = QMessageBox(
        QMessageBox.Icon.Critical,
        "Not saved",
        f"The incident was not saved:\n\n{error}",
        QMessageBox.StandardButton.Ok,
        parent,
    )
    box.setInformativeText("Everything you typed is still in the form (and in a draft). Try again in a moment.")
    return box


def outside_question(parent: QWidget, where: str) -> tuple[QMessageBox, QAbstractButton]:
    """A position outside every zone: most often latitude and longitude swapped, or a typo."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Position outside the theatre")
    box.setText(f"The position lies outside every zone of the theatre ({where}).")
    box.setInformativeText(
        "Latitude and longitude may be swapped, or a digit mistyped. The zone shown was not taken from "
        "this position. Save it as it is?"
    )
    save = box.addButton("Save &anyway", QMessageBox.ButtonRole.AcceptRole)
    back = box.addButton("&Back to the form", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(back)
    box.setEscapeButton(back)
    return box, save


def ask_keeping_focus(form: QWidget, box: QMessageBox) -> None:
    """Show a question, then put the cursor back where it was (some window managers do not)."""
    focused = form.focusWidget()
    box.exec()
    if form.isVisible():
        # Keystrokes must land in the form again, not in a window nobody looks at.
        form.activateWindow()
        if focused is not None:
            focused.setFocus(Qt.FocusReason.OtherFocusReason)
