"""Editors of the entry form that behave well for a gloved monitor on a keyboard.

Qt's stock editors trip such a user in small ways: a closed combo box opens its popup on Space
and forgets what was typed before it; a date edit skips a section when a separator is typed
after a section already filled itself; a mouse wheel brushing a combo changes a value unseen.
The editors here fix those, and :func:`mark_invalid` is the single way a field shows a problem.
"""

import time
from collections.abc import Hashable, Iterable
from typing import Any

from PySide6.QtCore import QDate, Qt, QTime, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent, QResizeEvent, QWheelEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSizePolicy,
    QSpinBox,
    QTimeEdit,
    QWidget,
)

INVALID_PROPERTY = "invalid"
# Selected by the dynamic property, so valid fields keep the platform's own look.
INVALID_STYLE = """
*[invalid="true"] { border: 2px solid #c62828; border-radius: 3px; }
QComboBox[invalid="true"] { padding: 1px 6px; background: palette(button); }
"""

# Gloved typing is slow; Qt's default 400 ms would start a new search in the middle of a word.
TYPE_AHEAD_PAUSE_S = 1.2
_SEPARATORS = "-./: "
RANGE_DASHES = ("-", "–")
QUALIFIER_KEYS = {
    "~": "approx",
    "≈": "approx",
    ">": "at_least",
    "≥": "at_least",
    "+": "at_least",
    "=": "exact",
    "?": "uncountable",
}


def mark_invalid(widget: QWidget, reason: str | None, help_text: str) -> None:
    """Show ``reason`` on ``widget`` (red border, tooltip), or clear it when None."""
    invalid = reason is not None
    widget.setToolTip(f"{reason}\n\n{help_text}" if invalid else help_text)
    if bool(widget.property(INVALID_PROPERTY)) == invalid:
        return
    widget.setProperty(INVALID_PROPERTY, invalid)
    # A dynamic property only takes effect in a stylesheet once the widget is polished again.
    widget.style().unpolish(widget)
    widget.style().polish(widget)
    widget.update()


