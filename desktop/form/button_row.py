"""The entry form's bottom row: the problems still to fix, the draft's state, and Save, Save and new, Cancel."""

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy


@dataclass(frozen=True)
class ButtonRow:
    layout: QHBoxLayout
    problems: QLabel
    save: QPushButton
    save_and_new: QPushButton
    cancel: QPushButton


def button_row(drafts_label: QLabel, *, editing: bool) -> ButtonRow:
    """The row, with "Save and new" only for a new incident; the form connects the buttons."""
    layout = QHBoxLayout()
    problems = QLabel()
    problems.setObjectName("problems")
    problems.setWordWrap(True)
    problems.setTextFormat(Qt.TextFormat.PlainText)
    problems.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    layout.addWidget(problems, 1)
    layout.addWidget(drafts_label)
    # No Alt letter on Save: Ctrl+S is its key, and Alt+S goes to the start date.
    save = QPushButton("Save  (Ctrl+S)")
    save.setObjectName("save")
    save.setToolTip("Save the incident (Ctrl+S or Ctrl+Enter). Enabled once every field is valid.")
    save_and_new = QPushButton("Save and new  (Ctrl+Shift+S)")
    save_and_new.setObjectName("save_and_new")
    save_and_new.setToolTip(
        "Save, then start another incident at the same moment and place, seen the same way "
        "(e.g. the bursts of fire heard with the explosions). Ctrl+Shift+S."
    )
    save_and_new.setVisible(not editing)
    cancel = QPushButton("Cancel  (Esc)")
    cancel.setObjectName("cancel")
    cancel.setToolTip("Close the form; asks first if anything was typed.")
    for button in (save_and_new, save, cancel):
        # Never the dialog's default button: a stray Enter must not save half an incident.
        button.setAutoDefault(False)
        button.setMinimumHeight(34)
        layout.addWidget(button)
    return ButtonRow(layout, problems, save, save_and_new, cancel)
