"""The rows the entry form is built of: group boxes of labelled rows, inline hints, the Tab chain.

:class:`FieldRows` is what :class:`desktop.form.incident_fields.IncidentFields` builds its groups
with: every editor registered under its field name (object name, tooltip, accessible name), in the
Tab order of creation, with labels aligned across the group boxes of a column.
"""

from collections.abc import Hashable, Iterable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QCheckBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QWidget

from desktop.form.editors import ChoiceCombo, ElidedLabel
from desktop.form.help_text import HELP, LABELS

HINT_STYLE = "color: palette(placeholder-text);"


class FieldRows(QWidget):
    """Editors by field name, their hints, the Tab chain and the labels of each column."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._widgets: dict[str, QWidget] = {}
        self._hints: dict[str, ElidedLabel] = {}
        self._chain: list[QWidget] = []
        self._labels: list[list[QWidget]] = []
        self._reserved: list[tuple[QWidget, int]] = []

    def _on_edit(self) -> None:
        """Called on every edit of a registered editor."""

    def _group(self, title: str) -> tuple[QGroupBox, QFormLayout]:
        box = QGroupBox(title)
        form = QFormLayout(box)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setVerticalSpacing(5)
        return box, form

    def _row(self, form: QFormLayout, label: str | QWidget, *parts: QWidget | str, grow: QWidget | None = None) -> None:
        """Add a labelled row; several parts sit side by side, strings become small labels.

        ``label`` may be a widget (a check box that switches the row on) instead of a caption.
        ``grow`` takes the room the other parts leave; without it they keep their natural widths.
        """
        caption = QLabel(f"{label}:") if isinstance(label, str) else label
        self._labels[-1].append(caption)
        widgets = [QLabel(p) if isinstance(p, str) else p for p in parts]
        if isinstance(caption, QLabel):
            caption.setBuddy(next((w for w in widgets if w.focusPolicy() != Qt.FocusPolicy.NoFocus), widgets[0]))
        if len(widgets) == 1:
            form.addRow(caption, widgets[0])
            return
        line = QHBoxLayout()
        line.setSpacing(6)
        for widget in widgets:
            line.addWidget(widget, 1 if widget is grow else 0)
        if grow is None:
            line.addStretch(1)
        form.addRow(caption, line)

    def _hint(self, form: QFormLayout, name: str) -> ElidedLabel:
        hint = ElidedLabel()
        hint.setStyleSheet(HINT_STYLE)
        # One line always reserved, and never more (a long reason is cut short here and shown in
        # full in the tooltip and the problem list), so the form does not jump while typing. The
        # line spans the label column too: a position's reading fits even at 150 % scaling.
        self._reserved.append((hint, 1))
        self._hints[name] = hint
        form.addRow(hint)
        return hint

    def _register(self, name: str, widget: QWidget, signal: Any) -> None:
        widget.setObjectName(name)
        widget.setToolTip(HELP.get(name, ""))
        widget.setAccessibleName(LABELS.get(name, name.replace("_", " ")))
        widget.setAccessibleDescription(HELP.get(name, ""))
        self._widgets[name] = widget
        self._chain.append(widget)
        signal.connect(self._on_edit)

    def _line(self, name: str, placeholder: str = "", width: int | None = None, max_length: int = 200) -> QLineEdit:
        edit = QLineEdit()
        edit.setPlaceholderText(placeholder)
        edit.setMaxLength(max_length)
        if width is not None:
            edit.setFixedWidth(width)
        self._register(name, edit, edit.textChanged)
        return edit

    def _combo(self, name: str, items: Iterable[tuple[Hashable, str]]) -> ChoiceCombo:
        combo = ChoiceCombo(items)
        self._register(name, combo, combo.currentIndexChanged)
        return combo

    def _check(self, name: str, text: str) -> QCheckBox:
        box = QCheckBox(text)
        self._register(name, box, box.toggled)
        return box

    def _align_labels(self) -> None:
        """Give every label of a column the same width, so fields line up across group boxes."""
        for labels in self._labels:
            width = max((label.sizeHint().width() for label in labels), default=0)
            for label in labels:
                if isinstance(label, QLabel):
                    label.setMinimumWidth(width)
                    label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def prepare(self) -> None:
        """Reserve room in lines of the font actually used, which the dialog's stylesheet sets only
        once the widgets are polished: called before the dialog sizes itself, and again when shown."""
        self.ensurePolished()
        for widget, lines in self._reserved:
            widget.ensurePolished()
            widget.setMinimumHeight(widget.fontMetrics().lineSpacing() * lines + 4)
        self._align_labels()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        self.prepare()
        super().showEvent(event)

    def widget(self, name: str) -> QWidget:
        return self._widgets[name]

    @property
    def tab_chain(self) -> list[QWidget]:
        """The editable widgets in visual order: the Tab order."""
        return list(self._chain)
