"""Resolve a conflict: the competing versions side by side, and a person's choice for every difference.

Two laptops that amended the same incident from the same starting point leave two heads
(ARCHITECTURE.md §7). No rule picks a winner silently: for every field where the heads differ, the person
resolving must pick the value to keep (or take every difference from one version, which is also
an explicit choice), and give a reason. Fields on which the heads agree are kept as they are.
The result is saved with :func:`db.records.incidents.resolve_conflict`, a new version whose parents are
all the heads, so the history keeps both sides. Only a supervisor may resolve (db/records/roles.py):
anyone else sees the versions side by side, is told up front who may resolve them, and has no Save.
"""

from string import ascii_uppercase
from zoneinfo import ZoneInfo

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from db.core.errors import TrucelineError, ValidationError
from db.core.sql_driver import sqlite3
from db.model.display import FIELD_LABELS, format_value, local_time_text
from db.model.incident import FIELD_NAMES, Incident
from db.model.validation import MAX_REASON, validate_incident
from db.records.incidents import HistoryEntry, current_heads, get_incident, incident_history, resolve_conflict
from db.records.monitors import Monitor
from db.records.roles import decision_refusal
from db.storage.damage import damage_seen
from db.storage.store import Store
from desktop.widgets.error_text import error_sentence, field_label
from desktop.widgets.screen_fit import fit_to_screen

# Translucent tints read on light and dark palettes alike: amber "still to decide", green "kept".
DIFFERS_BRUSH = QBrush(QColor(255, 170, 0, 70))
CHOSEN_BRUSH = QBrush(QColor(46, 160, 67, 90))
_MUTED = QColor(128, 128, 128)
DIFFERS_MARK = "⚠ "
CHANGED_MARK = "✎ "
_SHOWN_MISSING = 4
# How much of a long narrative the table shows; the tooltip holds all of it.
_NARRATIVE_LINES = 5
_NARRATIVE_CHARS = 400


