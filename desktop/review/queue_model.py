"""The review queue's Qt model: incidents waiting for a supervisor, oldest observation first.

The queue has its own order (oldest first, the order a backlog is worked through) and no
filters, so it does not share the incident table's model. It reads the queue a page at a time
through :func:`db.records.review.review_queue` and continues by keyset when the view scrolls to the end
(``canFetchMore`` / ``fetchMore``), so a backlog of thousands costs one page at start.
"""

from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from db.model.theatre import Theatre
from db.records.incidents import IncidentRecord
from db.records.queries import Cursor, IncidentFilter
from db.records.review import review_queue
from db.storage.store import Store
from desktop.incidents.columns import CellText, columns
from desktop.incidents.table_model import INCIDENT_ID_ROLE, cell_samples

# The incident table's columns (desktop/incidents/columns.py) a supervisor needs to judge the queue.
COLUMNS = columns("ref", "observed", "zone", "sector", "category", "type", "count", "means", "state")
COL_REF, COL_OBSERVED, COL_ZONE, COL_SECTOR, COL_CATEGORY, COL_TYPE, COL_COUNT, COL_MEANS, COL_STATE = range(
    len(COLUMNS)
)
HEADERS = tuple(column.title for column in COLUMNS)

PAGE_SIZE = 200
_ALIGN_NUMBER = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_ALIGN_TEXT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter

_Index = QModelIndex | QPersistentModelIndex


class ReviewQueueModel(QAbstractTableModel):
    """The queued incidents read so far, one row each; more are read as the view reaches the end."""

    def __init__(
        self,
        store: Store,
        parent: QObject | None = None,
        *,
        display_tz: ZoneInfo | None = None,
        page_size: int = PAGE_SIZE,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._cells = CellText(store.theatre, display_tz or store.tz)
        self._page_size = page_size
        self._records: list[IncidentRecord] = []
        self._more = False
        self._filter: IncidentFilter | None = None
        self.refresh()

    def reload_theatre(self) -> None:
        """Zone and sector names of the store's current theatre (the next refresh shows them)."""
        self._cells.set_theatre(self._store.theatre)

    def refresh(self) -> None:
        """Read the queue again from its oldest incident, as many rows as were loaded (a reset: the
        view re-selects)."""
        limit = max(self._page_size, len(self._records))
        self.beginResetModel()
        self._records = review_queue(self._store.conn, limit=limit, flt=self._filter)
        self._more = len(self._records) == limit
        self.endResetModel()

    def set_filter(self, flt: IncidentFilter | None) -> None:
        """The window's filter bar: the queue lists only what it selects, like the table and the count."""
        if flt != self._filter:
            self._filter = flt
            self.refresh()

    @property
    def display_tz(self) -> ZoneInfo:
        return self._cells.tz

    def set_display_tz(self, tz: ZoneInfo) -> None:
        self._cells.tz = tz
        if self._records:
            self.dataChanged.emit(self.index(0, COL_OBSERVED), self.index(len(self._records) - 1, COL_OBSERVED))

    def record_at(self, row: int) -> IncidentRecord | None:
        return self._records[row] if 0 <= row < len(self._records) else None

    def row_of(self, incident_id: str) -> int | None:
        return next((row for row, r in enumerate(self._records) if r.incident_id == incident_id), None)

    # -- Qt model --------------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802 (Qt signature)
        return 0 if parent.isValid() else len(self._records)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802 (Qt signature)
        return 0 if parent.isValid() else len(HEADERS)

    def canFetchMore(self, parent: _Index = QModelIndex()) -> bool:  # noqa: B008, N802 (Qt signature)
        return not parent.isValid() and self._more

    def fetchMore(self, parent: _Index = QModelIndex()) -> None:  # noqa: B008, N802 (Qt signature)
        if parent.isValid() or not self._records:
            return
        last = self._records[-1]
        after = Cursor(last.incident.observed_start, last.incident_id)
        page = review_queue(self._store.conn, limit=self._page_size, after=after, flt=self._filter)
        self._more = len(page) == self._page_size
        if page:
            start = len(self._records)
            self.beginInsertRows(QModelIndex(), start, start + len(page) - 1)
            self._records.extend(page)
            self.endInsertRows()

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def column_samples(self, theatre: Theatre) -> list[list[str]]:
        """For each column, the texts whose widest its width must hold."""
        return [cell_samples(column.field, theatre) for column in COLUMNS]

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(HEADERS):
            return super().headerData(section, orientation, role)
        if role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._cells.header_tooltip(COLUMNS[section])
        if role == Qt.ItemDataRole.TextAlignmentRole and COLUMNS[section].numeric:
            return _ALIGN_NUMBER
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        record = self.record_at(index.row()) if index.isValid() else None
        if record is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._cells.display(COLUMNS[index.column()], record)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._cells.tooltip(COLUMNS[index.column()], record)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _ALIGN_NUMBER if COLUMNS[index.column()].numeric else _ALIGN_TEXT
        if role == INCIDENT_ID_ROLE:
            return record.incident_id
        return None
