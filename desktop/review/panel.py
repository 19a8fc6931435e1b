"""The supervisors' review panel: the queue, one decision for many incidents, and the conflicts.

A supervisor works a backlog oldest first: select a batch (Ctrl/Shift-click, Ctrl+A), state the
decision and a reason, apply. The batch goes to :func:`db.records.review.review_incidents` in one call,
so it is all or nothing, and every incident gets a version authored by the supervisor with the
reason. Incidents in conflict are never in the queue (a judgement on one of two competing
versions would hide the other); they are listed apart and open a :class:`ConflictDialog`.
A monitor reads the queue and compares conflicts, but the decision is disabled, saying up front who
may decide here (asked again after every change: a roster may arrive); the database refuses them anyway.
"""

from collections.abc import Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QItemSelection, QItemSelectionModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from db.core.errors import NotFoundError, TrucelineError, ValidationError
from db.core.sql_driver import sqlite3
from db.model import enums
from db.model.validation import MAX_REASON
from db.records.incidents import Saved, incident_history
from db.records.monitors import Monitor
from db.records.queries import IncidentFilter
from db.records.review import (
    DECISION_STATES,
    IncidentsInConflictError,
    ReviewDecision,
    conflicts,
    queue_counts,
    review_incidents,
)
from db.records.roles import decision_refusal, roles_note, supervisor_refusal
from db.storage.damage import damage_seen
from db.storage.store import Store
from desktop.incidents.detail_pane import DetailPane
from desktop.review.conflict_dialog import ConflictDialog
from desktop.review.conflict_list import ConflictList
from desktop.review.queue_model import ReviewQueueModel
from desktop.widgets.changes import Changes, Follower
from desktop.widgets.error_text import error_sentence
from desktop.widgets.refresh_when_shown import RefreshWhenShown

NOT_SUPERVISOR = "Only supervisors can review incidents."
# The decision's choices: what db.records.review allows a decision to set, less "returned" (its own button).
CHOICES = tuple(state for state in DECISION_STATES if state != "returned")
# How the status line says what was done: "Verified 12 incidents".
DONE = {
    "verified": "Verified {what}",
    "unverified": "Marked {what} unverified",
    "disputed": "Marked {what} disputed",
    "not_a_violation": "Marked {what} not a violation",
    "under_review": "Marked {what} under review",
    "archived": "Archived {what}",
    "returned": "Returned {what} to the monitors",
}
LEAVE = "Leave as is"
_ERROR_STYLE = "color: #c62828;"
_COMBO_CHARS = 16
_REASON_HINT = "required; kept in the history"
_APPLY_TIP = "Record this decision on every selected incident (Ctrl+Enter)"
_RETURN_TIP = (
    "Send the selected incidents back to their monitors (state Returned) with the reason; "
    "the other fields stay as they are"
)