class ConflictDialog(QDialog):
    """The heads of one incident, field by field; saves the chosen values as the resolving version."""

    resolved = Signal(object)  # db.records.incidents.Saved, once the resolution is committed

    def __init__(
        self,
        store: Store,
        author: Monitor,
        incident_id: str,
        parent: QWidget | None = None,
        *,
        display_tz: ZoneInfo | None = None,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._author = author
        self._incident_id = incident_id
        self._tz = display_tz or store.tz
        record = get_incident(store.conn, incident_id)
        self._ref = record.ref
        history = incident_history(store.conn, incident_id)
        self._heads: list[HistoryEntry] = [entry for entry in history if entry.is_head]
        self._contents: list[Incident] = [entry.version.incident() for entry in self._heads]
        first = self._contents[0] if self._contents else None
        self._differing = [
            name for name in FIELD_NAMES if any(getattr(c, name) != getattr(first, name) for c in self._contents)
        ]
        self._chosen: dict[str, int] = {}
        self._rows: dict[str, int] = {}
        self._fields_by_row: dict[int, str] = {}
        self._labels: dict[str, QTableWidgetItem] = {}
        self._cells: dict[tuple[str, int], QTableWidgetItem] = {}
        self._updating = False
        # Asked before anything is chosen (the same rule as the write, which checks again): who may resolve.
        self.refusal = decision_refusal(store.conn, author.monitor_id, store.device.device_id, "resolve this conflict")

        self.setWindowTitle(f"Resolve conflict: {record.ref}")
        self.setModal(True)
        self._build()
        self._fill_table()
        self._update_state()
        if len(self._heads) < 2:
            self._show_error(f"{record.ref} is no longer in conflict; there is nothing to resolve.")
        self.table.setFocus()

    # -- layout -------------------------------------------------------------------------------

    def _build(self) -> None:
        letters = ", ".join(self.letters())
        intro = QLabel(
            f"{len(self._heads)} versions of {self._ref} ({letters}) were saved from the same starting point. "
            f"They differ in {len(self._differing)} field{'s' if len(self._differing) != 1 else ''}, listed first "
            f"and marked ⚠; {CHANGED_MARK.strip()} marks the values each version changed itself, and its column "
            "says who saved it, on which laptop and when. "
            + (
                "For each, click the value to keep (or press Space on it). Fields on which the versions agree are "
                "kept as they are."
                if self.refusal is None
                else "A supervisor chooses which value to keep."
            )
        )
        intro.setWordWrap(True)
        self.notice = QLabel(self.refusal or "")
        self.notice.setWordWrap(True)
        self.notice.setTextFormat(Qt.TextFormat.PlainText)
        self.notice.setStyleSheet("color: #c62828; font-weight: bold;")
        self.notice.setAccessibleName("Who may resolve this conflict")
        self.notice.setVisible(self.refusal is not None)
        self.reasons = QLabel(self._reasons_text())
        self.reasons.setWordWrap(True)
        self.reasons.setTextFormat(Qt.TextFormat.PlainText)

        self.take_all_buttons: list[QPushButton] = []
        take_all = QHBoxLayout()
        take_all.addWidget(QLabel("Keep every differing value from:"))
        for column, letter in enumerate(self.letters()):
            button = QPushButton(f"Version {letter}")
            button.setAutoDefault(False)
            button.setToolTip(f"Choose version {letter}'s value for every field that differs")
            button.clicked.connect(lambda _checked=False, head=column: self.choose_all(head))
            take_all.addWidget(button)
            self.take_all_buttons.append(button)
        take_all.addStretch(1)

        self.table = QTableWidget(len(FIELD_NAMES), 1 + len(self._heads))
        self.table.setAccessibleName("Versions in conflict, field by field")
        # No selection highlight: it would hide which value is kept. The focus frame shows the
        # current cell; Space or a click chooses it.
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table: arrows move within it
        self.table.setWordWrap(True)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        # As wide as the longest field name, scrolled into view or not (ResizeToContents sees only shown rows).
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Fixed)
        labels = [DIFFERS_MARK + FIELD_LABELS.get(name, name) for name in FIELD_NAMES]
        self.table.setColumnWidth(0, max(self.table.fontMetrics().horizontalAdvance(text) for text in labels) + 16)
        for column in range(1, 1 + len(self._heads)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        header.setHighlightSections(False)  # a bold header would look like a preferred version
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.table.itemChanged.connect(self._item_changed)
        self.table.cellClicked.connect(self._cell_clicked)
        # A wrapped narrative needs the height of the width its column finally gets.
        header.sectionResized.connect(lambda *_: self.table.resizeRowsToContents())

        self.progress = QLabel()
        self.progress.setWordWrap(True)
        reason_caption = QLabel("&Reason for this resolution (required):")
        self.reason = QLineEdit()
        self.reason.setMaxLength(MAX_REASON)
        self.reason.setPlaceholderText("e.g. recount agreed with both patrols on the radio")
        reason_caption.setBuddy(self.reason)
        self.reason.textChanged.connect(self._update_state)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.setStyleSheet("color: #c62828;")
        self.error.hide()

        self.save_button = QPushButton("&Save resolution  (Ctrl+Enter)")
        self.save_button.setToolTip("Save a new version with the chosen values; its parents are all the versions shown")
        self.cancel_button = QPushButton("Cancel  (Esc)")
        for button in (self.save_button, self.cancel_button):
            # Never the default button: a stray Enter must not save a half-made choice.
            button.setAutoDefault(False)
            button.setMinimumHeight(32)
        self.save_button.clicked.connect(self.save)
        self.cancel_button.clicked.connect(self.reject)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, self.save, context=Qt.ShortcutContext.WidgetWithChildrenShortcut)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 10)
        layout.addWidget(self.notice)
        layout.addWidget(intro)
        layout.addWidget(self.reasons)
        layout.addLayout(take_all)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.progress)
        layout.addWidget(reason_caption)
        layout.addWidget(self.reason)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        QWidget.setTabOrder(self.table, self.reason)
        QWidget.setTabOrder(self.reason, self.save_button)
        QWidget.setTabOrder(self.save_button, self.cancel_button)
        if self.refusal is not None:
            # Nothing to choose or explain when it cannot be saved: the versions stay readable.
            for widget in (*self.take_all_buttons, self.reason, reason_caption):
                widget.setEnabled(False)
            self.reason.setPlaceholderText("")
            self.save_button.setToolTip(self.refusal)
            self.cancel_button.setText("Close  (Esc)")
        fit_to_screen(self, QSize(960, 700))

    def letters(self) -> list[str]:
        return [_letter(i) for i in range(len(self._heads))]

    def _head_title(self, column: int) -> str:
        entry = self._heads[column]
        when = local_time_text(entry.version.recorded_at, self._tz)
        return f"{_letter(column)} · {entry.author_name}\nlaptop {entry.device_label}\n{when}"

    def changed_by(self, field: str) -> list[int]:
        """The heads (0 = A) that changed ``field`` themselves, rather than keeping their parent's value."""
        return [column for column, entry in enumerate(self._heads) if field in entry.changed]

    def _changed_by(self, column: int) -> str:
        entry = self._heads[column]
        when = local_time_text(entry.version.recorded_at, self._tz)
        return f"Changed by {entry.author_name} on laptop {entry.device_label}, {when}"

    def _reasons_text(self) -> str:
        lines = []
        for column, entry in enumerate(self._heads):
            reason = entry.version.reason
            lines.append(f"{_letter(column)}: “{reason}”" if reason else f"{_letter(column)}: (no reason given)")
        return "Why each version was saved —  " + "   ".join(lines)

    def _fill_table(self) -> None:
        self._updating = True
        self.table.setHorizontalHeaderItem(0, QTableWidgetItem("Field"))
        for column, entry in enumerate(self._heads):
            title = QTableWidgetItem(self._head_title(column))
            title.setToolTip(f"Reason: {entry.version.reason or '(none)'}\nVersion {entry.version.version_id}")
            self.table.setHorizontalHeaderItem(column + 1, title)
        ordered = self._differing + [name for name in FIELD_NAMES if name not in self._differing]
        for row, name in enumerate(ordered):
            self._rows[name] = row
            self._fields_by_row[row] = name
            differs = name in self._differing
            label = QTableWidgetItem((DIFFERS_MARK if differs else "") + FIELD_LABELS.get(name, name))
            label.setFlags(Qt.ItemFlag.ItemIsEnabled)
            if differs:
                label.setBackground(DIFFERS_BRUSH)
                label.setToolTip("The versions differ here: choose the value to keep")
            else:
                label.setForeground(_MUTED)
                label.setToolTip("All versions agree; kept as it is")
            self.table.setItem(row, 0, label)
            self._labels[name] = label
            for column, content in enumerate(self._contents, start=1):
                text = format_value(name, getattr(content, name), self._tz)
                shown = _shortened(text) if name == "narrative" else text
                entry = self._heads[column - 1]
                changed_here = differs and name in entry.changed
                item = QTableWidgetItem(CHANGED_MARK + shown if changed_here else shown)
                item.setToolTip(f"{text}\n\n{self._changed_by(column - 1)}" if changed_here else text)
                flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                if differs and self.refusal is None:
                    item.setFlags(flags | Qt.ItemFlag.ItemIsUserCheckable)
                    item.setCheckState(Qt.CheckState.Unchecked)
                    item.setBackground(DIFFERS_BRUSH)
                elif differs:
                    item.setFlags(flags)
                    item.setBackground(DIFFERS_BRUSH)
                else:
                    item.setFlags(flags)
                    item.setForeground(_MUTED)
                self.table.setItem(row, column, item)
                self._cells[name, column - 1] = item
        self._updating = False
        self.table.resizeRowsToContents()
        if self._differing:
            self.table.setCurrentCell(0, 1)

    # -- choosing -----------------------------------------------------------------------------

    def differing_fields(self) -> list[str]:
        """The fields the heads disagree on, in the order of the incident's fields."""
        return list(self._differing)

    def chosen(self) -> dict[str, int]:
        """For each field chosen so far, the index of the head (0 = A) whose value is kept."""
        return dict(self._chosen)

    def row_of(self, field: str) -> int:
        return self._rows[field]

    def choose(self, field: str, head: int) -> None:
        """Keep head ``head``'s value (0 = A) for ``field``, one of :meth:`differing_fields`."""
        if field not in self._differing or not 0 <= head < len(self._heads):
            raise ValueError(f"{field} cannot be chosen from version {head}")
        if self.refusal is not None:
            return  # nothing is chosen by someone who may not resolve
        self._cells[field, head].setCheckState(Qt.CheckState.Checked)

    def choose_all(self, head: int) -> None:
        for field in self._differing:
            self.choose(field, head)

    def _cell_clicked(self, row: int, column: int) -> None:
        # A click anywhere in a value cell chooses it, not only on its small check box.
        name = self._fields_by_row.get(row)
        if column > 0 and name in self._differing and self.refusal is None:
            self._cells[name, column - 1].setCheckState(Qt.CheckState.Checked)

    def _item_changed(self, item: QTableWidgetItem) -> None:
        if self._updating or item.column() == 0:
            return
        name = self._fields_by_row[item.row()]
        head = item.column() - 1
        if item.checkState() == Qt.CheckState.Checked:
            self._chosen[name] = head
        elif self._chosen.get(name) == head:
            del self._chosen[name]
        self._paint_row(name)
        self._update_state()

    def _paint_row(self, name: str) -> None:
        """One check per row, like radio buttons; the kept value green, an undecided row amber."""
        self._updating = True
        chosen = self._chosen.get(name)
        for head in range(len(self._heads)):
            item = self._cells[name, head]
            item.setCheckState(Qt.CheckState.Checked if head == chosen else Qt.CheckState.Unchecked)
            if chosen is None:
                item.setBackground(DIFFERS_BRUSH)
                item.setForeground(QBrush())
            elif head == chosen:
                item.setBackground(CHOSEN_BRUSH)
                item.setForeground(QBrush())
            else:
                item.setBackground(QBrush())
                item.setForeground(_MUTED)
        self._labels[name].setBackground(DIFFERS_BRUSH if chosen is None else CHOSEN_BRUSH)
        self._updating = False

    def missing_fields(self) -> list[str]:
        return [name for name in self._differing if name not in self._chosen]

    def _update_state(self) -> None:
        if self.refusal is not None:
            self.progress.setText(f"They differ in {len(self._differing)} of {len(FIELD_NAMES)} fields.")
            self.save_button.setEnabled(False)
            return
        missing = self.missing_fields()
        done = len(self._differing) - len(missing)
        if not self._differing:
            text = "The versions agree on every field; saving joins them into one."
        elif not missing:
            text = f"All {len(self._differing)} differing fields chosen."
        else:
            names = ", ".join(field_label(n) for n in missing[:_SHOWN_MISSING])
            more = f" and {len(missing) - _SHOWN_MISSING} more" if len(missing) > _SHOWN_MISSING else ""
            text = f"Chosen {done} of {len(self._differing)} differing fields; still to choose: {names}{more}."
        self.progress.setText(text)
        self.save_button.setEnabled(len(self._heads) > 1 and not missing and bool(self.reason.text().strip()))

    # -- saving -------------------------------------------------------------------------------

    def resolved_incident(self) -> Incident:
        """The agreed fields plus each chosen value, validated as a whole incident.

        No theatre is given: the place is whatever the person chose, and a zone from an earlier
        theatre file must not stop a conflict from being resolved.
        """
        values = dict(zip(FIELD_NAMES, self._contents[0].values(), strict=True))
        for name, head in self._chosen.items():
            values[name] = getattr(self._contents[head], name)
        return validate_incident(values)

    def save(self) -> bool:
        """Save the resolution; False (with the reason shown below the table) when it cannot be."""
        if len(self._heads) < 2:
            self._show_error(f"{self._ref} is no longer in conflict; there is nothing to resolve.")
            return False
        if self.refusal is not None:  # Ctrl+Enter with Save disabled: the sentence is already shown
            return False
        missing = self.missing_fields()
        if missing:
            names = ", ".join(field_label(n) for n in missing)
            self._show_error(f"Choose which value to keep for: {names}.")
            return False
        reason = self.reason.text().strip()
        if not reason:
            self._show_error("Give a reason for this resolution; it is kept in the incident's history.")
            self.reason.setFocus()
            return False
        try:
            incident = self.resolved_incident()
        except ValidationError as error:
            self._show_error(f"The values chosen do not fit together: {error_sentence(error)}")
            return False
        shown = sorted(entry.version.version_id for entry in self._heads)
        try:
            if current_heads(self._store.conn, [self._incident_id]).get(self._incident_id, []) != shown:
                # resolve_conflict takes the heads as they are now: never resolve versions not shown.
                self._show_error(
                    f"{self._ref} changed while this window was open; close it and open the conflict again."
                )
                return False
            writer = self._store.writer(self._author.monitor_id)
            saved = resolve_conflict(
                self._store.conn, writer, self._incident_id, incident, reason, self._store.calendar
            )
        except (TrucelineError, sqlite3.Error) as error:
            damage_seen(error)
            self._show_error(error_sentence(error))
            return False
        self.resolved.emit(saved)
        self.accept()
        return True

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))


def _letter(index: int) -> str:
    return ascii_uppercase[index] if index < len(ascii_uppercase) else str(index + 1)


def _shortened(text: str) -> str:
    lines = text.splitlines()
    kept = "\n".join(lines[:_NARRATIVE_LINES])[:_NARRATIVE_CHARS]
    return kept if kept == text else kept.rstrip() + "…"