class ChoiceCombo(QComboBox):
    """A non-editable combo of ``(value, label)`` items that finds an item as the user types.

    Typing matches, in this order, the start of a label, the start of a value, then the start of
    any word of a label ("tor" finds "DMZ sector 4 (Toretsk)"); Space continues a search rather
    than opening the popup (Alt+Down or F4 opens it). The value can never be anything but one of
    the items, so there is no half-typed state to validate. A change made from the keyboard emits
    ``activated`` like a choice in the popup, so callers can tell user choices from their own.
    """

    def __init__(self, items: Iterable[tuple[Hashable, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMaxVisibleItems(16)
        # Sized by the column rather than by the longest label, so three columns fit a small screen.
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(12)
        for value, label in items:
            self.addItem(label, value)
        self._typed = ""
        self._typed_at = 0.0

    def value(self) -> Hashable | None:
        value: Hashable | None = self.currentData()
        return value

    def set_value(self, value: Hashable | None) -> bool:
        """Select the item holding ``value``; False (and no change) when there is none."""
        for index in range(self.count()):
            if self.itemData(index) == value:
                self.setCurrentIndex(index)
                return True
        return False

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        text = event.text()
        plain = not event.modifiers() & ~(Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.KeypadModifier)
        now = time.monotonic()
        if now - self._typed_at > TYPE_AHEAD_PAUSE_S:
            self._typed = ""
        if plain and text and text.isprintable() and not (text == " " and not self._typed):
            self._typed_at = now
            index = self._find(self._typed + text)
            if index >= 0:
                self._typed += text
                self._choose(index)
            elif self._typed and (index := self._find(text)) >= 0:
                # No item continues the search: start a new one with this letter.
                self._typed = text
                self._choose(index)
            event.accept()
            return
        if event.key() == Qt.Key.Key_Backspace and self._typed:
            self._typed = self._typed[:-1]
            event.accept()
            return
        super().keyPressEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 (Qt override)
        # A wheel or touchpad brushing past an unfocused combo must not change a value unseen.
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802 (Qt override)
        self._typed = ""
        super().focusOutEvent(event)

    def _choose(self, index: int) -> None:
        if index != self.currentIndex():
            self.setCurrentIndex(index)
            self.activated.emit(index)

    def _find(self, typed: str) -> int:
        wanted = typed.casefold()
        labels = [self.itemText(i).casefold() for i in range(self.count())]
        values = [str(self.itemData(i)).casefold() for i in range(self.count())]
        for candidates in (labels, values):
            for index, text in enumerate(candidates):
                if text.startswith(wanted):
                    return index
        for index, label in enumerate(labels):
            words = "".join(ch if ch.isalnum() else " " for ch in label).split()
            if any(word.startswith(wanted) for word in words):
                return index
        return -1


class ElidedLabel(QLabel):
    """A one-line label that ends in "…" when its text does not fit, instead of being cut mid-letter.

    For hints beside a field: the full text stays in :meth:`full_text` and the tooltip.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        # Never widens its column; takes whatever room the row leaves.
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def full_text(self) -> str:
        return self._full

    def set_full_text(self, text: str) -> None:
        self._full = text
        self.setToolTip(text)
        self._elide()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        shown = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, max(self.width(), 1))
        if shown != self.text():
            self.setText(shown)


class _SeparatorSkip:
    """Typing "2026-05-01" into a date edit: ignore a separator right after a section filled itself.

    Qt moves to the next section when a section is full ("2026") and again on the separator that
    follows, landing the month in the day. People type the separators, so swallow that one.

    Tab also leaves the field at once rather than stepping through year, month and day: the
    common case is "today, a different time", and the separators already move between sections.
    """

    _advanced = False

    def focusNextPrevChild(self, next: bool) -> bool:  # noqa: N802, A002 (Qt override)
        return QWidget.focusNextPrevChild(self, next)  # type: ignore[arg-type]

    def _key_press(self, edit: QDateEdit | QTimeEdit, event: QKeyEvent, base: type[QDateEdit | QTimeEdit]) -> None:
        text = event.text()
        if text and text in _SEPARATORS and self._advanced:
            self._advanced = False
            event.accept()
            return
        before = edit.currentSectionIndex()
        base.keyPressEvent(edit, event)
        self._advanced = bool(text) and text.isdigit() and edit.currentSectionIndex() != before

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802 (Qt override)
        self._advanced = False
        super().focusInEvent(event)  # type: ignore[misc]
        if event.reason() != Qt.FocusReason.MouseFocusReason:
            # Qt selects the last section on Shift+Tab: typing a whole date there would fill the
            # day with the year's digits and silently give another date. Start at the first.
            edit: QDateEdit | QTimeEdit = self  # type: ignore[assignment]
            edit.setSelectedSection(edit.sectionAt(0))

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 (Qt override)
        # A wheel over a field the cursor is not in scrolls the form, never changes the value.
        if self.hasFocus():  # type: ignore[attr-defined]
            super().wheelEvent(event)  # type: ignore[misc]
        else:
            event.ignore()


class DateEdit(_SeparatorSkip, QDateEdit):
    """ISO dates (2026-05-01), typed with or without the dashes."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDisplayFormat("yyyy-MM-dd")
        self.setMinimumDate(QDate(1990, 1, 1))
        self.setCalendarPopup(True)  # Alt+Down or F4 opens it; typing needs no popup

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        self._key_press(self, event, QDateEdit)


class TimeEdit(_SeparatorSkip, QTimeEdit):
    """24-hour times to the minute (21:15), typed with or without the colon.

    A dash ("21:14-21:40") emits ``rangeTyped``: the form takes it as the start of the end time.
    """

    rangeTyped = Signal()  # noqa: N815 (Qt naming)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDisplayFormat("HH:mm")
        self.accepts_range = False

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        if event.text() in RANGE_DASHES and self.accepts_range:
            event.accept()
            self.rangeTyped.emit()
            return
        self._key_press(self, event, QTimeEdit)


class CountEdit(QSpinBox):
    """The count, where "~", ">" (or "+"), "=" and "?" set its qualifier as the table shows it ("~12", "≥12").

    Typing "~12" is quicker than leaving the count for the qualifier's list, and reads the same.
    """

    qualifierTyped = Signal(str)  # noqa: N815 (Qt naming) a db.model.enums.COUNT_QUALIFIER value

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        qualifier = QUALIFIER_KEYS.get(event.text())
        if qualifier is not None:
            event.accept()
            self.qualifierTyped.emit(qualifier)
            return
        super().keyPressEvent(event)


def widget_value(widget: QWidget) -> Any:
    """What a form widget holds, as JSON-ready text, number, boolean or choice (None otherwise)."""
    if isinstance(widget, ChoiceCombo):
        return widget.value()
    if isinstance(widget, QLineEdit):
        return widget.text()
    if isinstance(widget, QPlainTextEdit):
        return widget.toPlainText()
    if isinstance(widget, QCheckBox):
        return widget.isChecked()
    if isinstance(widget, QSpinBox):
        return widget.value()
    if isinstance(widget, QDateEdit):
        return widget.date().toString(Qt.DateFormat.ISODate)
    if isinstance(widget, QTimeEdit):
        return widget.time().toString(widget.displayFormat())
    return None


def set_widget_value(widget: QWidget, value: Any) -> None:
    """Show ``value`` (as from :func:`widget_value`, perhaps read from a draft file) in ``widget``.

    A value of the wrong kind (a hand-edited draft) is ignored rather than trusted.
    """
    if isinstance(widget, ChoiceCombo):
        widget.set_value(value)
    elif isinstance(widget, QLineEdit):
        widget.setText("" if value is None else str(value))
    elif isinstance(widget, QPlainTextEdit):
        widget.setPlainText("" if value is None else str(value))
    elif isinstance(widget, QCheckBox):
        widget.setChecked(bool(value))
    elif isinstance(widget, QSpinBox) and isinstance(value, int) and not isinstance(value, bool):
        widget.setValue(value)
    elif isinstance(widget, QDateEdit):
        date = QDate.fromString(str(value), Qt.DateFormat.ISODate)
        if date.isValid():
            widget.setDate(date)
    elif isinstance(widget, QTimeEdit):
        # Seconds are shown only for a time that has them (a stored one), so an edit keeps them.
        with_seconds = len(str(value)) == 8
        moment = QTime.fromString(str(value), "HH:mm:ss" if with_seconds else "HH:mm")
        if moment.isValid():
            widget.setDisplayFormat("HH:mm:ss" if with_seconds else "HH:mm")
            widget.setTime(moment)