class ReviewPanel(QWidget):
    """Review queue, decision form and conflicts list for one reviewer; the window places it."""

    reviewed = Signal(int)  # how many incidents the decision just applied to
    incidentActivated = Signal(str)  # noqa: N815 (Qt naming) an incident id to show in the window
    conflictResolved = Signal(str)  # noqa: N815 (Qt naming) the id of an incident no longer in conflict

    def __init__(
        self,
        store: Store,
        reviewer: Monitor,
        parent: QWidget | None = None,
        *,
        display_tz: ZoneInfo | None = None,
        changes: Changes | None = None,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._reviewer = reviewer
        self._tz = display_tz or store.tz
        self._changes = changes
        self.model = ReviewQueueModel(store, self, display_tz=self._tz)
        self._refusal: str | None = None
        self._build()
        self.refresh()
        # The queue, its counts and the conflicts follow every committed change (hidden: when shown).
        self.follower = Follower(
            changes, RefreshWhenShown(self, self.refresh).request, self, on_theatre=self.model.reload_theatre
        )

    # -- layout -------------------------------------------------------------------------------

    def _build(self) -> None:
        self.counts_label = QLabel()
        self.counts_label.setAccessibleName("Review queue counts")
        font = self.counts_label.font()
        font.setBold(True)
        self.counts_label.setFont(font)
        # Before the mission's roster is loaded, nobody here can tell a supervisor's decision from a forged one.
        self.roles_note = QLabel()
        self.roles_note.setWordWrap(True)
        self.roles_note.setAccessibleName("Roles")
        self.roles_note.hide()
        self.notice = QLabel()
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet(_ERROR_STYLE)
        self.notice.hide()

        # The queue across the whole width (every column fits 1366 pixels); below it the decision
        # and, beside it, the incident under the cursor: narrative, place and history.
        self.detail = DetailPane()
        self.detail.browser.setAccessibleName("Selected incident: details and history")
        below = QSplitter(Qt.Orientation.Horizontal)
        form = self._build_form()
        below.addWidget(form)
        below.addWidget(self.detail)
        below.setStretchFactor(0, 0)
        below.setStretchFactor(1, 1)
        below.setChildrenCollapsible(False)
        below.setSizes([form.sizeHint().width() + 20, 800])
        self.content = QSplitter(Qt.Orientation.Vertical)
        self.content.addWidget(self._build_lists())
        self.content.addWidget(below)
        self.content.setStretchFactor(0, 1)
        self.content.setStretchFactor(1, 1)
        self.content.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.counts_label)
        layout.addWidget(self.roles_note)
        layout.addWidget(self.notice)
        layout.addWidget(self.content, 1)

        chain = [
            self.table,
            self.state,
            self.attribution,
            self.actor1,
            self.actor2,
            self.reliability,
            self.credibility,
            self.reason,
            self.apply_button,
            self.return_button,
            self.conflicts.list,
            self.conflicts.resolve_button,
        ]
        for first, second in zip(chain, chain[1:], strict=False):
            QWidget.setTabOrder(first, second)
        context = Qt.ShortcutContext.WidgetWithChildrenShortcut
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self.content, self.apply, context=context)

    def _build_lists(self) -> QWidget:
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Review queue")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setTabKeyNavigation(False)  # Tab goes on to the decision, arrows move in the queue
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self._size_columns()
        self.table.activated.connect(self._activated)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.table.selectionModel().currentRowChanged.connect(lambda current, _previous: self._show_current(current))
        self.model.modelReset.connect(self._update_buttons)
        queue_caption = QLabel(
            "&Queue: what the filter bar selects, oldest observation first (Ctrl/Shift-click or Ctrl+A for several)"
        )
        queue_caption.setBuddy(self.table)

        self.conflicts = ConflictList()
        self.conflicts.resolveRequested.connect(self.open_conflict)

        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(queue_caption)
        layout.addWidget(self.table, 1)
        layout.addSpacing(6)
        layout.addWidget(self.conflicts)
        return box

    def _build_form(self) -> QWidget:
        self.state = QComboBox()
        for value in CHOICES:
            self.state.addItem(enums.VERIFICATION_STATE[value], value)
        self.state.setCurrentIndex(self.state.findData("verified"))
        self.attribution = _leave_or(enums.ATTRIBUTION)
        self.actor1 = QLineEdit()
        self.actor2 = QLineEdit()
        for actor in (self.actor1, self.actor2):
            actor.setPlaceholderText("leave as is")
            actor.setToolTip("Empty leaves each incident's actor as it is")
        self.reliability = _leave_or(enums.SOURCE_RELIABILITY)
        self.reliability.setToolTip("Source reliability, A to F (Admiralty grading)")
        self.credibility = _leave_or(enums.INFO_CREDIBILITY)
        self.credibility.setToolTip("Information credibility, 1 to 6 (Admiralty grading)")
        for combo in (self.state, self.attribution, self.reliability, self.credibility):
            # Narrow when closed (the popup still shows whole labels), so the queue keeps its width.
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(_COMBO_CHARS)
        self.reason = QLineEdit()
        self.reason.setMaxLength(MAX_REASON)
        self.reason.setPlaceholderText(_REASON_HINT)
        self.reason.textChanged.connect(self._update_buttons)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("&Decision:", self.state)
        form.addRow("Attri&bution:", self.attribution)
        form.addRow("Actor &1:", self.actor1)
        form.addRow("Actor &2:", self.actor2)
        # Short labels keep the queue wide; the tooltips give the Admiralty grading's full names.
        # Mnemonics avoid the letters of the filter bar, timeline and menus that share the window.
        form.addRow("Reliabilit&y:", self.reliability)
        form.addRow("Credibi&lity:", self.credibility)
        form.addRow("Reaso&n:", self.reason)

        self.apply_button = QPushButton()
        self.apply_button.setToolTip(_APPLY_TIP)
        self.apply_button.clicked.connect(self.apply)
        self.return_button = QPushButton("Ret&urn to monitor")
        self.return_button.setToolTip(_RETURN_TIP)
        self.return_button.clicked.connect(self.return_to_monitor)
        buttons = QHBoxLayout()
        for button in (self.apply_button, self.return_button):
            button.setAutoDefault(False)
            button.setMinimumHeight(32)
            buttons.addWidget(button)

        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.setStyleSheet(_ERROR_STYLE)
        self.error.hide()
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)

        group = self.decision_box = QGroupBox("Review the selected incidents")
        inner = QVBoxLayout(group)
        inner.addLayout(form)
        inner.addLayout(buttons)
        inner.addWidget(self.error)
        inner.addWidget(self.status)
        inner.addStretch(1)
        return group

    def _size_columns(self) -> None:
        """Each column as wide as the longest value it can show, so no cell is cut short."""
        metrics = self.table.fontMetrics()
        header = self.table.horizontalHeader().fontMetrics()
        for column, samples in enumerate(self.model.column_samples(self._store.theatre)):
            title = str(self.model.headerData(column, Qt.Orientation.Horizontal))
            widest = max((metrics.horizontalAdvance(text) for text in samples), default=0)
            self.table.setColumnWidth(column, max(widest + 14, header.horizontalAdvance(title) + 28))

    def _show_current(self, index: QModelIndex) -> None:
        """The incident under the cursor, beside the decision: what it says, where, and its history."""
        record = self.model.record_at(index.row()) if index.isValid() else None
        if record is None:
            self.detail.clear()
            return
        try:
            history = incident_history(self._store.conn, record.incident_id)
        except TrucelineError as error:
            self._show_error(error_sentence(error))
            return
        self.detail.show_incident(record, history, self._tz)

    # -- state --------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the queue, the counts and the conflicts again, keeping the selection and the scroll position."""
        self._follow_role()
        selected = set(self.selected_ids())
        scroll = self.table.verticalScrollBar().value()
        self.model.refresh()
        self._reselect(selected)
        self.table.verticalScrollBar().setValue(scroll)
        counts = queue_counts(self._store.conn)
        note = roles_note(self._store.conn)
        self.roles_note.setText(f"{note}: decisions from other laptops are kept apart until then." if note else "")
        self.roles_note.setVisible(note is not None)
        self.counts_label.setText(
            f"Submitted {counts['submitted']:,} · Under review {counts['under_review']:,} · "
            f"Returned {counts['returned']:,} · Conflicts {counts['conflicts']:,}"
        )
        self.conflicts.set_conflicts(conflicts(self._store.conn), self._tz)
        self._update_buttons()

    def _follow_role(self) -> None:
        """Offer the decision only to whom db would let decide (the roster in force, else this laptop's roles).

        Asked on every refresh, since a bundle or a roster may change who decides; the write checks again.
        """
        conn, device_id = self._store.conn, self._store.device.device_id
        refusal = supervisor_refusal(conn, self._reviewer.monitor_id, device_id)
        if refusal == self._refusal and self.decision_box.isEnabled() == (refusal is None):
            return
        self._refusal = refusal
        sentence = decision_refusal(conn, self._reviewer.monitor_id, device_id, "review incidents") or ""
        self.decision_box.setEnabled(refusal is None)
        for edit, hint in ((self.actor1, "leave as is"), (self.actor2, "leave as is"), (self.reason, _REASON_HINT)):
            edit.setPlaceholderText(hint if refusal is None else "")  # a disabled placeholder reads like a value
        self.apply_button.setToolTip(_APPLY_TIP if refusal is None else sentence)
        self.return_button.setToolTip(_RETURN_TIP if refusal is None else sentence)
        self.conflicts.resolve_button.setText("Resolve conflict…" if refusal is None else "Compare versions…")
        self.conflicts.resolve_button.setToolTip(
            "" if refusal is None else f"Shows the versions side by side. {sentence}"
        )
        self.notice.setText(sentence)
        self.notice.setVisible(refusal is not None)

    def set_filter(self, flt: IncidentFilter) -> None:
        """Follow the filter bar, as the table and the status bar's count do."""
        self.model.set_filter(flt)
        self._update_buttons()

    def _reselect(self, incident_ids: set[str]) -> None:
        """Select again the incidents that are still in the queue after a refresh."""
        selection = QItemSelection()
        for incident_id in incident_ids:
            row = self.model.row_of(incident_id)
            if row is not None:
                selection.select(self.model.index(row, 0), self.model.index(row, self.model.columnCount() - 1))
        if not selection.isEmpty():
            self.table.selectionModel().select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)

    def set_display_tz(self, tz: ZoneInfo) -> None:
        self._tz = tz
        self.model.set_display_tz(tz)
        self.conflicts.set_conflicts(conflicts(self._store.conn), self._tz)

    def selected_ids(self) -> list[str]:
        """The incidents selected in the queue, in queue order."""
        rows = sorted(index.row() for index in self.table.selectionModel().selectedRows())
        records = (self.model.record_at(row) for row in rows)
        return [record.incident_id for record in records if record is not None]

    def conflict_ids(self) -> list[str]:
        return self.conflicts.incident_ids()

    def decision(self) -> ReviewDecision:
        """What the form says; empty actors and "Leave as is" leave those fields unchanged."""
        return ReviewDecision(
            verification_state=str(self.state.currentData()),
            attribution=self.attribution.currentData(),
            actor1=self.actor1.text().strip() or None,
            actor2=self.actor2.text().strip() or None,
            source_reliability=self.reliability.currentData(),
            info_credibility=self.credibility.currentData(),
        )

    # -- deciding -----------------------------------------------------------------------------

    def apply(self) -> bool:
        """Record the form's decision on the selected incidents; False (and why, inline) if refused."""
        try:
            decision = self.decision()
        except ValidationError as error:
            self._show_error(error_sentence(error))
            return False
        return self._decide(decision)

    def return_to_monitor(self) -> bool:
        """Send the selected incidents back to their monitors (state returned), with the reason."""
        return self._decide(ReviewDecision("returned"))

    def _decide(self, decision: ReviewDecision) -> bool:
        ids = self.selected_ids()
        refused = self._why_not(ids)
        if refused:
            self._show_error(refused)
            return False
        writer = self._store.writer(self._reviewer.monitor_id)
        try:
            saved = review_incidents(
                self._store.conn, self._reviewer, writer, ids, decision, self.reason.text(), self._store.calendar
            )
        except (IncidentsInConflictError, NotFoundError) as error:
            # The queue was stale (an import or another window); show what it is now.
            self.refresh()
            self._show_error(f"{error_sentence(error)} The queue has been read again; nothing was saved.")
            return False
        except (TrucelineError, sqlite3.Error) as error:
            damage_seen(error)
            self._show_error(error_sentence(error))
            return False
        self.reason.clear()
        self.refresh()
        if self._changes is not None:
            self._changes.records("review decision", [s.incident_id for s in saved])
        self._show_status(_done_text(decision.verification_state, saved))
        self.table.setFocus()
        self.reviewed.emit(len(saved))
        return True

    def _why_not(self, ids: Sequence[str]) -> str:
        if self._refusal is not None:
            return NOT_SUPERVISOR
        if not ids:
            return "Select at least one incident in the queue."
        if not self.reason.text().strip():
            return "Give a reason for the decision; it is kept in each incident's history."
        return ""

    def _update_buttons(self) -> None:
        count = len(self.table.selectionModel().selectedRows())
        self.apply_button.setText(f"Apply to {count:,} selected" if count else "Apply to selected")
        ready = count > 0 and bool(self.reason.text().strip()) and self._refusal is None
        self.apply_button.setEnabled(ready)
        self.return_button.setEnabled(ready)

    def _show_error(self, text: str) -> None:
        self.status.clear()
        self.error.setText(text)
        self.error.setVisible(bool(text))

    def _show_status(self, text: str) -> None:
        self.error.clear()
        self.error.hide()
        self.status.setText(text)

    def _activated(self, index: QModelIndex) -> None:
        record = self.model.record_at(index.row())
        if record is not None:
            self.incidentActivated.emit(record.incident_id)

    # -- conflicts ----------------------------------------------------------------------------

    def open_conflict(self, incident_id: str) -> ConflictDialog | None:
        """Open the conflict dialog for ``incident_id`` (not blocking); None if it cannot be read."""
        try:
            dialog = ConflictDialog(self._store, self._reviewer, incident_id, self, display_tz=self._tz)
        except (TrucelineError, sqlite3.Error) as error:
            damage_seen(error)
            self._show_error(error_sentence(error))
            return None
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.resolved.connect(self._conflict_resolved)
        dialog.open()
        return dialog

    def _conflict_resolved(self, saved: Saved) -> None:
        self.refresh()
        if self._changes is not None:
            self._changes.records("conflict resolution", [saved.incident_id])
        self._show_status(f"Resolved the conflict in {saved.ref}; it is back in the queue if it awaits review.")
        self.conflictResolved.emit(saved.incident_id)


def _leave_or(labels: Mapping[Any, str]) -> QComboBox:
    combo = QComboBox()
    combo.addItem(LEAVE, None)
    for value, label in labels.items():
        combo.addItem(label, value)
    return combo


def _done_text(state: str, saved: Sequence[Saved]) -> str:
    what = saved[0].ref if len(saved) == 1 else f"{len(saved):,} incidents"
    return DONE.get(state, "Recorded a decision on {what}").format(what=what) + "."
