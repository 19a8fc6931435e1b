"""The conflicts section of the review panel: incidents with several heads, kept apart from the queue.

An incident in conflict cannot be reviewed until someone has chosen between its versions, so it
is listed here instead of in the queue, and nothing selected here ever joins a review decision.
Activating a row (double-click, Enter, or the button) asks for it to be resolved; the panel opens
the :class:`~desktop.review.conflict_dialog.ConflictDialog`.
"""

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

from db.model import enums
from db.model.display import local_time_text
from db.records.incidents import IncidentRecord

# The list grows with its rows up to this many, then scrolls: the queue keeps the room.
MAX_ROWS = 5


class ConflictList(QWidget):
    """A caption, one row per incident in conflict, and a "Resolve conflict…" button."""

    resolveRequested = Signal(str)  # noqa: N815 (Qt naming) the incident id to resolve

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.caption = QLabel()
        self.list = QListWidget()
        self.list.setAccessibleName("Incidents in conflict")
        self.list.setToolTip("Double-click or press Enter to compare the versions and resolve the conflict")
        self.list.itemActivated.connect(self._activated)
        self.resolve_button = QPushButton("Resolve conflict…")
        self.resolve_button.setAutoDefault(False)
        self.resolve_button.clicked.connect(self._resolve_current)
        self.empty = QLabel("No incident is in conflict.")
        self.empty.setStyleSheet("color: palette(placeholder-text);")
        row = QHBoxLayout()
        row.addWidget(self.empty)
        row.addStretch(1)
        row.addWidget(self.resolve_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.caption)
        layout.addWidget(self.list)
        layout.addLayout(row)
        self.set_conflicts([], ZoneInfo("UTC"))

    def set_conflicts(self, records: Sequence[IncidentRecord], tz: ZoneInfo) -> None:
        self.list.clear()
        for record in records:
            item = QListWidgetItem(_text(record, tz))
            item.setData(Qt.ItemDataRole.UserRole, record.incident_id)
            self.list.addItem(item)
        self.caption.setText(f"Conflicts ({len(records):,}): not reviewable until someone chooses between the versions")
        self.list.setVisible(bool(records))
        self.resolve_button.setVisible(bool(records))
        self.empty.setVisible(not records)
        rows = max(1, min(len(records), MAX_ROWS))
        row_height = self.list.sizeHintForRow(0) if records else self.fontMetrics().height()
        self.list.setFixedHeight(rows * row_height + 2 * self.list.frameWidth() + 8)

    def incident_ids(self) -> list[str]:
        items = (self.list.item(row) for row in range(self.list.count()))
        return [str(item.data(Qt.ItemDataRole.UserRole)) for item in items]

    def _activated(self, item: QListWidgetItem) -> None:
        self.resolveRequested.emit(str(item.data(Qt.ItemDataRole.UserRole)))

    def _resolve_current(self) -> None:
        item = self.list.currentItem() or self.list.item(0)
        if item is not None:
            self._activated(item)


def _text(record: IncidentRecord, tz: ZoneInfo) -> str:
    incident = record.incident
    place = incident.zone_id + (f" / {incident.sector_id}" if incident.sector_id else "")
    return (
        f"⚠ {record.ref} · {record.heads} versions · observed {local_time_text(incident.observed_start, tz)}"
        f" · {place} · {enums.CATEGORY.get(incident.category, incident.category)}"
    )
